package dev.skein.ingress;

import dev.skein.events.ApiKey;
import dev.skein.ingress.auth.ApiKeyStore;
import dev.skein.ingress.auth.Role;
import dev.skein.ingress.auth.StoredKey;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys of the compacted {@code skein.api-keys} topic, in memory: read on one thread from
 * the beginning, like {@link KafkaCatalogView}; a tombstone revokes its key at once on every
 * instance that reads it (a WebSocket opened with it is closed within a second).
 *
 * <p>A record that cannot be used (bad bytes, another schema, no key, a key that is not the
 * record's id, an unknown role, an invalid tenant or hash) is dead-lettered with topic, partition,
 * offset and cause, and skipped. What such a record does to its key: the key is removed, not kept
 * as it was. A record meant to change a key's roles or tenant that cannot be read must not leave
 * the old grant in force; the key then fails closed until it is written again.
 */
public final class KafkaApiKeyView implements ApiKeyStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaApiKeyView.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final TopicTail.Names NAMES = new TopicTail.Names(
            "skein-api-key-view", "api key view", "api key reader", "added and revoked API keys will not be seen");

    private final SkeinTopics topics;
    private final Map<String, StoredKey> keys = new ConcurrentHashMap<>();
    private final TopicTail tail;

    /**
     * @param kafkaClientProps common client settings (bootstrap servers, security)
     * @param deadLetters      where unreadable records go; owned by the caller, closed after this view
     */
    public KafkaApiKeyView(Map<String, Object> kafkaClientProps, SkeinTopics topics, EventProducer deadLetters) {
        this(
                TopicTail.consumer(consumerConfig(kafkaClientProps)),
                topics,
                (record, cause) -> deadLetters.deadLetter(topics.deadLetters, record, cause));
    }

    /** For tests: any consumer, e.g. {@code MockConsumer}, and any rejects. Starts the reading thread. */
    KafkaApiKeyView(Consumer<byte[], byte[]> consumer, SkeinTopics topics, TopicTail.Rejects rejects) {
        this.topics = topics;
        // Last: the reader thread starts here.
        this.tail = new TopicTail(
                consumer,
                List.of(topics.apiKeys.name()),
                TopicTail.From.BEGINNING,
                POLL_TIMEOUT,
                NAMES,
                this::apply,
                rejects,
                () -> {});
        tail.ready().thenRun(() -> log.info("api key view: caught up with {} keys", keys.size()));
    }

    static Map<String, Object> consumerConfig(Map<String, Object> kafkaClientProps) {
        Map<String, Object> config = TopicTail.consumerConfig(kafkaClientProps, NAMES.thread());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return config;
    }

    /** Completes once everything the topic held when the view started has been read. */
    public CompletableFuture<Void> ready() {
        return tail.ready();
    }

    public Health.Component health() {
        String problem = tail.problem();
        return problem == null
                ? Health.Component.up(keys.size() + " API keys" + (tail.ready().isDone() ? "" : " (still catching up)"))
                : Health.Component.down(problem);
    }

    @Override
    public Optional<StoredKey> find(String id) {
        return Optional.ofNullable(keys.get(id));
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        String id = record.key() == null
                ? null
                : topics.apiKeys.keySerde().deserializer().deserialize(record.topic(), record.key());
        if (id == null) {
            throw new IllegalArgumentException("a record of " + record.topic() + " has no key");
        }
        if (record.value() == null) {
            if (keys.remove(id) != null) {
                log.info("api key view: key {} revoked", id);
            }
            return;
        }
        StoredKey key;
        try {
            ApiKey value = topics.apiKeys.valueSerde().deserializer().deserialize(record.topic(), record.value());
            if (!id.equals(value.getId())) {
                throw new IllegalArgumentException(
                        "the record's key '" + id + "' is not the key id '" + value.getId() + "' it holds");
            }
            key = new StoredKey(
                    value.getId(),
                    value.getSha256(),
                    value.getTenant(),
                    Role.parseAll(value.getRoles()),
                    value.getDescription());
        } catch (RuntimeException e) {
            // Fail closed: a grant that cannot be read is not left as it was (see the class comment).
            keys.remove(id);
            throw e;
        }
        keys.put(id, key);
        log.debug("api key view: key {} of tenant {} with roles {}", id, key.tenant(), key.roles());
    }

    @Override
    public void close() {
        tail.close();
    }
}
