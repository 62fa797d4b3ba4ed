package dev.skein.integration.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The schemas of the custom resources the manifests use (KEDA's ScaledObject, Strimzi's Kafka,
 * KafkaNodePool, KafkaTopic, KafkaUser), copied from their CRDs (src/test/resources/deploy/schemas,
 * with their sources) and checked with networknt's JSON Schema validator. The API server prunes
 * fields a structural schema does not declare; here they are errors, as a pruned field is a
 * setting that does nothing: every object schema that lists its properties, and neither allows
 * others nor preserves unknown fields, gets {@code additionalProperties: false}.
 */
final class CrdSchemas {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, JsonSchema> SCHEMAS = new ConcurrentHashMap<>();

    private CrdSchemas() {}

    static boolean has(String apiVersion, String kind) {
        return CrdSchemas.class.getResource(resource(apiVersion, kind)) != null;
    }

    static List<String> problems(String apiVersion, String kind, Map<String, Object> document) {
        JsonSchema schema = SCHEMAS.computeIfAbsent(resource(apiVersion, kind), CrdSchemas::load);
        return schema.validate(JSON.valueToTree(document)).stream()
                .map(ValidationMessage::getMessage)
                .sorted()
                .toList();
    }

    private static String resource(String apiVersion, String kind) {
        return "/deploy/schemas/" + apiVersion.replace('/', '_') + "_" + kind + ".json";
    }

    private static JsonSchema load(String resource) {
        try (InputStream in = CrdSchemas.class.getResourceAsStream(resource)) {
            JsonNode schema = JSON.readTree(in);
            closeObjects(schema);
            // OpenAPI v3's schema objects are a subset of draft 4 (with x-kubernetes-* extensions,
            // which the validator ignores).
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeObjects(JsonNode node) {
        if (node instanceof ObjectNode object) {
            if (object.has("properties")
                    && !object.has("additionalProperties")
                    && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                object.put("additionalProperties", false);
            }
        }
        for (Iterator<JsonNode> children = node.elements(); children.hasNext(); ) {
            closeObjects(children.next());
        }
    }
}
