package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.DeadLetter;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.events.TurnTrace;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.topologies.cache.ResultCache;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One {@link SessionProcessor} driven with {@link MockProcessorContext}: that it takes its stores
 * by their topology names, forwards to the child names the topology's sinks use, schedules its
 * punctuator, and dead-letters events that do not belong to the session their key names.
 */
class SessionProcessorTest {

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    private final SessionTopologyConfig config =
            TestSessionConfig.builder().turnTimeout(Duration.ofSeconds(30)).build();
    private final MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>();
    // With 4 partitions, acme/s1 belongs to partition 3, where the records of these tests arrive.
    private final SessionPartitions partitions = new SessionPartitions(4);
    private final SessionProcessor processor = new SessionProcessor(
            config,
            partitions,
            Map.of(
                    topics.turns.name(), SessionTopology.TURNS_REROUTE,
                    topics.sessionCommands.name(), SessionTopology.SESSION_COMMANDS_REROUTE,
                    topics.agentSteps.name(), SessionTopology.AGENT_STEPS_REROUTE,
                    topics.toolResults.name(), SessionTopology.TOOL_RESULTS_REROUTE),
            new TraceRecorder.Topics(
                    topics.agentRequests.name(),
                    topics.responses.name(),
                    tier -> topics.tools(tier).name()));
    private KeyValueStore<String, SessionMeta> metas;
    private KeyValueStore<Bytes, TurnTrace> traces;
    private TimestampedKeyValueStore<String, ToolDefinition> catalog;
    private TimestampedKeyValueStore<String, WorkerHeartbeat> workers;

