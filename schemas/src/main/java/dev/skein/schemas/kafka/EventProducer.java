package dev.skein.schemas.kafka;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeadLetter;
import dev.skein.schemas.Topic;
import dev.skein.schemas.errors.DeadLetters;
import dev.skein.schemas.tracing.TraceHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One idempotent producer for every topic a component writes to: values are serialized with the
 * topic's own serde, so a single producer (one connection set, one idempotence session) serves
 * events of different types.
 */
public final class EventProducer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventProducer.class);

    private final Producer<String, byte[]> producer;
    private final String component;

    /**
     * @param kafkaConfig connection settings (bootstrap servers, security); producer settings here
     *     override the defaults except the ones that make the producer safe (idempotence, acks)
     * @param component who writes, for dead letters and the client id: {@code agent-runner}, {@code worker:<id>}
     */
    public EventProducer(Map<String, Object> kafkaConfig, String component) {
        this.component = component;
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "skein-" + component.replace(':', '-') + "-producer");
        // An answer should leave at once: batching would only add latency to a turn.
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        // A record is acknowledged to the share group only after this producer's send is acked, so the
        // send must be durable and free of duplicates from retries.
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Writes through {@code producer} as it is configured (a {@code MockProducer} in tests); it
     * should be idempotent with {@code acks=all}, as the other constructor makes it.
     */
    public EventProducer(Producer<String, byte[]> producer, String component) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.component = Objects.requireNonNull(component, "component");
    }

    /**
     * Sends {@code value} to {@code topic}; the future completes when the broker acknowledged it.
     * The record carries the caller's current trace context in its headers ({@link TraceHeaders}).
     */
    public <V> CompletableFuture<RecordMetadata> send(Topic<String, V> topic, String key, V value) {
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(topic.name(), null, key, bytes, TraceHeaders.current());
        producer.send(record, (metadata, error) -> {
            if (error == null) {
                acked.complete(metadata);
            } else {
                acked.completeExceptionally(error);
            }
        });
        return acked;
    }

    /** Sends a tombstone for {@code key} (deletes it from a compacted topic); completes when acknowledged. */
    public CompletableFuture<RecordMetadata> tombstone(Topic<String, ?> topic, String key) {
        CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic.name(), key, null), (metadata, error) -> {
            if (error == null) {
                acked.complete(metadata);
            } else {
                acked.completeExceptionally(error);
            }
        });
        return acked;
    }

    /**
     * Sends a delta without waiting for it. Deltas are a live view with short retention: a lost
     * one costs a flicker, not an answer, so the sender goes on; a failure is logged.
     */
    public void sendDelta(Topic<String, AgentDelta> deltas, String address, AgentDelta delta) {
        send(deltas, address, delta).whenComplete((metadata, error) -> {
            if (error != null) {
                log.warn(
                        "[{} turn {}] a {} delta was not written: {}",
                        address,
                        delta.getTurnId(),
                        delta.getKind(),
                        error.getMessage());
            }
        });
    }

    /** Sends and waits for the broker's acknowledgement; throws {@link KafkaException} saying what failed. */
    public <V> RecordMetadata sendAndWait(Topic<String, V> topic, String key, V value, Duration timeout)
            throws InterruptedException {
        try {
            return send(topic, key, value).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "Cannot write to " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("Writing to " + topic.name() + " was not acknowledged within " + timeout, e);
        }
    }

    /**
     * Writes a {@link DeadLetter} for a record that could not be deserialized, with its raw key and
     * value, and waits for it. Returns false (and logs why) when the dead letter could not be written.
     */
    public boolean deadLetter(Topic<String, DeadLetter> deadLetters, RecordDeserializationException poison) {
        TopicPartition tp = poison.topicPartition();
        return deadLetter(
                deadLetters,
                tp.topic(),
                tp.partition(),
                poison.offset(),
                bytes(poison.keyBuffer()),
                bytes(poison.valueBuffer()),
                describe(poison));
    }

    /**
     * Writes a {@link DeadLetter} for a raw record this component read but cannot use (its bytes do
     * not decode, its key is missing), and waits for it. Returns false (and logs why) when the dead
     * letter could not be written.
     */
    public boolean deadLetter(
            Topic<String, DeadLetter> deadLetters, ConsumerRecord<byte[], byte[]> record, String cause) {
        return deadLetter(
                deadLetters, record.topic(), record.partition(), record.offset(), record.key(), record.value(), cause);
    }

    /**
     * Writes a {@link DeadLetter} for the record at {@code topic}-{@code partition}@{@code offset},
     * given by its parts, and waits for it. Returns false (and logs why) when it could not be written.
     */
    public boolean deadLetter(
            Topic<String, DeadLetter> deadLetters,
            String topic,
            int partition,
            long offset,
            byte[] key,
            byte[] value,
            String cause) {
        DeadLetter letter =
                DeadLetters.from(topic, partition, offset).key(key).value(value).rejectedBy(component, cause);
        try {
            sendAndWait(
                    deadLetters,
                    key == null ? null : new String(key, StandardCharsets.UTF_8),
                    letter,
                    Duration.ofSeconds(30));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("Interrupted while dead-lettering {}-{}@{}", topic, partition, offset);
            return false;
        } catch (KafkaException e) {
            log.error("Cannot dead-letter {}-{}@{}", topic, partition, offset, e);
            return false;
        }
    }

    private static String describe(RecordDeserializationException poison) {
        Throwable cause = poison.getCause() == null ? poison : poison.getCause();
        return "cannot deserialize the record's " + poison.origin().name().toLowerCase() + ": " + cause.getMessage();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
