package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionSummary;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolResult;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.topologies.cache.ResultCache;
import dev.skein.topologies.routing.TierRouter;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * The parts of the state machine wired as {@link SessionProcessor#init} wires them, over
 * in-memory stores with the topology's names and serdes, a clock the test sets, and a
 * {@link RecordingOutput} in place of the processor's children. No topology runs.
 */
final class SessionFixture {

    final SessionTopologyConfig config;
    final RecordingOutput output = new RecordingOutput();
    /** Each refused call as tenant/tool. */
    final List<String> refusedCalls = new ArrayList<>();

    private final RefusedCalls refused = (tenant, tool) -> refusedCalls.add(tenant + "/" + tool);
    final KeyValueStore<Bytes, ChatMessage> messages;
    final KeyValueStore<String, SessionMeta> metas;
    final KeyValueStore<Bytes, String> deadlines;
    final KeyValueStore<String, SessionSummary> summaries;
    final TimestampedKeyValueStore<String, ToolDefinition> catalogStore;
    final TimestampedKeyValueStore<String, WorkerHeartbeat> workerStore;
    final TimestampedKeyValueStore<String, ToolResult> cacheStore;
    final Sessions sessions;
    final ToolCatalog catalog;
    final Turns turns;
    final ToolCalls toolCalls;
    final AgentSteps steps;
    final SessionCommands commands;
    final TurnDeadlines turnDeadlines;
    long nowMs = SessionEvents.START_MS;

    SessionFixture(SessionTopologyConfig config) {
        this.config = config;
        SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
        MockProcessorContext<?, ?> context = new MockProcessorContext<>();
        messages = init(
                context,
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(SessionStores.MESSAGES),
                                Serdes.Bytes(),
                                topics.serde(ChatMessage.class))
                        .withLoggingDisabled()
                        .build());
        metas = init(
                context,
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(SessionStores.META),
                                Serdes.String(),
                                topics.serde(SessionMeta.class))
                        .withLoggingDisabled()
                        .build());
        deadlines = init(
                context,
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(SessionStores.DEADLINES), Serdes.Bytes(), Serdes.String())
                        .withLoggingDisabled()
                        .build());
        summaries = init(
                context,
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(SessionStores.SUMMARIES),
                                Serdes.String(),
                                topics.serde(SessionSummary.class))
                        .withLoggingDisabled()
                        .build());
        KeyValueStore<Bytes, String> activity = init(
                context,
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(SessionStores.ACTIVITY), Serdes.Bytes(), Serdes.String())
                        .withLoggingDisabled()
                        .build());
        catalogStore = init(context, timestamped(SessionStores.TOOL_CATALOG, topics.serde(ToolDefinition.class)));
        workerStore = init(context, timestamped(SessionStores.WORKERS, topics.serde(WorkerHeartbeat.class)));
        cacheStore = init(context, timestamped(ResultCache.STORE, topics.serde(ToolResult.class)));

        sessions = new Sessions(
                messages,
                metas,
                deadlines,
                summaries,
                activity,
                config.retention(),
                config.rememberedTurnIds(),
                () -> nowMs);
        catalog = new ToolCatalog(catalogStore, workerStore);
        turns = new Turns(config, sessions, catalog, output);
        toolCalls = new ToolCalls(
                sessions,
                catalog,
                // Every write reaches the shared store at once, as if committed and read back by the global thread.
                new ResultCache(
                        cacheStore,
                        (key, result, timestampMs) -> {
                            if (result == null) {
                                cacheStore.delete(key);
                            } else {
                                cacheStore.put(key, ValueAndTimestamp.make(result, timestampMs));
                            }
                        },
                        config.cacheTtl()),
                new TierRouter(config.tiers(), config.workerTimeout()),
                config.approvals(),
                config.access(),
                refused,
                turns,
                output);
        steps = new AgentSteps(config, sessions, turns, toolCalls);
        commands = new SessionCommands(sessions, turns, toolCalls);
        turnDeadlines = new TurnDeadlines(sessions, turns);
    }

    SessionFixture() {
        this(TestSessionConfig.builder().build());
    }

    void addTool(ToolDefinition tool) {
        catalogStore.put(tool.getName(), ValueAndTimestamp.make(tool, nowMs));
    }

    void addWorker(WorkerHeartbeat worker) {
        workerStore.put(worker.getWorkerId(), ValueAndTimestamp.make(worker, nowMs));
    }

    /** The saved meta of {@link SessionEvents#ADDRESS}; null when none was saved. */
    SessionMeta meta() {
        return metas.get(SessionEvents.ADDRESS.toString());
    }

    /** The history of {@link SessionEvents#ADDRESS}, as saved. */
    List<ChatMessage> history() {
        return SessionHistory.all(messages, SessionEvents.ADDRESS.toString(), meta());
    }

    /** Every entry of the deadline index, oldest first. */
    List<KeyValue<Bytes, String>> deadlineEntries() {
        List<KeyValue<Bytes, String>> entries = new ArrayList<>();
        try (KeyValueIterator<Bytes, String> it = deadlines.all()) {
            it.forEachRemaining(entries::add);
        }
        return entries;
    }

    private static <V> TimestampedKeyValueStore<String, V> timestamped(String name, Serde<V> serde) {
        return Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
                .withLoggingDisabled()
                .build();
    }

    private static <S extends StateStore> S init(MockProcessorContext<?, ?> context, S store) {
        store.init(context.getStateStoreContext(), store);
        return store;
    }
}
