package dev.skein.workers.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.events.ToolRequest;
import dev.skein.memory.MemoryStore;
import dev.skein.workers.RequestTool;
import dev.skein.workers.ToolFailure;

/** {@code forget}: removes one of the caller's memories by id (a tombstone on the topic). */
final class ForgetTool implements RequestTool {

    private final MemoryStore store;

    ForgetTool(MemoryStore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "forget";
    }

    @Override
    public String description() {
        return "Removes one memory of this user for good, by the id that remember or recall gave.";
    }

    @Override
    public dev.skein.workers.Retry retry() {
        return MemoryTools.RETRY;
    }

    @Override
    public String parametersSchema() {
        return """
                {"type":"object","properties":{\
                "id":{"type":"string","minLength":1,"maxLength":200,"description":"The memory's id"}},\
                "required":["id"],"additionalProperties":false}""";
    }

    @Override
    public String run(JsonNode arguments, ToolRequest request) throws Exception {
        String id = MemoryTools.text(arguments, "id");
        if (id == null || id.isBlank()) {
            throw new ToolFailure("forget needs {\"id\": \"<memory id>\"}");
        }
        MemoryTools.requireReady(store);
        boolean forgotten;
        try {
            forgotten = store.forget(request.getTenant(), request.getUserId(), id);
        } catch (IllegalArgumentException e) {
            throw new ToolFailure(e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw MemoryTools.unavailable(e);
        }
        if (!forgotten) {
            throw new ToolFailure("no memory '" + id + "' of this user (recall lists the ids)");
        }
        return MemoryTools.JSON.createObjectNode().put("forgotten", id).toString();
    }
}
