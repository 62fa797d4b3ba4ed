package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionSummary;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SessionAddress;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session as the state machine sees it while it handles one event: its address, its
 * {@link SessionMeta} (changed in memory, written back by {@link #save()}), and its rows in the
 * message and deadline stores, in the layouts {@link SessionStores} documents. Obtained from
 * {@link Sessions}.
 */
final class Session {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final SessionAddress address;
    private final SessionMeta meta;
    private final Sessions sessions;
    /** When the stored session was last touched, as loaded; negative for a session not stored yet. */
    private long touchedBeforeMs;

    Session(SessionAddress address, SessionMeta meta, Sessions sessions, boolean stored) {
        this.address = address;
        this.meta = meta;
        this.sessions = sessions;
        this.touchedBeforeMs = stored ? meta.getUpdatedAtMs() : -1;
    }

    SessionAddress address() {
        return address;
    }

    SessionMeta meta() {
        return meta;
    }

    /** The turn in progress; null when the session is idle. */
    ActiveTurn active() {
        return meta.getActiveTurn();
    }

    /** A message of this session's history, ready for {@link #append}, which numbers it. */
    static ChatMessage.Builder message(Role role, String turnId, String agent, long now) {
        return ChatMessage.newBuilder()
                .setRole(role)
                .setToolCalls(new ArrayList<>())
                .setTurnId(turnId)
                .setAgent(agent)
                .setTimestampMs(now);
    }

    /** One put per message: the changelog carries only the new message, never the history. */
    void append(ChatMessage.Builder message) {
        long sequence = meta.getNextSequence();
        sessions.messages().put(key(sequence), message.setSequence(sequence).build());
        meta.setNextSequence(sequence + 1);
    }

    /** The messages after {@code afterSequence}, newest first, read as they are asked for; close it. */
    KeyValueIterator<Bytes, ChatMessage> newestFirst(long afterSequence) {
        long from = Math.max(meta.getFirstSequence(), afterSequence + 1);
        return sessions.messages().reverseRange(key(from), key(Math.max(from, meta.getNextSequence() - 1)));
    }

    /** The messages from {@code fromSequence} through {@code throughSequence}, oldest first; close it. */
    KeyValueIterator<Bytes, ChatMessage> oldestFirst(long fromSequence, long throughSequence) {
        return sessions.messages().range(key(fromSequence), key(throughSequence));
    }

    /** The session's latest rolling summary; null before the first. */
    SessionSummary summary() {
        return sessions.summaries().get(address.toString());
    }

    void saveSummary(SessionSummary summary) {
        sessions.summaries().put(address.toString(), summary);
    }

    /** Deletes every message; the sequence goes on from where it was, so keys are never reused. */
    void clearHistory() {
        for (long seq = meta.getFirstSequence(); seq < meta.getNextSequence(); seq++) {
            sessions.messages().delete(key(seq));
        }
        meta.setFirstSequence(meta.getNextSequence());
        meta.setRolledBackMessages(0);
        // A summary of a cleared history must not speak for it; a late answer to a pending request is dropped.
        sessions.summaries().delete(address.toString());
        meta.setPendingSummary(null);
        // Nor are memories taken from it any more: late answers to its extractions are dropped.
        meta.setPendingExtractions(new ArrayList<>());
    }

    /**
     * Removes the messages of {@code turnId}, the active turn: the history's last messages, since
     * only the active turn appends. Their sequences are not reused (a reader that saw them must not
     * see another message under the same number): the history has a hole there, counted in
     * {@link SessionMeta#getRolledBackMessages()}.
     *
     * @return how many messages were removed
     */
    int rollBack(String turnId) {
        List<Bytes> keys = new ArrayList<>();
        if (meta.getNextSequence() > meta.getFirstSequence()) {
            try (KeyValueIterator<Bytes, ChatMessage> it =
                    sessions.messages().reverseRange(key(meta.getFirstSequence()), key(meta.getNextSequence() - 1))) {
                while (it.hasNext()) {
                    KeyValue<Bytes, ChatMessage> entry = it.next();
                    if (!turnId.equals(entry.value.getTurnId())) {
                        break;
                    }
                    keys.add(entry.key);
                }
            }
        }
        keys.forEach(sessions.messages()::delete);
        meta.setRolledBackMessages(meta.getRolledBackMessages() + keys.size());
        return keys.size();
    }

    /** Indexes the active turn's deadline, for the punctuator. */
    void scheduleDeadline() {
        sessions.indexDeadline(deadlineKey(), active().getTurnId());
    }

    /** Removes the active turn's deadline from the index. */
    void cancelDeadline() {
        sessions.deadlines().delete(deadlineKey());
    }

    /** True for the active turn, a queued one, or one of the last finished ones. */
    boolean hasSeen(String turnId) {
        return meta.getRecentTurnIds().contains(turnId)
                || (active() != null && active().getTurnId().equals(turnId))
                || meta.getQueuedTurns().stream().map(TurnRequested::getTurnId).anyMatch(turnId::equals);
    }

    /** Keeps a finished turn's id, so a redelivered request for it is dropped; only the last few. */
    void rememberTurn(String turnId) {
        List<String> recent = meta.getRecentTurnIds();
        recent.add(turnId);
        while (recent.size() > sessions.rememberedTurnIds()) {
            recent.removeFirst();
        }
    }

    /** Counts an event that does not fit the state: under at-least-once delivery that is normal. */
    void drop(String what) {
        meta.setEventsDropped(meta.getEventsDropped() + 1);
        log.debug("session {}: dropped {}", address, what);
    }

    /**
     * Counts an answer (agent step or tool result) that echoes a dispatch id other than the active
     * turn's: it answers a request the committed state never made ({@link Dispatches}).
     */
    void dropSpeculative(String kind, String what) {
        sessions.speculativeDrops().dropped(kind);
        drop(what + ": it answers another dispatch than the committed one");
    }

    /** Writes the meta back; every change of an event is written at once, after the event. */
    void save() {
        long now = sessions.now();
        meta.setUpdatedAtMs(now);
        sessions.metas().put(address.toString(), meta);
        sessions.touched(address, touchedBeforeMs, now);
        touchedBeforeMs = now;
    }

    private Bytes key(long sequence) {
        return SessionStores.messageKey(address.toString(), sequence);
    }

    private Bytes deadlineKey() {
        return SessionStores.deadlineKey(active().getDeadlineMs(), address.toString());
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
