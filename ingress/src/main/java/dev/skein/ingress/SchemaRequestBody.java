package dev.skein.ingress;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import org.apache.avro.Schema;

/**
 * The body of {@code POST /registry/subjects/{subject}[/versions]}, as Confluent's clients send it:
 * {@code {"schema": "<schema JSON>", "schemaType": "AVRO", "references": []}}; other fields
 * ({@code metadata}, {@code ruleSet}, ...) are ignored. Only Avro schemas without references: that
 * is all the embedded registry holds.
 */
final class SchemaRequestBody {

    private SchemaRequestBody() {}

    /**
     * The schema the body carries.
     *
     * @throws RegistryRefusal 400 when the body is not UTF-8 JSON, 42201 when it is not an object with
     *     a valid Avro schema in {@code schema}, another {@code schemaType}, or references
     */
    static Schema parse(Buffer body) {
        Object json;
        try {
            json = StrictJson.parse(StrictJson.utf8(body, "request body"));
        } catch (HttpFailure | IllegalArgumentException e) {
            throw new RegistryRefusal(
                    400,
                    400,
                    "the request body is not JSON (" + e.getMessage()
                            + "); send {\"schema\": \"<the Avro schema as a JSON string>\"}");
        }
        if (!(json instanceof JsonObject request)) {
            throw RegistryRefusal.invalidSchema(
                    "the request body must be a JSON object {\"schema\": \"...\"}, not " + kind(json));
        }
        Object type = request.getValue("schemaType");
        if (type != null
                && !(type instanceof String name
                        && name.toUpperCase(Locale.ROOT).equals("AVRO"))) {
            throw RegistryRefusal.invalidSchema("schemaType " + type
                    + " is not supported: Skein's embedded registry holds Avro schemas only (schemaType AVRO or none)");
        }
        Object references = request.getValue("references");
        if (references != null && !(references instanceof JsonArray list && list.isEmpty())) {
            throw RegistryRefusal.invalidSchema(
                    "schema references are not supported by Skein's embedded registry: inline the referenced types");
        }
        Object text = request.getValue("schema");
        if (!(text instanceof String schema) || schema.isBlank()) {
            throw RegistryRefusal.invalidSchema(
                    "the body needs \"schema\": the Avro schema as a JSON string, got " + kind(text));
        }
        try {
            return new Schema.Parser().parse(schema);
        } catch (RuntimeException e) {
            // SchemaParseException mostly, but Avro throws others on some malformed schemas.
            throw RegistryRefusal.invalidSchema(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static String kind(Object json) {
        if (json == null) {
            return "nothing (or null)";
        }
        if (json instanceof JsonArray) {
            return "an array";
        }
        if (json instanceof String text) {
            return text.isBlank() ? "an empty string" : "a string";
        }
        return json instanceof JsonObject
                ? "an object"
                : "a " + json.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }
}
