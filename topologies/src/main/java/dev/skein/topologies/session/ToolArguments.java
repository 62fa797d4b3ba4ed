package dev.skein.topologies.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.skein.events.ToolDefinition;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the arguments an agent gives a tool call against the tool's JSON Schema, before anything
 * is dispatched. Compiled schemas are kept per tool definition (one instance per stream task, so
 * no locking).
 */
final class ToolArguments {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final int MAX_CACHED = 1024;

    private final Map<String, JsonSchema> compiled = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JsonSchema> eldest) {
            return size() > MAX_CACHED;
        }
    };

    /** Why the arguments are not acceptable, in words the agent can act on; null when they are. */
    String problem(ToolDefinition tool, String argumentsJson) {
        JsonNode arguments;
        try {
            arguments = argumentsJson == null || argumentsJson.isBlank() ? null : JSON.readTree(argumentsJson);
        } catch (JsonProcessingException e) {
            return "arguments of " + tool.getName() + " are not valid JSON: " + e.getOriginalMessage();
        }
        if (arguments == null || !arguments.isObject()) {
            return "arguments of " + tool.getName() + " must be a JSON object, got: " + abbreviate(argumentsJson);
        }
        JsonSchema schema;
        try {
            schema = compiled.computeIfAbsent(
                    tool.getName() + "@" + tool.getVersion() + "#"
                            + tool.getParametersSchema().hashCode(),
                    k -> SCHEMAS.getSchema(tool.getParametersSchema()));
        } catch (RuntimeException e) {
            return "tool " + tool.getName() + " declares an argument schema that cannot be read: " + e.getMessage();
        }
        Set<ValidationMessage> errors = schema.validate(arguments);
        if (errors.isEmpty()) {
            return null;
        }
        return "invalid arguments for " + tool.getName() + ": "
                + errors.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; "))
                + ". Expected arguments matching this JSON Schema: " + tool.getParametersSchema();
    }

    private static String abbreviate(String text) {
        return text == null || text.length() <= 200 ? String.valueOf(text) : text.substring(0, 200) + "...";
    }
}
