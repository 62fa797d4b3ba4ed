package dev.skein.ingress;

import dev.skein.events.PushNotificationConfig;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A2A push notification configs on the compacted {@code skein.a2a-push-configs} topic, read from
 * the beginning by every instance (like the API keys), so that a config outlives a restart and any
 * instance can deliver it. A record that cannot be read is dead-lettered and skipped.
 */
public final class KafkaA2aPushStore implements A2aPushStore, AutoCloseable {

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final TopicTail.Names NAMES = new TopicTail.Names(
            "skein-a2a-push-configs",
            "a2a push config view",
            "a2a push config reader",
            "push notification configs created elsewhere will not be seen");

    private final SkeinTopics topics;
    private final EventProducer producer;
    private final NavigableMap<String, A2aPushConfig> configs = new ConcurrentSkipListMap<>();
    private final TopicTail tail;

    /**
     * @param producer    writes the configs; owned by the caller
     * @param deadLetters where unreadable records go; owned by the caller
     */
    public KafkaA2aPushStore(
            Map<String, Object> kafkaClientProps,
            SkeinTopics topics,
            EventProducer producer,
            EventProducer deadLetters) {
        this.topics = topics;
        this.producer = producer;
        Map<String, Object> config = TopicTail.consumerConfig(kafkaClientProps, NAMES.thread());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.tail = new TopicTail(
                TopicTail.consumer(config),
                List.of(topics.a2aPushConfigs.name()),
                TopicTail.From.BEGINNING,
                POLL_TIMEOUT,
                NAMES,
                this::apply,
                (record, cause) -> deadLetters.deadLetter(topics.deadLetters, record, cause),
                () -> {});
    }

    /** Completes once everything the topic held at the start has been read. */
    public CompletableFuture<Void> ready() {
        return tail.ready();
    }

    public Health.Component health() {
        String problem = tail.problem();
        return problem == null
                ? Health.Component.up(configs.size() + " push notification configs")
                : Health.Component.down(problem);
    }

    @Override
    public CompletableFuture<Void> put(A2aPushConfig config) {
        // Also kept here at once: the instance that created it reads it back before the tail does.
        return producer.send(topics.a2aPushConfigs, config.key(), config.toAvro())
                .thenRun(() -> configs.put(config.key(), config));
    }

    @Override
    public CompletableFuture<Void> delete(String tenant, String taskId, String id) {
        String key = tenant + "/" + taskId + "/" + id;
        return producer.tombstone(topics.a2aPushConfigs, key).thenRun(() -> configs.remove(key));
    }

    @Override
    public List<A2aPushConfig> of(String tenant, String taskId) {
        return ofTask(configs, tenant, taskId);
    }

    @Override
    public List<A2aPushConfig> all() {
        return List.copyOf(configs.values());
    }

    static List<A2aPushConfig> ofTask(Map<String, A2aPushConfig> configs, String tenant, String taskId) {
        String prefix = tenant + "/" + taskId + "/";
        return configs.entrySet().stream()
                .filter(entry -> entry.getKey().startsWith(prefix))
                .map(Map.Entry::getValue)
                .toList();
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.key() == null) {
            throw new IllegalArgumentException("a record of " + record.topic() + " has no key");
        }
        String key = topics.a2aPushConfigs.keySerde().deserializer().deserialize(record.topic(), record.key());
        if (record.value() == null) {
            configs.remove(key);
            return;
        }
        PushNotificationConfig value =
                topics.a2aPushConfigs.valueSerde().deserializer().deserialize(record.topic(), record.value());
        A2aPushConfig config = A2aPushConfig.of(value);
        if (!config.key().equals(key)) {
            configs.remove(key);
            throw new IllegalArgumentException("the record's key '" + key + "' is not the config's " + config.key());
        }
        configs.put(key, config);
    }

    @Override
    public void close() {
        tail.close();
    }
}
