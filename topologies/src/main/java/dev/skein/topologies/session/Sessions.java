package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.SessionSummary;
import dev.skein.schemas.SessionAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** The sessions of one stream task: where each {@link Session} is loaded from and saved to. */
final class Sessions {

    /** An entry of the deadline index: the turn whose deadline it is, and where it is kept. */
    record Deadline(Bytes key, SessionAddress address, String turnId) {}

    private final KeyValueStore<Bytes, ChatMessage> messages;
    private final KeyValueStore<String, SessionMeta> metas;
    private final KeyValueStore<Bytes, String> deadlines;
    private final KeyValueStore<String, SessionSummary> summaries;
    private final KeyValueStore<Bytes, String> activity;
    private final SessionRetention retention;
    private final int rememberedTurnIds;
    private final LongSupplier clock;
    private Dispatches.Drops speculativeDrops = Dispatches.Drops.NONE;
    private LongConsumer deadlineListener = deadlineMs -> {};
    /** When this task last erased a session: a session created later has a later {@code createdAtMs}. */
    private long lastErasedAtMs = Long.MIN_VALUE;

    Sessions(
            KeyValueStore<Bytes, ChatMessage> messages,
            KeyValueStore<String, SessionMeta> metas,
            KeyValueStore<Bytes, String> deadlines,
            KeyValueStore<String, SessionSummary> summaries,
            KeyValueStore<Bytes, String> activity,
            SessionRetention retention,
            int rememberedTurnIds,
            LongSupplier clock) {
        this.messages = messages;
        this.metas = metas;
        this.deadlines = deadlines;
        this.summaries = summaries;
        this.activity = activity;
        this.retention = retention;
        this.rememberedTurnIds = rememberedTurnIds;
        this.clock = clock;
    }

    /** The stores a processor was given under the names of {@link SessionStores}. */
    static Sessions of(ProcessorContext<?, ?> context, SessionTopologyConfig config) {
        Sessions sessions = new Sessions(
                context.getStateStore(SessionStores.MESSAGES),
                context.getStateStore(SessionStores.META),
                context.getStateStore(SessionStores.DEADLINES),
                context.getStateStore(SessionStores.SUMMARIES),
                context.getStateStore(SessionStores.ACTIVITY),
                config.retention(),
                config.rememberedTurnIds(),
                context::currentSystemTimeMs);
        sessions.speculativeDrops = Dispatches.metric(context);
        return sessions;
    }

    /** The session at {@code address}, if it has ever had a turn. */
    Optional<Session> find(SessionAddress address) {
        return Optional.ofNullable(metas.get(address.toString()))
                .map(meta -> new Session(address, withListsOfOurOwn(meta), this, true));
    }

    /**
     * Read back from its store, a meta's lists are Avro's {@code GenericData.Array}, whose iterator
     * cannot remove ({@code removeIf}, {@code remove(Object)} throw): a cancelled queued turn once went
     * to the dead letters that way. Copied once here, a stored session's lists behave like a new one's.
     */
    private static SessionMeta withListsOfOurOwn(SessionMeta meta) {
        meta.setQueuedTurns(new ArrayList<>(meta.getQueuedTurns()));
        meta.setRecentTurnIds(new ArrayList<>(meta.getRecentTurnIds()));
        if (meta.getActiveTurn() != null) {
            meta.getActiveTurn()
                    .setPendingCalls(new ArrayList<>(meta.getActiveTurn().getPendingCalls()));
        }
        return meta;
    }

    /** The session at {@code address}; a new, idle one (not yet saved) if it has none. */
    Session open(SessionAddress address) {
        return find(address).orElseGet(() -> new Session(address, newMeta(address), this, false));
    }

    /**
     * The deadline index's entries whose deadline is before {@code nowMs}, oldest first (one at
     * exactly {@code nowMs} is due at the next check).
     */
    List<Deadline> due(long nowMs) {
        List<Deadline> due = new ArrayList<>();
        try (KeyValueIterator<Bytes, String> it =
                deadlines.range(SessionStores.deadlineBound(0), SessionStores.deadlineBound(nowMs))) {
            while (it.hasNext()) {
                KeyValue<Bytes, String> entry = it.next();
                // Written from an address the processor had parsed, so it parses again.
                SessionAddress address = SessionAddress.parse(SessionStores.addressOfDeadline(entry.key));
                due.add(new Deadline(entry.key, address, entry.value));
            }
        }
        return due;
    }