    @BeforeEach
    void init() {
        add(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SessionStores.MESSAGES),
                        Serdes.Bytes(),
                        topics.serde(ChatMessage.class))
                .withLoggingDisabled()
                .build());
        metas = add(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SessionStores.META),
                        Serdes.String(),
                        topics.serde(SessionMeta.class))
                .withLoggingDisabled()
                .build());
        add(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SessionStores.DEADLINES), Serdes.Bytes(), Serdes.String())
                .withLoggingDisabled()
                .build());
        add(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SessionStores.SUMMARIES),
                        Serdes.String(),
                        topics.serde(dev.skein.events.SessionSummary.class))
                .withLoggingDisabled()
                .build());
        add(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SessionStores.ACTIVITY), Serdes.Bytes(), Serdes.String())
                .withLoggingDisabled()
                .build());
        traces = add(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(SessionStores.TRACES),
                        Serdes.Bytes(),
                        topics.serde(TurnTrace.class))
                .withLoggingDisabled()
                .build());
        add(timestamped(ResultCache.STORE, topics.serde(ToolResult.class)));
        catalog = add(timestamped(SessionStores.TOOL_CATALOG, topics.serde(ToolDefinition.class)));
        workers = add(timestamped(SessionStores.WORKERS, topics.serde(WorkerHeartbeat.class)));
        context.setCurrentSystemTimeMs(START_MS);
        context.setRecordMetadata("skein.turns", 3, 17L);
        processor.init(context);
    }

    @Test
    void aTurnIsTracedWithWhereItArrivedAndTheInvocationItCaused() {
        processor.process(new Record<>("acme/s1", turn("t1", "hello"), START_MS));

        TurnTrace trace = traces.get(SessionStores.traceKey("acme/s1", "t1"));
        assertThat(trace.getEntries())
                .extracting(e -> e.getKind(), e -> e.getTopic(), e -> e.getPartition(), e -> e.getOffset())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("turn-requested", "skein.turns", 3, 17L),
                        // Its offset is not known until the runner that answers it echoes it.
                        org.assertj.core.groups.Tuple.tuple("agent-invoked", "skein.agent-requests", 3, null));
        assertThat(trace.getEntries().get(1).getDecision()).startsWith("asked agent 'demo' for step 0");
    }

    @Test
    void aTurnIsForwardedToTheAgentRequestsChildKeyedByItsSession() {
        processor.process(new Record<>("acme/s1", turn("t1", "hello"), START_MS));

        assertThat(context.forwarded())
                .extracting(f -> f.childName().orElseThrow())
                .containsExactly(SessionProcessor.TO_DELTAS, SessionProcessor.TO_AGENT_REQUESTS);
        CapturedForward<? extends String, ? extends SpecificRecord> forward =
                context.forwarded(SessionProcessor.TO_AGENT_REQUESTS).getFirst();
        assertThat(forward.record().key()).isEqualTo("acme/s1");
        assertThat(forward.record().timestamp()).isEqualTo(START_MS);
        assertThat(((AgentInvocation) forward.record().value()).getTurnId()).isEqualTo("t1");
        assertThat(metas.get("acme/s1").getActiveTurn().getTurnId()).isEqualTo("t1");
    }

    @Test
    void aToolCallIsForwardedToTheToolRequestsChildKeyedByItsCallId() {
        catalog.put("square", ValueAndTimestamp.make(tool("square", 0.5, false, false), START_MS));
        workers.put("worker-1", ValueAndTimestamp.make(worker("worker-1", "small", 1, START_MS), START_MS));
        processor.process(new Record<>("acme/s1", turn("t1", "square 3"), START_MS));
        context.resetForwards();

        processor.process(
                new Record<>("acme/s1", toolCalls("t1", 0, new ToolCall("c1", "square", "{\"n\":3}")), START_MS));

        assertThat(context.forwarded(SessionProcessor.TO_TOOL_REQUESTS))
                .singleElement()
                .satisfies(forward -> {
                    assertThat(forward.record().key()).isEqualTo("c1");
                    assertThat(((ToolRequest) forward.record().value()).getTier())
                            .isEqualTo("small");
                });
        assertThat(context.forwarded()).hasSize(1);
    }

    @Test
    void thePunctuatorRunsOnWallClockTimeAndFailsTurnsPastTheirDeadline() {
        // Nothing is due, so nothing is scheduled: a punctuation would make the task commit.
        assertThat(context.scheduledPunctuators()).isEmpty();
        processor.process(new Record<>("acme/s1", turn("t1", "hello"), START_MS));
        context.resetForwards();

        CapturedPunctuator punctuator = context.scheduledPunctuators().getFirst();
        assertThat(context.scheduledPunctuators()).hasSize(1);
        assertThat(punctuator.getType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
        // Armed for just after the turn's deadline (30 s from the time the test context reads).
        assertThat(punctuator.getInterval())
                .isEqualTo(Duration.ofMillis(START_MS + 30_001 - context.currentSystemTimeMs()));

        long late = START_MS + 30_001;
        context.setCurrentSystemTimeMs(late);
        punctuator.getPunctuator().punctuate(late);

        List<CapturedForward<? extends String, ? extends SpecificRecord>> responses =
                context.forwarded(SessionProcessor.TO_RESPONSES);
        assertThat(responses).singleElement().satisfies(forward -> {
            assertThat(forward.record().key()).isEqualTo("acme/s1");
            TurnCompleted failed = (TurnCompleted) forward.record().value();
            assertThat(failed.getStatus()).isEqualTo(TurnStatus.FAILED);
            assertThat(failed.getError()).startsWith("turn timed out after 30000 ms");
        });
        // Rung once and not re-armed: the index is empty again.
        assertThat(punctuator.cancelled()).isTrue();
        assertThat(context.scheduledPunctuators()).hasSize(1);
    }

    @Test
    void aTimeoutBeyondTheEndOfTimeMeansNoDeadlineRatherThanAnOverflowedOne() {
        TurnRequested forever = turn("t1", "hello");
        forever.setTimeoutMs(Long.MAX_VALUE);

        processor.process(new Record<>("acme/s1", forever, START_MS));

        // Before, now + timeout wrapped to a deadline in 1970's past, which sorts last in the index
        // and never came due; the alarm would have re-armed for it forever.
        assertThat(metas.get("acme/s1").getActiveTurn().getDeadlineMs()).isEqualTo(Long.MAX_VALUE);
        assertThat(context.scheduledPunctuators()).isEmpty();
    }

    @Test
    void anEventForAnotherSessionThanItsKeyGoesToTheDeadLettersChildWithItsOrigin() {
        processor.process(new Record<>("acme/other", turn("t1", "hello"), START_MS));

        assertThat(context.forwarded()).singleElement().satisfies(forward -> {
            assertThat(forward.childName()).contains(SessionProcessor.TO_DEAD_LETTERS);
            assertThat(forward.record().key()).isEqualTo("acme/other");
            DeadLetter letter = (DeadLetter) forward.record().value();
            assertThat(letter.getTopic()).isEqualTo("skein.turns");
            assertThat(letter.getPartition()).isEqualTo(3);
            assertThat(letter.getOffset()).isEqualTo(17L);
            assertThat(letter.getComponent()).isEqualTo("session-topology");
            assertThat(letter.getCause())
                    .startsWith("key acme/other does not match the event's tenant/sessionId acme/s1; event: {");
            assertThat(letter.getTimestampMs()).isEqualTo(START_MS);
            assertThat(letter.getKey()).isNull();
        });
        assertThat(metas.get("acme/other")).isNull();
    }

    @Test
    void aKeyThatIsNoSessionAddressAndARecordWithoutValueAreDeadLetters() {
        processor.process(new Record<>("not-an-address", turn("t1", "hello"), START_MS));
        processor.process(new Record<>("acme/s1", null, START_MS));

        assertThat(context.forwarded(SessionProcessor.TO_DEAD_LETTERS))
                .extracting(forward -> ((DeadLetter) forward.record().value()).getCause())
                .satisfiesExactly(
                        // The event is quoted up to 200 characters, so that a huge record cannot make a huge cause.
                        cause -> assertThat(cause)
                                .startsWith("invalid session address key: session address 'not-an-address' must be"
                                        + " <tenant>/<session-id>; event: "
                                        + turn("t1", "hello").toString().substring(0, 150))
                                .hasSizeLessThanOrEqualTo(cause.indexOf("; event: ") + "; event: ".length() + 203),
                        cause -> assertThat(cause).isEqualTo("record has no value"));
        assertThat(context.forwarded()).hasSize(2);
    }

    @Test
    void aRecordOnAPartitionThatDoesNotOwnItsSessionIsForwardedToItsOwnerUnapplied() {
        context.setRecordMetadata("skein.turns", 1, 42L);
        Headers headers = new RecordHeaders().add("traceparent", "00-abc-01".getBytes(StandardCharsets.UTF_8));
        TurnRequested turn = turn("t1", "hello");

        processor.process(new Record<String, SpecificRecord>("acme/s1", turn, START_MS - 5, headers));

        assertThat(context.forwarded()).singleElement().satisfies(forward -> {
            assertThat(forward.childName()).contains(SessionTopology.TURNS_REROUTE);
            assertThat(forward.record().key()).isEqualTo("acme/s1");
            assertThat(forward.record().value()).isEqualTo(turn);
            assertThat(forward.record().timestamp()).isEqualTo(START_MS - 5);
            assertThat(forward.record().headers().lastHeader("traceparent").value())
                    .asString(StandardCharsets.UTF_8)
                    .isEqualTo("00-abc-01");
            assertThat(forward.record()
                            .headers()
                            .lastHeader(SessionPartitions.REROUTED_FROM_HEADER)
                            .value())
                    .asString(StandardCharsets.UTF_8)
                    .isEqualTo("skein.turns-1@42");
        });
        assertThat(metas.get("acme/s1")).isNull();
    }

    @Test
    void everyInputIsForwardedBackToItsOwnTopic() {
        processor.process(new Record<>("acme/s1", turn("t1", "hello"), START_MS));
        context.resetForwards();
        List<String> sinks = new java.util.ArrayList<>();
        for (Map.Entry<String, SpecificRecord> input : Map.<String, SpecificRecord>of(
                        topics.sessionCommands.name(),
                                SessionEvents.command(dev.skein.events.CommandKind.CLEAR_HISTORY),
                        topics.agentSteps.name(), SessionEvents.answer("t1", 0, "hi"),
                        topics.toolResults.name(), SessionEvents.result("t1", 0, "c1", "1"))
                .entrySet()) {
            context.setRecordMetadata(input.getKey(), 0, 1L);
            processor.process(new Record<>("acme/s1", input.getValue(), START_MS));
            sinks.add(input.getKey() + " -> "
                    + context.forwarded().getLast().childName().orElseThrow());
        }

        assertThat(sinks)
                .containsExactlyInAnyOrder(
                        "skein.session-commands -> " + SessionTopology.SESSION_COMMANDS_REROUTE,
                        "skein.agent-steps -> " + SessionTopology.AGENT_STEPS_REROUTE,
                        "skein.tool-results -> " + SessionTopology.TOOL_RESULTS_REROUTE);
        assertThat(context.forwarded()).hasSize(3);
        assertThat(metas.get("acme/s1").getActiveTurn().getTurnId()).isEqualTo("t1");
    }

    @Test
    void aForwardedRecordThatStillArrivesOnTheWrongPartitionIsADeadLetterNotALoop() {
        context.setRecordMetadata("skein.turns", 0, 43L);
        Headers headers = new RecordHeaders()
                .add(SessionPartitions.REROUTED_FROM_HEADER, "skein.turns-1@42".getBytes(StandardCharsets.UTF_8));

        processor.process(new Record<String, SpecificRecord>("acme/s1", turn("t1", "hello"), START_MS, headers));

        assertThat(context.forwarded()).singleElement().satisfies(forward -> {
            assertThat(forward.childName()).contains(SessionProcessor.TO_DEAD_LETTERS);
            assertThat(((DeadLetter) forward.record().value()).getCause())
                    .startsWith("session acme/s1 belongs to partition 3 of 4 but arrived on skein.turns-0@43 after it"
                            + " had been forwarded once");
        });
        assertThat(metas.get("acme/s1")).isNull();
    }

    @Test
    void theOwnerOfASessionIsThePartitionKafkasJavaProducerPicksForItsKey() {
        for (int count = 1; count <= 12; count++) {
            SessionPartitions counted = new SessionPartitions(count);
            for (int i = 0; i < 200; i++) {
                String key = "tenant-" + (i % 7) + "/session-" + i;
                assertThat(counted.ownerOf(key))
                        .isEqualTo(org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
                                key.getBytes(StandardCharsets.UTF_8), count));
            }
        }
    }

    private <S extends StateStore> S add(S store) {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    private static <V> TimestampedKeyValueStore<String, V> timestamped(String name, Serde<V> serde) {
        return Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
                .withLoggingDisabled()
                .build();
    }
}
