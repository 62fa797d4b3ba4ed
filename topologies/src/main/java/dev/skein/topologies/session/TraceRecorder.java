package dev.skein.topologies.session;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.CommandKind;
import dev.skein.events.DeadLetter;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.TraceEntry;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnTrace;
import dev.skein.schemas.SessionAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Writes each turn's decision trace into {@link SessionStores#TRACES}, in the task's transaction:
 * the trace commits with the state change it explains, and is restored from its changelog after a
 * restart. It sits between the state machine and its {@link SessionOutput}: every record the
 * machine emits for a turn (an invocation, a tool request, a completion) and every decision it
 * explains without a record ({@link SessionOutput#explain}) becomes an entry, after the entry of the
 * input record that caused it, which {@link #received} takes with the record's own topic,
 * partition and offset.
 *
 * <p>Records the machine emits have no offset yet inside the transaction. The runner and the
 * worker that answer them echo the offset they received them at ({@code AgentStep.requestOffset},
 * {@code ToolResult.requestOffset}); the answer's arrival fills it into the entry of the request,
 * marked exact. A completion on {@code skein.responses} is answered by no one: its offset stays
 * unknown (its partition is the session's).
 *
 * <p>Bounded: a session keeps the traces of its last {@code keepTurns} turns (the oldest is dropped
 * when a new one starts), and clearing its history clears them.
 */
final class TraceRecorder implements SessionOutput {

    /**
     * Entries one trace keeps; later ones are left out (one entry says so), while the trace's status
     * and times still follow the turn. A trace is rewritten whole at each event, so this bounds the
     * changelog bytes a turn with very many calls can cost.
     */
    static final int MAX_ENTRIES = 1000;

    /**
     * Sessions whose trace keys {@link #recentKeys} keeps per task, at most {@code keepTurns} keys
     * each: about 1 MB a task at the default 20.
     */
    static final int RECENT_SESSIONS = 512;

    /** The topics of the records the state machine emits, for the entries of those records. */
    record Topics(String agentRequests, String responses, Function<String, String> toolsOfTier) {}

    private final SessionOutput output;
    private final KeyValueStore<Bytes, TurnTrace> store;
    private final KeyValueStore<String, SessionMeta> metas;
    private final ProcessingContext context;
    private final Topics topics;
    private final SessionPartitions partitions;
    private final int keepTurns;
    /** The entries of the record being handled, by trace key, until {@link #flush}. */
    private final Map<Bytes, Pass> pass = new LinkedHashMap<>();

    /**
     * The trace keys of recently traced sessions, oldest first, so that starting a trace evicts
     * without reading the session's other traces back: a scan deserializes every trace it passes,
     * with all their entries, which at the default {@code keepTurns} of 20 was 8% of the stream
     * thread's time in a 64-session bench, more than writing the traces. Derived from the store,
     * and rebuilt from it for a session not in it; a task whose state is rolled back starts a new
     * recorder, so it never outlives its store.
     */
    private final Map<String, ArrayDeque<Bytes>> recentKeys = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ArrayDeque<Bytes>> eldest) {
            return size() > RECENT_SESSIONS;
        }
    };

    private final List<String> cleared = new ArrayList<>();
    /** The input record's entry, and the session's count of dropped events before it was handled. */
    private TraceEntry.Builder input;

    private SessionAddress inputAddress;
    private long droppedBefore;

    private record Pass(SessionAddress address, String turnId, List<TraceEntry.Builder> entries) {}

    TraceRecorder(
            SessionOutput output,
            ProcessingContext context,
            Topics topics,
            SessionPartitions partitions,
            int keepTurns) {
        this.output = output;
        this.store = context.getStateStore(SessionStores.TRACES);
        this.metas = context.getStateStore(SessionStores.META);
        this.context = context;
        this.topics = topics;
        this.partitions = partitions;
        this.keepTurns = keepTurns;
    }

    /** The input record about to be handled: its entry, with where it is in the log, opens the pass. */
    void received(SessionAddress address, SpecificRecord event, long recordTimestampMs) {
        begin();
        RecordMetadata origin = context.recordMetadata().orElse(null);
        TraceEntry.Builder entry = entry(null).setRecordTimeMs(recordTimestampMs);
        if (origin != null) {
            entry.setTopic(origin.topic())
                    .setPartition(origin.partition())
                    .setOffset(origin.offset())
                    .setOffsetExact(true);
        }
        SessionMeta meta = metas.get(address.toString());
        String turnId;
        switch (event) {
            case TurnRequested turn -> {
                turnId = turn.getTurnId();
                TraceExplanations.turnRequested(entry, turn);
            }
            case AgentStep step -> {
                turnId = step.getTurnId();
                TraceExplanations.agentStep(entry, step);
            }
            case ToolResult result -> {
                turnId = result.getTurnId();
                TraceExplanations.toolResult(entry, result);
            }
            case SessionCommand command -> {
                boolean clears = command.getKind() == CommandKind.CLEAR_HISTORY
                        || command.getKind() == CommandKind.DELETE_SESSION;
                if (clears) {
                    cleared.add(address.toString());
                }
                // An approval or a denial names its call, not its turn: it is the active turn's.
                turnId = command.getTurnId() != null || clears
                        ? command.getTurnId()
                        : (meta == null || meta.getActiveTurn() == null
                                ? null
                                : meta.getActiveTurn().getTurnId());
                TraceExplanations.command(entry, command);
            }
            default -> turnId = null;
        }
        if (turnId != null) {
            add(address, turnId, entry);
            input = entry;
            inputAddress = address;
            droppedBefore = meta == null ? 0 : meta.getEventsDropped();
        }
    }

    /**
     * Starts a pass without an input record (the deadline punctuator). A pass whose handling threw
     * (the record skipped by the processing exception handler, or the task failed) leaves nothing
     * behind: whatever it had gathered is dropped here.
     */
    void begin() {
        pass.clear();
        cleared.clear();
        input = null;
        inputAddress = null;
    }

    /** The session was erased in this pass ({@link SessionExpiry}): its traces go at {@link #flush}. */
    void erase(SessionAddress address) {
        cleared.add(address.toString());
    }

    @Override
    public void invoke(SessionAddress address, AgentInvocation invocation) {
        output.invoke(address, invocation);
        // Keyed by session address like every session topic: on the session's partition.
        add(
                address,
                invocation.getTurnId(),
                TraceExplanations.invoked(entry(null), invocation)
                        .setTopic(topics.agentRequests())
                        .setPartition(partitions.ownerOf(address.toString())));
    }

    @Override
    public void request(ToolRequest request) {
        output.request(request);
        SessionAddress address = new SessionAddress(request.getTenant(), request.getSessionId());
        String topic = topics.toolsOfTier().apply(request.getTier());
        add(address, request.getTurnId(), TraceExplanations.requested(entry(null), topic, request));
    }

    @Override
    public void complete(SessionAddress address, TurnCompleted completed) {
        output.complete(address, completed);
        add(
                address,
                completed.getTurnId(),
                TraceExplanations.completed(entry(null), topics.responses(), completed)
                        .setPartition(partitions.ownerOf(address.toString())));
    }

    @Override
    public void deadLetter(String key, DeadLetter letter) {
        output.deadLetter(key, letter);
    }

    @Override
    public void explain(SessionAddress address, String turnId, TraceEntry.Builder explained) {
        add(address, turnId, explained.setTimeMs(context.currentSystemTimeMs()));
    }

    /** Writes the pass's entries to their traces, after the state machine has handled the record. */
    void flush() {
        try {
            markDropped();
            for (String address : cleared) {
                clear(address);
            }
            for (Map.Entry<Bytes, Pass> turn : pass.entrySet()) {
                write(turn.getKey(), turn.getValue());
            }
        } finally {
            pass.clear();
            cleared.clear();
            input = null;
            inputAddress = null;
        }
    }

    /** The state machine counts the events it drops ({@link Session#drop}): the input was one of them. */
    private void markDropped() {
        if (input == null) {
            return;
        }
        SessionMeta meta = metas.get(inputAddress.toString());
        if (meta != null && meta.getEventsDropped() > droppedBefore) {
            input.setOutcome("dropped")
                    .setDecision(input.getDecision() + "; dropped: a duplicate or stale event (the first one counts)");
        }
    }

    private void write(Bytes key, Pass turn) {
        TurnTrace trace = store.get(key);
        TraceEntry.Builder first = turn.entries().getFirst();
        ArrayDeque<Bytes> kept = null;
        if (trace == null) {
            if (!TraceExplanations.TURN_REQUESTED.equals(first.getKind()) || "dropped".equals(first.getOutcome())) {
                // A late event, or a redelivered request, for a turn whose trace was dropped (or
                // never kept): not a new trace, and no reason to evict another.
                return;
            }
            kept = evictOldest(turn.address());
            trace = TurnTrace.newBuilder()
                    .setTenant(turn.address().tenant())
                    .setSessionId(turn.address().sessionId())
                    .setTurnId(turn.turnId())
                    .setCreatedAtMs(context.currentSystemTimeMs())
                    .setEntries(new ArrayList<>())
                    .build();
        }
        List<TraceEntry> entries = new ArrayList<>(trace.getEntries());
        for (TraceEntry.Builder entry : turn.entries()) {
            TraceExplanations.fillEchoedOffset(entry, entries);
            TraceExplanations.summarize(trace, entry);
            if (entries.size() < MAX_ENTRIES) {
                entries.add(entry.build());
            } else if (entries.size() == MAX_ENTRIES) {
                entries.add(TraceExplanations.truncated(MAX_ENTRIES)
                        .setTimeMs(entry.getTimeMs())
                        .build());
            }
        }
        trace.setEntries(entries);
        store.put(key, trace);
        if (kept != null) {
            kept.addLast(key); // once it is in the store
        }
    }

    /**
     * Keeps at most {@code keepTurns - 1} older traces of the session, so the new one makes
     * {@code keepTurns}; returns the keys kept, oldest first, for the new one to join.
     */
    private ArrayDeque<Bytes> evictOldest(SessionAddress address) {
        ArrayDeque<Bytes> kept = recentKeys.computeIfAbsent(address.toString(), a -> storedKeys(address));
        while (kept.size() >= keepTurns) {
            store.delete(kept.removeFirst());
        }
        return kept;
    }

    /** The session's trace keys in the store, oldest first (a scan that reads every trace). */
    private ArrayDeque<Bytes> storedKeys(SessionAddress address) {
        List<KeyValue<Bytes, Long>> stored = new ArrayList<>();
        try (KeyValueIterator<Bytes, TurnTrace> it = store.prefixScan(
                Bytes.wrap(SessionStores.messageKeyPrefix(address.toString())), new BytesSerializer())) {
            it.forEachRemaining(kv -> stored.add(KeyValue.pair(kv.key, kv.value.getCreatedAtMs())));
        }
        stored.sort((a, b) -> Long.compare(a.value, b.value));
        ArrayDeque<Bytes> keys = new ArrayDeque<>(keepTurns + 1);
        stored.forEach(kv -> keys.addLast(kv.key));
        return keys;
    }

    private void clear(String address) {
        List<Bytes> keys = new ArrayList<>();
        try (KeyValueIterator<Bytes, TurnTrace> it =
                store.prefixScan(Bytes.wrap(SessionStores.messageKeyPrefix(address)), new BytesSerializer())) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.forEach(store::delete);
        recentKeys.remove(address);
        // A trace of this pass (the turn the clear cancelled) would come back: it is dropped too.
        pass.values().removeIf(turn -> turn.address().toString().equals(address));
    }

    private void add(SessionAddress address, String turnId, TraceEntry.Builder entry) {
        Bytes key = SessionStores.traceKey(address.toString(), turnId);
        pass.computeIfAbsent(key, k -> new Pass(address, turnId, new ArrayList<>()))
                .entries()
                .add(entry);
    }

    private TraceEntry.Builder entry(String kind) {
        return TraceEntry.newBuilder()
                .setKind(kind == null ? "event" : kind)
                .setTimeMs(context.currentSystemTimeMs())
                .setDecision("")
                .setDetail(new LinkedHashMap<>());
    }
}
