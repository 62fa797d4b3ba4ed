package dev.skein.bench;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.TurnTrace;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.topologies.session.SessionStores;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;

/**
 * Loads many sessions fast by writing the session topology's changelogs, which is what Kafka
 * Streams restores a store from. A template session first gets real turns through the running
 * topology; with the node stopped, every changelog record of the template (every put, overwrite
 * and tombstone, in offset order, so the restore replays what real turns would have left) is
 * copied for each new session: the address in the key replaced, {@code sessionId} rewritten in
 * the values that carry it, written to the partition the session's turns would go to. Started
 * again, the node restores the copies as it would restore sessions built by turns; the bench then
 * checks them over HTTP and with real turns.
 */
final class ScaleLoad {

    /** One changelog record of the template session. */
    record Copied(String topic, byte[] key, byte[] value, Headers headers) {}

    private final String bootstrapServers;
    private final SkeinTopics topics;
    private final String applicationId;

    ScaleLoad(String bootstrapServers, SkeinTopics topics) {
        this.bootstrapServers = bootstrapServers;
        this.topics = topics;
        this.applicationId = topics.groupId("sessions");
    }

    /** The session topology's changelog topics. */
    Set<String> changelogs() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(applicationId + "-") && t.endsWith("-changelog"))
                    .collect(Collectors.toSet());
        }
    }

    /** Every changelog record whose key holds the template's address, in offset order per partition. */
    List<Copied> template(String sessionId) throws Exception {
        byte[] address = address(sessionId);
        List<Copied> records = new ArrayList<>();
        Map<TopicPartition, Long> ends = EndOffsets.of(bootstrapServers, changelogs());
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
                if (end.getValue() == 0) {
                    continue;
                }
                reader.assign(List.of(end.getKey()));
                reader.seekToBeginning(List.of(end.getKey()));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                // Transaction markers take offsets too: the position, not the last record, reaches the end.
                while (reader.position(end.getKey()) < end.getValue() && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
                        if (r.key() != null
                                && (indexOf(r.key(), address) >= 0 || isActivityKeyOf(r.topic(), r.key(), sessionId))) {
                            records.add(new Copied(r.topic(), r.key(), r.value(), r.headers()));
                        }
                    }
                }
            }
        }
        if (records.isEmpty()) {
            throw new IllegalStateException("no changelog record of the template session " + sessionId);
        }
        return records;
    }

    /**
     * Writes the template's records once for each of {@code sessions} sessions ({@code <prefix>-0}
     * ...). Returns the records written.
     */
    long replicate(List<Copied> template, String templateId, String sessionPrefix, int sessions, TurnDriver driver)
            throws Exception {
        byte[] from = address(templateId);
        long written = 0;
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < sessions; i++) {
                String sessionId = sessionPrefix + "-" + i;
                byte[] to = address(sessionId);
                int partition = driver.partitionOf(sessionId);
                for (Copied r : template) {
                    producer.send(new ProducerRecord<>(
                            r.topic(),
                            partition,
                            r.topic().equals(activityTopic())
                                    ? replaceActivitySession(r.key(), templateId, sessionId)
                                    : replace(r.key(), from, to),
                            value(r.topic(), r.value(), sessionId),
                            r.headers()));
                    written++;
                }
            }
            producer.flush();
        }
        return written;
    }

    /**
     * One session of {@code messages} messages: the template's messages over and over (the
     * sequence renumbered, two messages a turn), its last session-meta record with the counters
     * such a session would have, and the template's activity index entries made its own.
     */
    void longSession(List<Copied> template, String templateId, String sessionId, int messages, TurnDriver driver)
            throws Exception {
        String messagesTopic = SessionStores.changelogTopic(applicationId, SessionStores.MESSAGES);
        String metaTopic = SessionStores.changelogTopic(applicationId, SessionStores.META);
        Serde<ChatMessage> messageSerde = topics.serde(ChatMessage.class);
        Serde<SessionMeta> metaSerde = topics.serde(SessionMeta.class);
        List<ChatMessage> pattern = template.stream()
                .filter(r -> r.topic().equals(messagesTopic) && r.value() != null)
                .map(r -> messageSerde.deserializer().deserialize(messagesTopic, r.value()))
                .toList();
        Copied lastMeta = template.stream()
                .filter(r -> r.topic().equals(metaTopic) && r.value() != null)
                .reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("the template has no session-meta record"));
        String address = SessionAddress.key(TurnDriver.TENANT, sessionId);
        int partition = driver.partitionOf(sessionId);
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < messages; i++) {
                ChatMessage message = ChatMessage.newBuilder(pattern.get(i % pattern.size()))
                        .setSequence(i)
                        .setTurnId("long-" + i / 2)
                        .build();
                producer.send(new ProducerRecord<>(
                        messagesTopic,
                        partition,
                        SessionStores.messageKey(address, i).get(),
                        messageSerde.serializer().serialize(messagesTopic, message)));
            }
            SessionMeta meta = SessionMeta.newBuilder(metaSerde.deserializer().deserialize(metaTopic, lastMeta.value()))
                    .setSessionId(sessionId)
                    .setFirstSequence(0)
                    .setNextSequence(messages)
                    .setTurnsCompleted(messages / 2)
                    .build();
            producer.send(new ProducerRecord<>(
                    metaTopic,
                    partition,
                    address.getBytes(StandardCharsets.UTF_8),
                    metaSerde.serializer().serialize(metaTopic, meta)));
            for (Copied r : template) {
                if (r.topic().equals(activityTopic())) {
                    producer.send(new ProducerRecord<>(
                            r.topic(),
                            partition,
                            replaceActivitySession(r.key(), templateId, sessionId),
                            value(r.topic(), r.value(), sessionId)));
                }
            }
            producer.flush();
        }
    }

    /**
     * The values that name their session: session-meta, turn-traces and the activity index (whose
     * value is the address); the others are copied as they are.
     */
    private byte[] value(String topic, byte[] value, String sessionId) {
        if (value == null) {
            return null;
        }
        if (topic.equals(activityTopic())) {
            return address(sessionId);
        }
        if (topic.equals(SessionStores.changelogTopic(applicationId, SessionStores.META))) {
            Serde<SessionMeta> serde = topics.serde(SessionMeta.class);
            SessionMeta meta = serde.deserializer().deserialize(topic, value);
            meta.setSessionId(sessionId);
            return serde.serializer().serialize(topic, meta);
        }
        if (topic.equals(SessionStores.changelogTopic(applicationId, SessionStores.TRACES))) {
            Serde<TurnTrace> serde = topics.serde(TurnTrace.class);
            TurnTrace trace = serde.deserializer().deserialize(topic, value);
            trace.setSessionId(sessionId);
            return serde.serializer().serialize(topic, trace);
        }
        return value;
    }

    private KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.LINGER_MS_CONFIG,
                        20,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        512 * 1024,
                        ProducerConfig.BUFFER_MEMORY_CONFIG,
                        128L * 1024 * 1024),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private String activityTopic() {
        return SessionStores.changelogTopic(applicationId, SessionStores.ACTIVITY);
    }

    /**
     * Whether {@code key} of {@code topic} is the bench tenant's {@code sessionId}'s entry in the
     * session activity index: a key that holds no address (its value does), so the address match
     * misses it.
     */
    private boolean isActivityKeyOf(String topic, byte[] key, String sessionId) {
        Bytes activityKey = Bytes.wrap(key);
        return topic.equals(activityTopic())
                && SessionStores.tenantOfActivity(activityKey).equals(TurnDriver.TENANT)
                && SessionStores.sessionOfActivity(activityKey, TurnDriver.TENANT)
                        .equals(sessionId);
    }

    /** An activity index key of session {@code from} made {@code to}'s, its tenant and bucket kept. */
    static byte[] replaceActivitySession(byte[] key, String from, String to) {
        Bytes activityKey = Bytes.wrap(key);
        String tenant = SessionStores.tenantOfActivity(activityKey);
        if (!SessionStores.sessionOfActivity(activityKey, tenant).equals(from)) {
            throw new IllegalArgumentException("activity key does not end with the template's session id");
        }
        return SessionStores.activityKey(
                        new SessionAddress(tenant, to), SessionStores.bucketOfActivity(activityKey, tenant))
                .get();
    }

    private static byte[] address(String sessionId) {
        return SessionAddress.key(TurnDriver.TENANT, sessionId).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code key} with its one occurrence of {@code from} replaced by {@code to}. */
    static byte[] replace(byte[] key, byte[] from, byte[] to) {
        int at = indexOf(key, from);
        if (at < 0) {
            throw new IllegalArgumentException("key does not hold the template's address");
        }
        byte[] out = new byte[key.length - from.length + to.length];
        System.arraycopy(key, 0, out, 0, at);
        System.arraycopy(to, 0, out, at, to.length);
        System.arraycopy(key, at + from.length, out, at + to.length, key.length - at - from.length);
        return out;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
