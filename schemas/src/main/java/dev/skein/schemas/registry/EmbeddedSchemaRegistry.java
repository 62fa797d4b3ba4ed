package dev.skein.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 */
public final class EmbeddedSchemaRegistry implements SchemaRegistry {

    /** Appended to the topic prefix for the default topic name. */
    public static final String TOPIC_SUFFIX = "_schemas";

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(200);

    private final String topic;
    private final TopicPartition partition;
    private final Duration timeout;
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    // Guards the consumer (not thread-safe) and makes read-check-produce in register atomic in this process.
    private final Object topicLock = new Object();

    private final Map<Integer, Schema> schemaById = new ConcurrentHashMap<>();
    private final Map<Integer, String> canonicalById = new ConcurrentHashMap<>();
    private final Map<String, CopyOnWriteArrayList<Integer>> idsBySubject = new ConcurrentHashMap<>();

    /** A registry on {@code topic} of the cluster at {@code bootstrapServers}, with default client settings. */
    public EmbeddedSchemaRegistry(String bootstrapServers, String topic, short replicationFactor) {
        this(bootstrapProperties(bootstrapServers), topic, replicationFactor, DEFAULT_TIMEOUT);
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
        Objects.requireNonNull(clientProperties, "clientProperties");
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
        this.partition = new TopicPartition(topic, 0);
        this.timeout = timeout;
        ensureTopic(clientProperties, replicationFactor);
        try {
            this.producer = new KafkaProducer<>(producerProperties(clientProperties));
        } catch (KafkaException e) {
            throw new SchemaRegistryException(
                    "Cannot open a producer to schemas topic " + topic + ": " + e.getMessage(), e);
        }
        try {
            this.consumer = new KafkaConsumer<>(consumerProperties(clientProperties));
        } catch (KafkaException e) {
            producer.close(timeout);
            throw new SchemaRegistryException(
                    "Cannot open a consumer of schemas topic " + topic + ": " + e.getMessage(), e);
        }
        try {
            synchronized (topicLock) {
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                readToEnd(-1);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        log.info(
                "Embedded schema registry on topic {} holds {} schemas under {} subjects",
                topic,
                schemaById.size(),
                idsBySubject.size());
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
        if (isRegistered(subject, id, canonical)) {
            return id;
        }
        synchronized (topicLock) {
            // Another process may have registered it, or a colliding schema, since we last read.
            readToEnd(-1);
            if (isRegistered(subject, id, canonical)) {
                return id;
            }
            requireNoCollision(schema, id, canonical);
            RecordMetadata written = write(subject, id, schema);
            // Read our own record back: of two processes racing with colliding schemas, the first
            // record in the topic wins in every process, and the loser finds out here.
            readToEnd(written.offset() + 1);
            requireNoCollision(schema, id, canonical);
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
        Schema cached = schemaById.get(id);
        if (cached != null) {
            return cached;
        }
        synchronized (topicLock) {
            readToEnd(-1);
        }
        Schema found = schemaById.get(id);
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
    public List<String> subjects() {
        return idsBySubject.keySet().stream().sorted().toList();
    }

    /**
     * The schema ids of {@code subject}, in the order they were first registered under it; the
     * position (from 1) is the subject's version number. Empty for an unknown subject.
     */
    public List<Integer> idsOf(String subject) {
        List<Integer> ids = idsBySubject.get(subject);
        return ids == null ? List.of() : List.copyOf(ids);
    }

    /** Version {@code version} (from 1) of {@code subject}, if it exists. */
    public Optional<Schema> version(String subject, int version) {
        List<Integer> ids = idsOf(subject);
        return version < 1 || version > ids.size()
                ? Optional.empty()
                : Optional.of(schemaById.get(ids.get(version - 1)));
    }

    /** Closes the producer and consumer; registered schemas stay in the topic. */
    @Override
    public void close() {
        try {
            producer.close(timeout);
        } finally {
            synchronized (topicLock) {
                consumer.close(timeout);
            }
        }
    }

    private boolean isRegistered(String subject, int id, String canonical) {
        List<Integer> ids = idsBySubject.get(subject);
        return ids != null && ids.contains(id) && canonical.equals(canonicalById.get(id));
    }

    private void requireNoCollision(Schema schema, int id, String canonical) {
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

    private RecordMetadata write(String subject, int id, Schema schema) {
        String value = JSON.createObjectNode()
                .put("subject", subject)
                .put("id", id)
                .put("schema", schema.toString())
                .toString();
        try {
            return producer.send(new ProducerRecord<>(topic, 0, subject + ":" + id, value))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new SchemaRegistryException(
                    "Cannot write schema " + schema.getFullName() + " to topic " + topic + ": "
                            + e.getCause().getMessage()
                            + ". Check that the cluster is up and this client may write the topic.",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new SchemaRegistryException(
                    "Cannot write schema " + schema.getFullName() + " to topic " + topic + " within " + timeout
                            + ": check that the cluster is up and the topic has enough in-sync replicas.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(
                    "Interrupted while writing schema " + schema.getFullName() + " to " + topic, e);
        }
    }

    // Caller holds topicLock. Reads until the end offset of now, or until atLeast when that is further.
    private void readToEnd(long atLeast) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long end;
        try {
            end = Math.max(
                    atLeast, consumer.endOffsets(List.of(partition), timeout).getOrDefault(partition, 0L));
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new SchemaRegistryException(
                            "Cannot read schemas topic " + topic + " to offset " + end
                                    + " within " + timeout + " (at " + consumer.position(partition, timeout)
                                    + "): check that the cluster is up.",
                            -1);
                }
                for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
                    apply(record);
                }
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new SchemaRegistryException(
                    "Cannot read schemas topic " + topic + " within " + timeout
                            + ": check bootstrap servers and that the cluster is up.",
                    e);
        } catch (KafkaException e) {
            throw new SchemaRegistryException("Cannot read schemas topic " + topic + ": " + e.getMessage(), e);
        }
    }

    private void apply(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            // Compaction leaves tombstones only if something else deleted a key: schemas are never deleted here.
            log.warn(
                    "Ignoring tombstone for key {} at offset {} of schemas topic {}",
                    record.key(),
                    record.offset(),
                    topic);
            return;
        }
        String subject;
        int claimedId;
        Schema schema;
        try {
            JsonNode value = JSON.readTree(record.value());
            subject = value.path("subject").asText("");
            claimedId = value.path("id").asInt(0);
            schema = new Schema.Parser().parse(value.path("schema").asText(""));
        } catch (JsonProcessingException | SchemaParseException e) {
            log.warn(
                    "Skipping unreadable record at offset {} of schemas topic {} (key {}): {}",
                    record.offset(),
                    topic,
                    record.key(),
                    e.getMessage());
            return;
        }
        int id = idOf(schema);
        if (subject.isEmpty() || claimedId != id) {
            log.warn(
                    "Skipping record at offset {} of schemas topic {}: subject '{}' and id {} do not match its schema"
                            + " (id {}); something other than Skein wrote it",
                    record.offset(),
                    topic,
                    subject,
                    claimedId,
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

    private void ensureTopic(Properties clientProperties, short replicationFactor) {
        try (Admin admin = Admin.create(adminProperties(clientProperties))) {
            long timeoutMs = timeout.toMillis();
            try {
                TopicDescription description = admin.describeTopics(Set.of(topic))
                        .topicNameValues()
                        .get(topic)
                        .get(timeoutMs, TimeUnit.MILLISECONDS);
                requireOnePartition(description);
                warnUnlessCompacted(admin, timeoutMs);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            NewTopic newTopic = new NewTopic(topic, 1, replicationFactor)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            try {
                admin.createTopics(Set.of(newTopic)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
                log.info(
                        "Created schemas topic {} (compacted, 1 partition, replication factor {})",
                        topic,
                        replicationFactor);
            } catch (ExecutionException e) {
                // Another process created it between our describe and create: theirs is as good as ours.
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (ExecutionException e) {
            throw new SchemaRegistryException(
                    "Cannot create or describe schemas topic " + topic + ": "
                            + e.getCause().getMessage() + ". Check the bootstrap servers, the replication factor ("
                            + replicationFactor + ") against the number of brokers, and this client's permissions.",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new SchemaRegistryException(
                    "Cannot reach the cluster to create schemas topic " + topic + " within " + timeout
                            + ": check the bootstrap servers and that the cluster is up.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while creating schemas topic " + topic, e);
        }
    }

    private void requireOnePartition(TopicDescription description) {
        if (description.partitions().size() != 1) {
            // Ids are read back from partition 0 only; a second partition would hide schemas.
            throw new SchemaRegistryException(
                    "Schemas topic " + topic + " has "
                            + description.partitions().size()
                            + " partitions; it needs exactly 1. Delete it (if it holds no schemas) or name another topic.",
                    -1);
        }
    }

    private void warnUnlessCompacted(Admin admin, long timeoutMs) throws TimeoutException, InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config;
        try {
            config = admin.describeConfigs(Set.of(resource))
                    .all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS)
                    .get(resource);
        } catch (ExecutionException e) {
            // A client allowed to read and write the topic may still lack DescribeConfigs: only a check is lost.
            log.warn(
                    "Cannot check cleanup.policy of schemas topic {} ({}); it must be compact",
                    topic,
                    e.getCause().toString());
            return;
        }
        String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG) == null
                ? ""
                : config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
        if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)
                || policy.contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
            log.warn(
                    "Schemas topic {} has cleanup.policy={}: schemas will expire and old records become unreadable;"
                            + " set cleanup.policy=compact",
                    topic,
                    policy);
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

    private Properties adminProperties(Properties common) {
        Properties properties = copy(common);
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "skein-schemas-admin");
        return properties;
    }

    private Properties producerProperties(Properties common) {
        Properties properties = copy(common);
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "skein-schemas-writer");
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        properties.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeout.toMillis()));
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return properties;
    }

    private Properties consumerProperties(Properties common) {
        Properties properties = copy(common);
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "skein-schemas-reader");
        // Assigned, not subscribed: no group, nothing committed; every process reads from the start.
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // After a poll the consumer leaves a fetch parked at the broker, and the broker answers one
        // request per connection at a time: with the default 500 ms wait, the endOffsets call of the
        // next registration queued behind it, and every new schema cost half a second (six of them
        // delayed a fresh node's first turn by three).
        properties.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return properties;
    }

    private static Properties copy(Properties source) {
        Properties copy = new Properties();
        copy.putAll(source);
        return copy;
    }
}