    /** Indexes a turn's deadline and tells the listener (the task's {@link DeadlineAlarm}). */
    void indexDeadline(Bytes key, String turnId) {
        deadlines.put(key, turnId);
        deadlineListener.accept(SessionStores.deadlineOf(key));
    }

    /** Who hears of each deadline indexed. */
    void onDeadline(LongConsumer listener) {
        this.deadlineListener = listener;
    }

    /**
     * The earliest deadline in the index, if it holds any that can come due (a due entry the last
     * check left is one too). A negative deadline (a timeout that wrapped, written before deadlines
     * saturated) sorts after every other key and is never due: it is not one.
     */
    OptionalLong earliestDeadline() {
        try (KeyValueIterator<Bytes, String> it =
                deadlines.range(SessionStores.deadlineBound(0), SessionStores.deadlineBound(Long.MAX_VALUE))) {
            return it.hasNext() ? OptionalLong.of(SessionStores.deadlineOf(it.next().key)) : OptionalLong.empty();
        }
    }

    /** Removes an entry from the deadline index. */
    void release(Deadline deadline) {
        deadlines.delete(deadline.key());
    }

    /**
     * Moves the session in the {@link SessionStores#ACTIVITY} index when it was touched in a later
     * bucket than before: a busy session costs the index one write per check interval, not per event.
     *
     * @param previousMs when it was touched before; negative for a session not stored yet
     */
    void touched(SessionAddress address, long previousMs, long nowMs) {
        long bucket = retention.bucketOf(nowMs);
        if (previousMs >= 0) {
            long before = retention.bucketOf(previousMs);
            if (before == bucket) {
                return;
            }
            activity.delete(SessionStores.activityKey(address, before));
        }
        activity.put(SessionStores.activityKey(address, bucket), address.toString());
    }

    /**
     * Deletes every store entry of the session but its decision traces ({@link TraceRecorder} owns
     * those): its messages, summary, deadline, activity entry and meta. Each delete is a tombstone in
     * the store's changelog. The session must not be saved afterwards.
     *
     * @return how many messages were deleted
     */
    int erase(Session session) {
        String address = session.address().toString();
        List<Bytes> keys = new ArrayList<>();
        try (KeyValueIterator<Bytes, ChatMessage> it =
                messages.prefixScan(Bytes.wrap(SessionStores.messageKeyPrefix(address)), new BytesSerializer())) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.forEach(messages::delete);
        if (session.active() != null) {
            session.cancelDeadline();
        }
        summaries.delete(address);
        activity.delete(SessionStores.activityKey(
                session.address(), retention.bucketOf(session.meta().getUpdatedAtMs())));
        metas.delete(address);
        lastErasedAtMs = now();
        return keys.size();
    }

    /**
     * A new session's meta. Its {@code createdAtMs} is after every erasure of this task, even one in
     * the same millisecond: it tells a session apart from an erased one of the same id, whose
     * sequences it reuses (the token counts {@link SessionContext} remembers are keyed by it).
     */
    private SessionMeta newMeta(SessionAddress address) {
        long now = Math.max(now(), lastErasedAtMs + 1);
        return SessionMeta.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setFirstSequence(0)
                .setNextSequence(0)
                .setStatus(SessionStatus.IDLE)
                .setQueuedTurns(new ArrayList<>())
                .setRecentTurnIds(new ArrayList<>())
                .setCreatedAtMs(now)
                .setUpdatedAtMs(now)
                .build();
    }

    long now() {
        return clock.getAsLong();
    }

    KeyValueStore<Bytes, ChatMessage> messages() {
        return messages;
    }

    KeyValueStore<String, SessionMeta> metas() {
        return metas;
    }

    KeyValueStore<Bytes, String> deadlines() {
        return deadlines;
    }

    KeyValueStore<String, SessionSummary> summaries() {
        return summaries;
    }

    /** Where answers to a dispatch the committed state never made are counted. */
    Dispatches.Drops speculativeDrops() {
        return speculativeDrops;
    }

    KeyValueStore<Bytes, String> activity() {
        return activity;
    }

    SessionRetention retention() {
        return retention;
    }

    int rememberedTurnIds() {
        return rememberedTurnIds;
    }
}
