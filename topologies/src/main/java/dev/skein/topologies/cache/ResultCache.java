package dev.skein.topologies.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Results of cacheable (deterministic) tools, by tool, version and canonical arguments, shared by
 * every stream task: entries are read from the global store {@link #STORE} and written through
 * {@link Writes} to the compacted topic that feeds that store on every node. Equal arguments
 * written with other key order or spacing hit the same entry. Only successful results are kept; an
 * entry older than its time to live is a miss, and its removal is published when it is read.
 *
 * <p>A write reaches the store (this task's and every other's) only once the task's transaction
 * has committed and the global thread has read it back: a call made before then misses, and runs.
 */
public final class ResultCache {

    /**
     * The global store, fed by the topic {@code <prefix>tool-result-cache}. Persisted in the
     * topology (before it was global, it named a store of each task, with a changelog): never rename.
     */
    public static final String STORE = "tool-result-cache";

    /** Where entries are written: the topic that feeds {@link #STORE}, in the writing task's transaction. */
    @FunctionalInterface
    public interface Writes {
        /** Publishes {@code result} under {@code key}, stamped {@code timestampMs}; a null result removes the key. */
        void publish(String key, ToolResult result, long timestampMs);
    }

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private final ReadOnlyKeyValueStore<String, ValueAndTimestamp<ToolResult>> store;
    private final Writes writes;
    private final Duration defaultTtl;

    /**
     * @param store the global store {@link #STORE}, which only the global thread writes
     * @param writes the topic that feeds it
     */
    public ResultCache(
            ReadOnlyKeyValueStore<String, ValueAndTimestamp<ToolResult>> store, Writes writes, Duration defaultTtl) {
        this.store = store;
        this.writes = writes;
        this.defaultTtl = defaultTtl;
    }

    /** The cached result for this call, if the tool is cacheable and a fresh one exists. */
    public Optional<ToolResult> lookup(ToolDefinition tool, String argumentsJson, long nowMs) {
        if (!tool.getCacheable()) {
            return Optional.empty();
        }
        String key = key(tool, argumentsJson);
        ValueAndTimestamp<ToolResult> cached = store.get(key);
        if (cached == null) {
            return Optional.empty();
        }
        // Aged by when the topology stored it (the record's timestamp), not by the worker's clock.
        if (nowMs - cached.timestamp() > ttlOf(tool).toMillis()) {
            // A tombstone, so that the entry leaves every node's store and, compacted, the topic.
            writes.publish(key, null, nowMs);
            return Optional.empty();
        }
        return Optional.of(cached.value());
    }

    /** Keeps a successful result of a cacheable tool. */
    public void remember(ToolDefinition tool, String argumentsJson, ToolResult result, long nowMs) {
        if (tool.getCacheable() && result.getStatus() == ToolStatus.OK) {
            writes.publish(key(tool, argumentsJson), result, nowMs);
        }
    }

    private Duration ttlOf(ToolDefinition tool) {
        return tool.getCacheTtlMs() > 0 ? Duration.ofMillis(tool.getCacheTtlMs()) : defaultTtl;
    }

    /** tool@version#sha256(canonical arguments): bounded in size whatever the arguments. */
    static String key(ToolDefinition tool, String argumentsJson) {
        return tool.getName() + "@" + tool.getVersion() + "#" + sha256(canonical(argumentsJson));
    }

    static String canonical(String json) {
        try {
            JsonNode node = CANONICAL.readTree(json);
            // Through plain maps, so that ORDER_MAP_ENTRIES_BY_KEYS sorts the keys at every depth.
            return CANONICAL.writeValueAsString(CANONICAL.treeToValue(node, Object.class));
        } catch (JsonProcessingException e) {
            return json;
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
