package dev.skein.workers.mcp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.Retry;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolFailure;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.Map;

/**
 * One tool of an MCP server, offered as a Skein tool: its schema is the server's {@code inputSchema}
 * (so the session validates arguments before dispatch, as for any tool), its needs, timeout and
 * flags come from the server's {@link McpServerSpec}, and a call goes to the server through its
 * {@link McpToolSource}. It has side effects unless the server annotates it {@code readOnlyHint:
 * true} and the spec trusts that hint for it: an annotation is the server's word, not a guarantee.
 */
final class McpTool implements Tool {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final McpToolSource source;
    private final McpServerSpec spec;
    private final String name;
    private final String mcpName;
    private final String description;
    private final String schema;
    private final boolean readOnlyHint;

    McpTool(
            McpToolSource source,
            McpServerSpec spec,
            String name,
            String mcpName,
            String description,
            String schema,
            boolean readOnlyHint) {
        this.source = source;
        this.spec = spec;
        this.name = name;
        this.mcpName = mcpName;
        this.description = description;
        this.schema = schema;
        this.readOnlyHint = readOnlyHint;
    }

    /** The tool's name on its MCP server. */
    String mcpName() {
        return mcpName;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String parametersSchema() {
        return schema;
    }

    @Override
    public Resources resources() {
        return spec.resources();
    }

    @Override
    public Duration timeout() {
        return spec.timeout();
    }

    @Override
    public Retry retry() {
        // Only failures raised before the request left (McpToolSource marks them retryable) run again.
        return Retry.none().withMaxAttempts(spec.retries() + 1);
    }

    @Override
    public boolean cacheable() {
        return spec.isCacheable(mcpName);
    }

    @Override
    public boolean requiresApproval() {
        return spec.requiresApproval(mcpName);
    }

    @Override
    public boolean sideEffects() {
        return !(readOnlyHint && spec.trustsReadOnlyHint(mcpName));
    }

    @Override
    public String run(JsonNode arguments) throws ToolFailure, InterruptedException {
        Map<String, Object> args = JSON.convertValue(arguments, new TypeReference<Map<String, Object>>() {});
        return source.call(mcpName, args);
    }

    /** Same definition (what the catalog compares): a list change that leaves it alone re-offers nothing. */
    boolean sameAs(McpTool other) {
        return other != null
                && name.equals(other.name)
                && mcpName.equals(other.mcpName)
                && description.equals(other.description)
                && schema.equals(other.schema)
                && sideEffects() == other.sideEffects();
    }

    /** The server's {@code readOnlyHint}; MCP's default is false: an unannotated tool may modify its environment. */
    static boolean readOnlyHint(McpSchema.Tool tool) {
        return tool.annotations() != null
                && Boolean.TRUE.equals(tool.annotations().readOnlyHint());
    }

    /** A result's text content (other content and structured content as JSON), as an agent reads it. */
    static String text(McpSchema.CallToolResult result) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        for (McpSchema.Content content :
                result.content() == null ? java.util.List.<McpSchema.Content>of() : result.content()) {
            if (content instanceof McpSchema.TextContent text) {
                parts.add(text.text());
            } else {
                parts.add(json(content));
            }
        }
        if (parts.isEmpty() && result.structuredContent() != null) {
            parts.add(json(result.structuredContent()));
        }
        return String.join("\n", parts);
    }

    private static String json(Object value) {
        try {
            return io.modelcontextprotocol.json.McpJsonDefaults.getMapper().writeValueAsString(value);
        } catch (java.io.IOException e) {
            return String.valueOf(value);
        }
    }

    @Override
    public String toString() {
        return "McpTool[" + name + " = " + spec.name() + "/" + mcpName + "]";
    }
}
