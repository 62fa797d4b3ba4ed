package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionSummary;
import dev.skein.events.TurnTrace;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.topologies.cache.ResultCache;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Builds the session topology: four session-keyed inputs into one {@link SessionProcessor} with
 * its stores, the tool catalog as a global store, and a sink per output. A pure function of its
 * arguments: tests and the runtime call the same builder.
 */
public final class SessionTopology {

    public static final String PROCESSOR = "session-processor";

    /**
     * The reroute sinks, one per input, each writing back to its own input topic with
     * {@link SessionPartitions#partitioner()}: where a record that arrived on a partition that does
     * not own its session goes, in the task's transaction. Persisted in the topology: never rename.
     */
    public static final String TURNS_REROUTE = "turns-reroute";

    public static final String SESSION_COMMANDS_REROUTE = "session-commands-reroute";
    public static final String AGENT_STEPS_REROUTE = "agent-steps-reroute";
    public static final String TOOL_RESULTS_REROUTE = "tool-results-reroute";

    private SessionTopology() {}

    /**
     * @param partitions the partition count of the session-keyed topics ({@link CoPartitioning#verify}
     *     returns it): which partition owns a session, for the check every input record passes
     */
    public static Topology build(SkeinTopics topics, SessionTopologyConfig config, SessionPartitions partitions) {
        return build(topics, config, partitions, CommitRequests.OFF);
    }

