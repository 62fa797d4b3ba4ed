package dev.skein.topologies.session;

import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * The tools agents may call and the workers that announced themselves, as the global stores
 * {@link SessionStores#TOOL_CATALOG} and {@link SessionStores#WORKERS} hold them. Both are small
 * and read whole.
 */
final class ToolCatalog {

    private final TimestampedKeyValueStore<String, ToolDefinition> tools;
    private final TimestampedKeyValueStore<String, WorkerHeartbeat> workers;

    ToolCatalog(
            TimestampedKeyValueStore<String, ToolDefinition> tools,
            TimestampedKeyValueStore<String, WorkerHeartbeat> workers) {
        this.tools = tools;
        this.workers = workers;
    }

    static ToolCatalog of(ProcessingContext context) {
        return new ToolCatalog(
                context.getStateStore(SessionStores.TOOL_CATALOG), context.getStateStore(SessionStores.WORKERS));
    }

    /** The tool of that name; null when the catalog has none. */
    ToolDefinition tool(String name) {
        ValueAndTimestamp<ToolDefinition> found = tools.get(name);
        return found == null ? null : found.value();
    }

    List<ToolDefinition> tools() {
        return valuesOf(tools);
    }

    /** Every worker's last heartbeat, live or not: liveness is the router's to judge. */
    List<WorkerHeartbeat> workers() {
        return valuesOf(workers);
    }

    private static <V> List<V> valuesOf(TimestampedKeyValueStore<String, V> store) {
        List<V> values = new ArrayList<>();
        try (KeyValueIterator<String, ValueAndTimestamp<V>> it = store.all()) {
            it.forEachRemaining(kv -> {
                if (kv.value != null && kv.value.value() != null) {
                    values.add(kv.value.value());
                }
            });
        }
        return values;
    }
}
