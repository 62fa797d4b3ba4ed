package dev.skein.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * One record of the schemas topic: keyed {@code <subject>:<id>}, so that compaction keeps one per
 * subject and schema, with the value {@code {"subject":..., "id":..., "schema":...}} as JSON (not
 * Avro: the registry cannot need itself to be read). The format is permanent: every process, of
 * every version, reads the records the others wrote.
 *
 * @param id the id the writer gave the schema; a reader checks it against {@link EmbeddedSchemaRegistry#idOf}
 */
record SchemaRecord(String subject, int id, Schema schema) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Decodes a record's value; a missing subject reads as {@code ""} and a missing id as 0.
     *
     * @throws JsonProcessingException when the value is not JSON
     * @throws SchemaParseException when its schema is not an Avro schema
     */
    static SchemaRecord parse(String value) throws JsonProcessingException {
        JsonNode node = JSON.readTree(value);
        return new SchemaRecord(
                node.path("subject").asText(""),
                node.path("id").asInt(0),
                new Schema.Parser().parse(node.path("schema").asText("")));
    }

    String key() {
        return subject + ":" + id;
    }

    String value() {
        return JSON.createObjectNode()
                .put("subject", subject)
                .put("id", id)
                .put("schema", schema.toString())
                .toString();
    }
}
