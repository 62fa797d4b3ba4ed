package dev.skein.workers.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.events.MemoryRecord;
import dev.skein.memory.MemoryStore;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolFailure;
import java.util.List;

/**
 * The built-in memory tools, {@code remember}, {@code recall} and {@code forget}, over one
 * {@link MemoryStore} (the worker's: it writes the memories topic and keeps an index rebuilt from
 * it). They act for the request's tenant and user only: neither is an argument the model can set.
 */
public final class MemoryTools {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Retryable failures (the index still rebuilding, the topic out of reach) run again a little later. */
    static final dev.skein.workers.Retry RETRY = dev.skein.workers.Retry.none()
            .withMaxAttempts(4)
            .withBackoff(java.time.Duration.ofMillis(500), 2.0, java.time.Duration.ofSeconds(5));

    private MemoryTools() {}

    /** The three tools, sharing {@code store}; {@code defaultLimit} is recall's k when the call names none. */
    public static List<Tool> all(MemoryStore store, int defaultLimit) {
        return List.of(new RememberTool(store), new RecallTool(store, defaultLimit), new ForgetTool(store));
    }

    static String text(JsonNode arguments, String field) {
        JsonNode node = arguments.get(field);
        return node == null || node.isNull() || !node.isTextual() ? null : node.asText();
    }

    static ObjectNode describe(MemoryRecord record) {
        ObjectNode node = JSON.createObjectNode()
                .put("id", record.getId())
                .put("kind", record.getKind().name().toLowerCase(java.util.Locale.ROOT))
                .put("text", record.getText())
                .put("createdAtMs", record.getCreatedAtMs());
        if (record.getEntity() != null) {
            node.put("entity", record.getEntity());
        }
        if (!record.getRelations().isEmpty()) {
            ArrayNode relations = node.putArray("relations");
            record.getRelations().forEach(relations::add);
        }
        if (record.getSourceSessionId() != null) {
            node.put("sourceSession", record.getSourceSessionId());
        }
        return node;
    }

    /** Refuses (for another attempt) while the index is still being rebuilt: it would miss memories. */
    static void requireReady(MemoryStore store) throws ToolFailure {
        if (!store.ready().isDone() || store.ready().isCompletedExceptionally()) {
            String problem = store.problem();
            throw ToolFailure.retryable("memory is not ready yet" + (problem == null ? "" : ": " + problem));
        }
    }

    static ToolFailure unavailable(RuntimeException e) {
        // The topic or the index is out of reach: another attempt (or worker) may succeed.
        return ToolFailure.retryable("memory is unavailable: " + e.getMessage(), e);
    }
}
