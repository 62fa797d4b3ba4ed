package dev.skein.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
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
    private final ConcurrentLinkedQueue<RejectedSchemaRecord> rejected = new ConcurrentLinkedQueue<>();

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

    /** The records skipped since the last call, oldest first. */
    List<RejectedSchemaRecord> drainRejected() {
        List<RejectedSchemaRecord> drained = new ArrayList<>();
        for (RejectedSchemaRecord next; (next = rejected.poll()) != null; ) {
            drained.add(next);
        }
        return drained;
    }

    /**
     * Takes in one record of the topic. A record this registry did not write is logged, skipped and
     * kept for {@link #drainRejected()}, so that it reaches the dead-letter topic.
     */
    void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            // Compaction leaves tombstones only if something else deleted a key: schemas are never deleted here.
            log.warn("Ignoring tombstone at offset {} of schemas topic {}", record.offset(), topic);
            return;
        }
        if (record.value().length == 0) {
            reject(record, "the value is empty, not a schema record");
            return;
        }
        SchemaRecord read;
        try {
            read = SchemaRecord.parse(strictUtf8(record.value()));
        } catch (CharacterCodingException e) {
            reject(record, "the value is not UTF-8 text, so not a schema record Skein writes");
            return;
        } catch (JsonProcessingException | RuntimeException e) {
            // Avro's parser throws several unchecked types (SchemaParseException, AvroTypeException, ...).
            reject(
                    record,
                    "the value is not a schema record (JSON with subject, id and an Avro schema): " + e.getMessage());
            return;
        }
        String subject = read.subject();
        Schema schema = read.schema();
        int id = EmbeddedSchemaRegistry.idOf(schema);
        if (subject.isEmpty() || read.id() != id) {
            reject(
                    record,
                    "subject '" + subject + "' and id " + read.id() + " do not match its schema (id " + id
                            + "); something other than Skein wrote it");
            return;
        }
        String canonical = SchemaNormalization.toParsingForm(schema);
        String known = canonicalById.putIfAbsent(id, canonical);
        if (known == null) {
            schemaById.put(id, schema);
        } else if (!known.equals(canonical)) {
            // First record wins in every process, so all agree on what the id means.
            reject(
                    record,
                    "schema " + schema.getFullName() + " collides with id " + id + " of "
                            + schemaById.get(id).getFullName() + ", registered first");
            return;
        }
        idsBySubject.computeIfAbsent(subject, s -> new CopyOnWriteArrayList<>()).addIfAbsent(id);
    }

    private void reject(ConsumerRecord<byte[], byte[]> record, String cause) {
        log.warn("Skipping record at offset {} of schemas topic {}: {}", record.offset(), topic, cause);
        rejected.add(new RejectedSchemaRecord(
                record.topic(), record.partition(), record.offset(), record.key(), record.value(), cause));
    }

    private static String strictUtf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
    }
}
