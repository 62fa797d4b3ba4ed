package dev.skein.workers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.events.ToolRequest;

/**
 * A tool that needs to know whose call it runs: the tenant, user, session and turn of the request
 * (the memory tools, which must never read or write another tenant's or user's memories). The
 * worker calls {@link #run(JsonNode, ToolRequest)}; the one-argument {@link #run(JsonNode)} is
 * refused, so such a tool never runs without its caller.
 */
public interface RequestTool extends Tool {

    /** Runs one call of {@code request} (its tenant and user are the caller's, set by Skein, not the model). */
    String run(JsonNode arguments, ToolRequest request) throws Exception;

    @Override
    default String run(JsonNode arguments) throws ToolFailure {
        throw new ToolFailure(name() + " runs only for a tool request (it needs the caller's tenant)");
    }
}
