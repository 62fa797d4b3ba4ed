package dev.skein.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the schemas topic says, as far as it has been read: the schema of each id and the ids of
 * each subject. Records are applied in topic order, and the first record of an id wins, so every
 * process that has read the same records agrees on what each id means. Reads are thread-safe;
 * {@link #apply} is called by one reader at a time.
 */
final class KnownSchemas {

    private static final Logger log = LoggerFactory.getLogger(KnownSchemas.class);

    private final String topic;
    private final Map<Integer, Schema> schemaById = new ConcurrentHashMap<>();
    private final Map<Integer, String> canonicalById = new ConcurrentHashMap<>();
    private final Map<String, CopyOnWriteArrayList<Integer>> idsBySubject = new ConcurrentHashMap<>();

    /** @param topic the schemas topic, named in logs and errors */
    KnownSchemas(String topic) {
        this.topic = topic;
    }

    /** Null when no record read so far has this id. */
    Schema schema(int id) {
        return schemaById.get(id);
    }

    boolean isRegistered(String subject, int id, String canonical) {
        List<Integer> ids = idsBySubject.get(subject);
        return ids != null && ids.contains(id) && canonical.equals(canonicalById.get(id));
    }

    /** @throws SchemaRegistryException 409 when another canonical form already has this id */
    void requireNoCollision(Schema schema, int id, String canonical) {
        String existing = canonicalById.get(id);
        if (existing != null && !existing.equals(canonical)) {
            throw new SchemaRegistryException(
                    "Schema " + schema.getFullName() + " gets id " + id + ", which schema "
                            + schemaById.get(id).getFullName() + " already has in topic " + topic
                            + ": a fingerprint collision"
                            + " (about one chance in 2^31). Change the new schema (a field or namespace name), or configure"
                            + " an external schema registry, which numbers schemas instead.",
                    409);
        }
    }

    List<String> subjects() {
        return idsBySubject.keySet().stream().sorted().toList();
    }

    List<Integer> idsOf(String subject) {
        List<Integer> ids = idsBySubject.get(subject);
        return ids == null ? List.of() : List.copyOf(ids);
    }

    Optional<Schema> version(String subject, int version) {
        List<Integer> ids = idsOf(subject);
        return version < 1 || version > ids.size()
                ? Optional.empty()
                : Optional.of(schemaById.get(ids.get(version - 1)));
    }

    int schemaCount() {
        return schemaById.size();
    }

    int subjectCount() {
        return idsBySubject.size();
    }

    /** Takes in one record of the topic; a record this registry did not write is logged and skipped. */
    void apply(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            // Compaction leaves tombstones only if something else deleted a key: schemas are never deleted here.
            log.warn(
                    "Ignoring tombstone for key {} at offset {} of schemas topic {}",
                    record.key(),
                    record.offset(),
                    topic);
            return;
        }
        SchemaRecord read;
        try {
            read = SchemaRecord.parse(record.value());
        } catch (JsonProcessingException | SchemaParseException e) {
            log.warn(
                    "Skipping unreadable record at offset {} of schemas topic {} (key {}): {}",
                    record.offset(),
                    topic,
                    record.key(),
                    e.getMessage());
            return;
        }
        String subject = read.subject();
        Schema schema = read.schema();
        int id = EmbeddedSchemaRegistry.idOf(schema);
        if (subject.isEmpty() || read.id() != id) {
            log.warn(
                    "Skipping record at offset {} of schemas topic {}: subject '{}' and id {} do not match its schema"
                            + " (id {}); something other than Skein wrote it",
                    record.offset(),
                    topic,
                    subject,
                    read.id(),
                    id);
            return;
        }
        String canonical = SchemaNormalization.toParsingForm(schema);
        String known = canonicalById.putIfAbsent(id, canonical);
        if (known == null) {
            schemaById.put(id, schema);
        } else if (!known.equals(canonical)) {
            // First record wins in every process, so all agree on what the id means.
            log.warn(
                    "Schema {} at offset {} of schemas topic {} collides with id {} of {}: ignored",
                    schema.getFullName(),
                    record.offset(),
                    topic,
                    id,
                    schemaById.get(id).getFullName());
            return;
        }
        idsBySubject.computeIfAbsent(subject, s -> new CopyOnWriteArrayList<>()).addIfAbsent(id);
    }
}