    /**
     * @param commits when the topology requests its commits ({@link CommitRequests#OFF}: Kafka
     *     Streams' commit interval alone decides)
     */
    public static Topology build(
            SkeinTopics topics, SessionTopologyConfig config, SessionPartitions partitions, CommitRequests commits) {
        // One pacer for the tasks of all stream threads: it keeps its state per thread (CommitPacer).
        CommitPacer pacer = new CommitPacer(commits);
        Topology topology = new Topology();
        Map<String, String> reroutes = Map.of(
                topics.turns.name(), TURNS_REROUTE,
                topics.sessionCommands.name(), SESSION_COMMANDS_REROUTE,
                topics.agentSteps.name(), AGENT_STEPS_REROUTE,
                topics.toolResults.name(), TOOL_RESULTS_REROUTE);
        TraceRecorder.Topics traceTopics = new TraceRecorder.Topics(
                topics.agentRequests.name(),
                topics.responses.name(),
                tier -> topics.tools(tier).name());
        // Why one processor for all inputs: the state machine must see every event of a session
        // in the order the task receives them, against one consistent view of its stores.
        addSource(topology, "turns-source", topics.turns);
        addSource(topology, "session-commands-source", topics.sessionCommands);
        addSource(topology, "agent-steps-source", topics.agentSteps);
        addSource(topology, "tool-results-source", topics.toolResults);
        topology.addProcessor(
                PROCESSOR,
                () -> new SessionProcessor(config, partitions, reroutes, traceTopics, pacer),
                "turns-source",
                "session-commands-source",
                "agent-steps-source",
                "tool-results-source");

        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(SessionStores.MESSAGES),
                        Serdes.Bytes(),
                        topics.serde(ChatMessage.class)),
                PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(SessionStores.META),
                        Serdes.String(),
                        topics.serde(SessionMeta.class)),
                PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(SessionStores.DEADLINES), Serdes.Bytes(), Serdes.String()),
                PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(SessionStores.SUMMARIES),
                        Serdes.String(),
                        topics.serde(SessionSummary.class)),
                PROCESSOR);
        // Why a store of its own (changelogged, in the task's transaction): a turn's decision trace
        // commits with the state change it explains, and is there after a restart (TraceRecorder).
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(SessionStores.TRACES),
                        Serdes.Bytes(),
                        topics.serde(TurnTrace.class)),
                PROCESSOR);

        // Why an index of its own: expiry reads only the sessions idle for their time to live (SessionExpiry).
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(SessionStores.ACTIVITY), Serdes.Bytes(), Serdes.String()),
                PROCESSOR);

        // The catalog and the worker heartbeats are small and every task needs all of them: global
        // stores, each fed by its compacted topic.
        addGlobalTable(topology, SessionStores.TOOL_CATALOG, topics.toolCatalog);
        addGlobalTable(topology, SessionStores.WORKERS, topics.workers);
        // Why global: sessions on every partition ask for the same calls, so a result one task
        // learns must serve them all. The task writes the topic (TO_RESULT_CACHE, in its
        // transaction); every node's global thread reads it back into the store.
        addGlobalTable(topology, ResultCache.STORE, topics.resultCache);

        addSink(topology, SessionProcessor.TO_AGENT_REQUESTS, topics.agentRequests);
        addSink(topology, SessionProcessor.TO_RESPONSES, topics.responses);
        addSink(topology, SessionProcessor.TO_DELTAS, topics.deltas);
        addSink(topology, SessionProcessor.TO_DEAD_LETTERS, topics.deadLetters);
        addSink(topology, SessionProcessor.TO_RESULT_CACHE, topics.resultCache);
        // Why back to the input topic itself: the record keeps its topic, its subject and its meaning,
        // and reaches the task that owns its session through the same source as any other record.
        addReroute(topology, TURNS_REROUTE, topics.turns, partitions);
        addReroute(topology, SESSION_COMMANDS_REROUTE, topics.sessionCommands, partitions);
        addReroute(topology, AGENT_STEPS_REROUTE, topics.agentSteps, partitions);
        addReroute(topology, TOOL_RESULTS_REROUTE, topics.toolResults, partitions);
        @SuppressWarnings("unchecked")
        Serializer<SpecificRecord> requestSerializer = (Serializer<SpecificRecord>) (Serializer<?>)
                topics.tools(config.tiers().getFirst().name()).valueSerde().serializer();
        // Why a topic-name extractor: each request goes to the topic of the tier the router chose.
        topology.addSink(
                SessionProcessor.TO_TOOL_REQUESTS,
                (key, value, recordContext) -> topics.tools(((dev.skein.events.ToolRequest) value).getTier())
                        .name(),
                Serdes.String().serializer(),
                requestSerializer,
                PROCESSOR);
        return topology;
    }

    private static <V extends SpecificRecord> void addGlobalTable(
            Topology topology, String store, Topic<String, V> topic) {
        topology.addGlobalStore(
                Stores.timestampedKeyValueStoreBuilder(
                                Stores.persistentTimestampedKeyValueStore(store), Serdes.String(), topic.valueSerde())
                        .withLoggingDisabled(),
                store + "-source",
                Serdes.String().deserializer(),
                topic.valueSerde().deserializer(),
                topic.name(),
                store + "-updater",
                () -> new GlobalTableUpdater<V>(store));
    }

    private static void addSource(Topology topology, String name, Topic<String, ? extends SpecificRecord> topic) {
        topology.addSource(
                name, Serdes.String().deserializer(), topic.valueSerde().deserializer(), topic.name());
    }

    @SuppressWarnings("unchecked")
    private static void addSink(Topology topology, String name, Topic<String, ? extends SpecificRecord> topic) {
        Serializer<SpecificRecord> serializer =
                (Serializer<SpecificRecord>) topic.valueSerde().serializer();
        topology.addSink(name, topic.name(), Serdes.String().serializer(), serializer, PROCESSOR);
    }

    @SuppressWarnings("unchecked")
    private static void addReroute(
            Topology topology,
            String name,
            Topic<String, ? extends SpecificRecord> topic,
            SessionPartitions partitions) {
        Serializer<SpecificRecord> serializer =
                (Serializer<SpecificRecord>) topic.valueSerde().serializer();
        topology.addSink(
                name, topic.name(), Serdes.String().serializer(), serializer, partitions.partitioner(), PROCESSOR);
    }

    /** Keeps a global store equal to its compacted topic: latest value per key, deleted on tombstone. */
    static final class GlobalTableUpdater<V> implements Processor<String, V, Void, Void> {
        private final String storeName;
        private TimestampedKeyValueStore<String, V> store;

        GlobalTableUpdater(String storeName) {
            this.storeName = storeName;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(storeName);
        }

        @Override
        public void process(Record<String, V> record) {
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), ValueAndTimestamp.make(record.value(), record.timestamp()));
            }
        }
    }
}
