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
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Results of cacheable (deterministic) tools, by tool, version and canonical arguments, in the
 * persistent store {@link #STORE}. Equal arguments written with other key order or spacing hit the
 * same entry. Only successful results are kept; an entry older than its time to live is a miss
 * and is deleted when read.
 */
public final class ResultCache {

    public static final String STORE = "tool-result-cache";

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private final TimestampedKeyValueStore<String, ToolResult> store;
    private final Duration defaultTtl;

    public ResultCache(TimestampedKeyValueStore<String, ToolResult> store, Duration defaultTtl) {
        this.store = store;
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
        // Aged by when the topology stored it, not by the worker's clock.
        if (nowMs - cached.timestamp() > ttlOf(tool).toMillis()) {
            store.delete(key);
            return Optional.empty();
        }
        return Optional.of(cached.value());
    }

    /** Keeps a successful result of a cacheable tool. */
    public void remember(ToolDefinition tool, String argumentsJson, ToolResult result, long nowMs) {
        if (tool.getCacheable() && result.getStatus() == ToolStatus.OK) {
            store.put(key(tool, argumentsJson), ValueAndTimestamp.make(result, nowMs));
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
