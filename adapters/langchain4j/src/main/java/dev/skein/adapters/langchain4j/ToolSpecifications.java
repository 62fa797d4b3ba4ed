package dev.skein.adapters.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.skein.events.ToolDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns Skein's tool definitions (a name, a description and a JSON Schema string) into the
 * {@link ToolSpecification}s a LangChain4j {@code ChatModel} sends to its provider.
 *
 * <p>Not hand-written: LangChain4j's public {@link ToolSpecification#fromJson(String)} already
 * reads a standard JSON Schema into its {@code JsonObjectSchema} tree (object, string, integer,
 * number, boolean, array, enum, anyOf, $defs/$ref, required, description), and keeps every node
 * it cannot type (one with {@code minimum}, {@code pattern}, {@code format}, ...) verbatim as a
 * {@code JsonRawSchema}, which the OpenAI and Anthropic mappers send as is. A converter of our
 * own would cover less and lose those keywords. What we do here is only the root: LangChain4j
 * requires it to be a typed object schema, so root-level annotations it cannot type
 * ({@code $schema}, {@code title}, {@code $id}, {@code minProperties}, ...) are dropped rather
 * than making the whole tool unusable. Nothing is lost for correctness: the session topology
 * validates every call's arguments against the full schema and answers the model with an error
 * it can act on.
 */
final class ToolSpecifications {

    private static final ObjectMapper JSON = new ObjectMapper();
    // The root keys LangChain4j's JsonObjectSchema can carry; see JsonSchemaElementJsonUtils.
    private static final Set<String> ROOT_KEYS =
            Set.of("type", "description", "properties", "required", "additionalProperties", "$defs");

    private ToolSpecifications() {}

    /**
     * @throws IllegalArgumentException naming the tool when its schema is not a JSON object schema
     */
    static List<ToolSpecification> from(List<ToolDefinition> tools) {
        List<ToolSpecification> specifications = new ArrayList<>(tools.size());
        for (ToolDefinition tool : tools) {
            specifications.add(from(tool));
        }
        return specifications;
    }

    static ToolSpecification from(ToolDefinition tool) {
        ObjectNode root = parametersOf(tool);
        ObjectNode specification = JSON.createObjectNode();
        specification.put("name", tool.getName());
        if (tool.getDescription() != null && !tool.getDescription().isBlank()) {
            specification.put("description", tool.getDescription());
        }
        specification.set("parameters", root);
        try {
            return ToolSpecification.fromJson(specification.toString());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "tool '" + tool.getName() + "' has a parameters schema LangChain4j cannot read: " + e.getMessage(),
                    e);
        }
    }

    private static ObjectNode parametersOf(ToolDefinition tool) {
        String schema = tool.getParametersSchema();
        if (schema == null || schema.isBlank()) {
            return JSON.createObjectNode().put("type", "object");
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(schema);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "tool '" + tool.getName() + "' has a parameters schema that is not JSON: " + e.getOriginalMessage(),
                    e);
        }
        if (!(parsed instanceof ObjectNode object)) {
            throw new IllegalArgumentException(
                    "tool '" + tool.getName() + "' has a parameters schema that is not a JSON object");
        }
        JsonNode type = object.get("type");
        if (type != null && !"object".equals(type.asText())) {
            throw new IllegalArgumentException("tool '" + tool.getName() + "' takes " + type
                    + " arguments; a tool's parameters schema must be of type object");
        }
        ObjectNode root = JSON.createObjectNode().put("type", "object");
        object.properties().forEach(field -> {
            boolean schemaValuedAdditional = field.getKey().equals("additionalProperties")
                    && !field.getValue().isBoolean();
            if (ROOT_KEYS.contains(field.getKey()) && !field.getKey().equals("type") && !schemaValuedAdditional) {
                root.set(field.getKey(), field.getValue());
            }
        });
        return root;
    }
}
