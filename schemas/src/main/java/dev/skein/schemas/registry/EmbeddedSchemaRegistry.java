package dev.skein.schemas.registry;

import dev.skein.schemas.kafka.KafkaConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry Skein uses when no registry URL is configured: schemas live in a compacted,
 * one-partition Kafka topic (by default {@code <prefix>_schemas}, e.g. {@code skein._schemas}),
 * which this class creates when it is absent.
 *
 * <p>Ids need no coordination between processes: the id of a schema is {@link #idOf(Schema)}, a
 * pure function of its Avro parsing canonical form. Every process, before or after a restart,
 * gives a schema the same id, so records in changelogs stay readable. Two schemas with the same
 * canonical form (differing only in docs, defaults, aliases or logical types, which do not change
 * the binary encoding) share an id, and the id resolves to the first of them written to the topic.
 * Two different canonical forms that fold to the same 31-bit id are a collision: the second is
 * refused with error 409 (about one chance in 2<sup>31</sup> per pair of schemas).
 *
 * <p>Records are keyed {@code <subject>:<id>} (so compaction keeps one per subject and schema)
 * with the value {@code {"subject":..., "id":..., "schema":...}}. At construction the whole topic
 * is read; afterwards it is re-read only when an id is unknown (another process may have
 * registered it) and around each new registration. No compatibility rules are enforced.
 * Thread-safe.
 *
 * <p>This class is the registration protocol; the topic's set-up is {@link SchemasTopic}'s, its
 * record format {@link SchemaRecord}'s, reading it {@link SchemasTopicReader}'s into
 * {@link KnownSchemas}, writing it {@link SchemasTopicWriter}'s.
 */
public final class EmbeddedSchemaRegistry implements ListableSchemaRegistry {

    /** Appended to the topic prefix for the default topic name. */
    public static final String TOPIC_SUFFIX = "_schemas";

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

    private final String topic;
    private final KnownSchemas known;
    private final SchemasTopicWriter writer;
    private final SchemasTopicReader reader;
    // Guards the reader (its consumer is not thread-safe) and makes read-check-produce in register atomic in this
    // process.
    private final Object topicLock = new Object();
    private volatile Consumer<RejectedSchemaRecord> rejectedSink;

    /** A registry on {@code topic} of the cluster at {@code bootstrapServers}, with default client settings. */
    public EmbeddedSchemaRegistry(String bootstrapServers, String topic, short replicationFactor) {
        this(bootstrapProperties(bootstrapServers), topic, replicationFactor, DEFAULT_TIMEOUT);
    }

    /** A registry on {@code topic} of the cluster {@code connection} reaches (with its security settings). */
    public EmbeddedSchemaRegistry(KafkaConnection connection, String topic, short replicationFactor) {
        this(connection.properties(), topic, replicationFactor, DEFAULT_TIMEOUT);
    }

    /**
     * As {@link #EmbeddedSchemaRegistry(String, String, short)}, creating the topic (when absent)
     * with {@code topicConfigs} besides compaction, e.g. {@code min.insync.replicas}.
     */
    public EmbeddedSchemaRegistry(
            String bootstrapServers, String topic, short replicationFactor, Map<String, String> topicConfigs) {
        this(bootstrapProperties(bootstrapServers), topic, replicationFactor, DEFAULT_TIMEOUT, topicConfigs);
    }

    /**
     * @param clientProperties settings shared by the admin, producer and consumer this registry
     *     opens (bootstrap servers, security); the registry sets serializers, acks and idempotence itself
     * @param topic the schemas topic, created (compacted, one partition) when absent
     * @param replicationFactor the replication factor when the topic is created
     * @param timeout the limit of each call to the cluster
     * @throws SchemaRegistryException when the topic cannot be created or read
     */
    public EmbeddedSchemaRegistry(
            Properties clientProperties, String topic, short replicationFactor, Duration timeout) {
        this(clientProperties, topic, replicationFactor, timeout, Map.of());
    }

    /**
     * As {@link #EmbeddedSchemaRegistry(Properties, String, short, Duration)}, creating the topic
     * (when absent) with {@code topicConfigs} besides compaction, e.g. {@code min.insync.replicas}.
     */
    public EmbeddedSchemaRegistry(
            Properties clientProperties,
            String topic,
            short replicationFactor,
            Duration timeout,
            Map<String, String> topicConfigs) {
        Objects.requireNonNull(clientProperties, "clientProperties");
        Objects.requireNonNull(topicConfigs, "topicConfigs");
        if (clientProperties
                .getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "")
                .isBlank()) {
            throw new IllegalArgumentException(
                    "embedded schema registry needs " + CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        }
        if (topic == null || !topic.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(
                    "schemas topic '" + topic + "' must be non-empty and use only A-Z a-z 0-9 . _ -");
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException(
                    "schemas topic replication factor must be at least 1, got " + replicationFactor);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("embedded schema registry timeout must be positive, got " + timeout);
        }
        this.topic = topic;
        this.known = new KnownSchemas(topic);
        new SchemasTopic(topic, timeout).ensure(clientProperties, replicationFactor, topicConfigs);
        this.writer = new SchemasTopicWriter(clientProperties, topic, timeout);
        SchemasTopicReader opened;
        try {
            opened = new SchemasTopicReader(clientProperties, topic, timeout, known);
        } catch (RuntimeException e) {
            writer.close();
            throw e;
        }
        this.reader = opened;
        try {
            synchronized (topicLock) {
                reader.readFromStart();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        log.info(
                "Embedded schema registry on topic {} holds {} schemas under {} subjects",
                topic,
                known.schemaCount(),
                known.subjectCount());
    }

    /**
     * Hands every record of the topic that this registry skipped (see {@link RejectedSchemaRecord}),
     * those read so far and those read later, to {@code sink}, outside the registry's lock: the sink
     * may write to Kafka with serializers that call this registry. Records skipped before a sink is
     * attached wait for it.
     */
    public void onRejected(Consumer<RejectedSchemaRecord> sink) {
        this.rejectedSink = Objects.requireNonNull(sink, "sink");
        flushRejected();
    }

    private void flushRejected() {
        Consumer<RejectedSchemaRecord> sink = rejectedSink;
        if (sink != null) {
            known.drainRejected().forEach(sink);
        }
    }

    /** The default topic for a topic prefix: {@code skein.} gives {@code skein._schemas}. */
    public static String defaultTopic(String prefix) {
        return prefix + TOPIC_SUFFIX;
    }

    /**
     * The id every embedded registry gives {@code schema}: its 64-bit CRC-64-AVRO fingerprint
     * (of the parsing canonical form) folded to a positive 31-bit int, never 0 (Confluent
     * clients treat ids as positive).
     */
    public static int idOf(Schema schema) {
        long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        int folded = (int) (fingerprint ^ (fingerprint >>> 32)) & Integer.MAX_VALUE;
        return folded == 0 ? 1 : folded;
    }

    public String topic() {
        return topic;
    }

    /**
     * Records {@code schema} under {@code subject} (idempotent) and returns {@link #idOf(Schema)}.
     *
     * @throws SchemaRegistryException 409 when another schema already has this id (a collision);
     *     -1 when the topic cannot be written or read in time
     */
    @Override
    public int register(String subject, Schema schema) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("schema registry subject must not be blank");
        }
        Objects.requireNonNull(schema, "schema");
        int id = idOf(schema);
        String canonical = SchemaNormalization.toParsingForm(schema);
        if (known.isRegistered(subject, id, canonical)) {
            return id;
        }
        try {
            return registerRead(subject, schema, id, canonical);
        } finally {
            flushRejected();
        }
    }

    private int registerRead(String subject, Schema schema, int id, String canonical) {
        synchronized (topicLock) {
            // Another process may have registered it, or a colliding schema, since we last read.
            reader.readToEnd(-1);
            if (known.isRegistered(subject, id, canonical)) {
                return id;
            }
            known.requireNoCollision(schema, id, canonical);
            RecordMetadata written = writer.write(new SchemaRecord(subject, id, schema));
            // Read our own record back: of two processes racing with colliding schemas, the first
            // record in the topic wins in every process, and the loser finds out here.
            reader.readToEnd(written.offset() + 1);
            known.requireNoCollision(schema, id, canonical);
            log.info(
                    "Schema {} registered under subject {} with id {} in topic {}",
                    schema.getFullName(),
                    subject,
                    id,
                    topic);
            return id;
        }
    }

    /**
     * The schema with this id; on a miss, re-reads the topic in case another process registered it.
     *
     * @throws SchemaRegistryException 40403 when the topic has no such schema
     */
    @Override
    public Schema schemaById(int id) {
        Schema cached = known.schema(id);
        if (cached != null) {
            return cached;
        }
        synchronized (topicLock) {
            reader.readToEnd(-1);
        }
        flushRejected();
        Schema found = known.schema(id);
        if (found == null) {
            throw new SchemaRegistryException(
                    "Schema " + id + " not found in schemas topic " + topic
                            + ": the record was written with another registry. Point Skein at the registry (URL or"
                            + " schemas topic) its producer used.",
                    40403);
        }
        return found;
    }

    /** The subjects known to this registry, sorted. */
    @Override
    public List<String> subjects() {
        return known.subjects();
    }

    /**
     * The schema ids of {@code subject}, in the order they were first registered under it; the
     * position (from 1) is the subject's version number. Empty for an unknown subject.
     */
    @Override
    public List<Integer> idsOf(String subject) {
        return known.idsOf(subject);
    }

    /** Version {@code version} (from 1) of {@code subject}, if it exists. */
    public Optional<Schema> version(String subject, int version) {
        return known.version(subject, version);
    }

    /** Closes the producer and consumer; registered schemas stay in the topic. */
    @Override
    public void close() {
        try {
            writer.close();
        } finally {
            synchronized (topicLock) {
                reader.close();
            }
        }
    }

    private static Properties bootstrapProperties(String bootstrapServers) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("embedded schema registry needs bootstrap servers");
        }
        Properties properties = new Properties();
        properties.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return properties;
    }
}
