package dev.skein.workers.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import dev.skein.events.ToolRequest;
import dev.skein.memory.MemoryStore;
import dev.skein.schemas.ExtractionRequests;
import dev.skein.workers.RequestTool;
import dev.skein.workers.ToolFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code remember}: writes a fact, entity or episode to the caller's long-term memory. */
final class RememberTool implements RequestTool {

    private final MemoryStore store;

    RememberTool(MemoryStore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "remember";
    }

    @Override
    public String description() {
        return "Stores something worth knowing in later conversations with this user: a fact (\"prefers tea\"),"
                + " an entity with its relations, or an episode (what a conversation was about). Returns its id.";
    }

    @Override
    public dev.skein.workers.Retry retry() {
        return MemoryTools.RETRY;
    }

    @Override
    public String parametersSchema() {
        return """
                {"type":"object","properties":{\
                "text":{"type":"string","minLength":1,"maxLength":2000,"description":"The memory, as a self-contained statement"},\
                "kind":{"type":"string","enum":["fact","entity","episode"],"default":"fact"},\
                "entity":{"type":"string","maxLength":200,"description":"What the memory is about, e.g. a person's or product's name"},\
                "relations":{"type":"array","maxItems":20,"items":{"type":"string","maxLength":200},\
                "description":"For an entity: relations as predicate:object, e.g. works_at:Acme"}},\
                "required":["text"],"additionalProperties":false}""";
    }

    @Override
    public String run(JsonNode arguments, ToolRequest request) throws Exception {
        String text = MemoryTools.text(arguments, "text");
        if (text == null || text.isBlank()) {
            throw new ToolFailure("remember needs {\"text\": \"<what to remember>\"}");
        }
        String kindName = MemoryTools.text(arguments, "kind");
        MemoryKind kind = kindName == null ? MemoryKind.FACT : MemoryKind.valueOf(kindName.toUpperCase(Locale.ROOT));
        List<String> relations = new ArrayList<>();
        JsonNode given = arguments.get("relations");
        if (given != null && given.isArray()) {
            given.forEach(r -> relations.add(r.asText()));
        }
        MemoryTools.requireReady(store);
        MemoryRecord record;
        try {
            // The call id is the memory's id: a call delivered twice rewrites one memory.
            record = store.remember(
                    request.getCallId(),
                    request.getTenant(),
                    request.getUserId(),
                    kind,
                    text,
                    MemoryTools.text(arguments, "entity"),
                    relations,
                    request.getSessionId(),
                    // An extraction's call names the user's turn it was extracted from.
                    ExtractionRequests.isExtraction(request.getTurnId())
                            ? ExtractionRequests.sourceTurn(request.getTurnId())
                            : request.getTurnId());
        } catch (IllegalArgumentException e) {
            throw new ToolFailure(e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw MemoryTools.unavailable(e);
        }
        return MemoryTools.JSON
                .createObjectNode()
                .put("remembered", record.getId())
                .toString();
    }
}
