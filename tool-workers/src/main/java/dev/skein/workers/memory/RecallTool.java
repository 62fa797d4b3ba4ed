package dev.skein.workers.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import dev.skein.events.ToolRequest;
import dev.skein.memory.MemoryQuery;
import dev.skein.memory.MemoryStore;
import dev.skein.workers.RequestTool;
import dev.skein.workers.ToolFailure;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code recall}: the caller's memories nearest to a question, within optional filters. */
final class RecallTool implements RequestTool {

    private static final int MAX_LIMIT = 50;

    private final MemoryStore store;
    private final int defaultLimit;

    RecallTool(MemoryStore store, int defaultLimit) {
        this.store = store;
        this.defaultLimit = defaultLimit;
    }

    @Override
    public String name() {
        return "recall";
    }

    @Override
    public String description() {
        return "Searches this user's long-term memory (from earlier conversations) by meaning: returns the"
                + " memories nearest to the query, optionally only of one kind, about one entity, or since a time.";
    }

    @Override
    public dev.skein.workers.Retry retry() {
        return MemoryTools.RETRY;
    }

    @Override
    public String parametersSchema() {
        return """
                {"type":"object","properties":{\
                "query":{"type":"string","minLength":1,"maxLength":2000,"description":"What to look for, e.g. where does the user live"},\
                "kind":{"type":"string","enum":["fact","entity","episode"]},\
                "entity":{"type":"string","maxLength":200},\
                "sinceMs":{"type":"integer","minimum":0,"description":"Only memories written at or after this epoch millisecond"},\
                "limit":{"type":"integer","minimum":1,"maximum":50}},\
                "required":["query"],"additionalProperties":false}""";
    }

    @Override
    public String run(JsonNode arguments, ToolRequest request) throws Exception {
        String query = MemoryTools.text(arguments, "query");
        if (query == null || query.isBlank()) {
            throw new ToolFailure("recall needs {\"query\": \"<what to look for>\"}");
        }
        int limit =
                arguments.hasNonNull("limit") ? Math.min(arguments.get("limit").asInt(), MAX_LIMIT) : defaultLimit;
        MemoryQuery search = MemoryQuery.recall(request.getTenant(), request.getUserId(), query, Math.max(1, limit));
        String kind = MemoryTools.text(arguments, "kind");
        if (kind != null) {
            search = search.withKinds(Set.of(MemoryKind.valueOf(kind.toUpperCase(Locale.ROOT))));
        }
        search = search.withEntity(MemoryTools.text(arguments, "entity"));
        if (arguments.hasNonNull("sinceMs")) {
            search = search.withTime(arguments.get("sinceMs").asLong(), null);
        }
        MemoryTools.requireReady(store);
        List<MemoryRecord> found;
        try {
            found = store.search(search);
        } catch (RuntimeException e) {
            throw MemoryTools.unavailable(e);
        }
        ArrayNode memories = MemoryTools.JSON.createArrayNode();
        found.forEach(record -> memories.add(MemoryTools.describe(record)));
        return MemoryTools.JSON.createObjectNode().set("memories", memories).toString();
    }

    /** It only reads memories: safe to start before the session topology commits its request. */
    @Override
    public boolean sideEffects() {
        return false;
    }
}
