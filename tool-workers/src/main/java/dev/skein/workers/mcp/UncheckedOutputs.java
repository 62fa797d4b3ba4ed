package dev.skein.workers.mcp;

import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.util.Map;

/**
 * The JSON Schema validator handed to the MCP SDK, which uses one to check a tool's structured
 * output against its output schema: it accepts everything. The SDK's default validator needs
 * json-schema-validator 3.x, whose packages are those of the 1.5.x that Skein validates tool
 * arguments with (in the session, before dispatch), so the two cannot share a class path; and an
 * output is text the agent reads, which Skein does not check against a schema for any tool.
 */
public final class UncheckedOutputs implements JsonSchemaValidator {

    public static final UncheckedOutputs INSTANCE = new UncheckedOutputs();

    private UncheckedOutputs() {}

    @Override
    public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
        return ValidationResponse.asValid(null);
    }
}
