package dev.skein.schemas.registry;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the schemas topic, from its start, into {@link KnownSchemas}. Not thread-safe (its
 * consumer is not): the registry calls it under its lock.
 */
final class SchemasTopicReader implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(200);

    private final String topic;
    private final TopicPartition partition;
    private final Duration timeout;
    private final KnownSchemas into;
    private final KafkaConsumer<byte[], byte[]> consumer;

    /**
     * Opens the consumer; nothing is read before {@link #readFromStart()}.
     *
     * @throws SchemaRegistryException when the consumer cannot be created
     */
    SchemasTopicReader(Properties clientProperties, String topic, Duration timeout, KnownSchemas into) {
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.timeout = timeout;
        this.into = into;
        try {
            this.consumer = new KafkaConsumer<>(consumerProperties(clientProperties));
        } catch (KafkaException e) {
            throw new SchemaRegistryException(
                    "Cannot open a consumer of schemas topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Assigns the one partition, from its beginning, and reads it to its end. */
    void readFromStart() {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        readToEnd(-1);
    }

    /**
     * Reads until the end offset of now, or until {@code atLeast} when that is further (a record
     * just written, whose offset the end may not show yet).
     *
     * @throws SchemaRegistryException -1 when the topic cannot be read that far in time
     */
    void readToEnd(long atLeast) {
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
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    into.apply(record);
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

    @Override
    public void close() {
        consumer.close(timeout);
    }

    private static Properties consumerProperties(Properties common) {
        Properties properties = new Properties();
        properties.putAll(common);
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
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return properties;
    }
}
