package dev.skein.topologies.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.DeadLetter;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class DeadLetterHandlerTest {

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());

    @Test
    void anUnreadableRecordBecomesADeadLetterWithItsOriginAndCauseAndProcessingResumes() {
        DeadLetterHandler handler = new DeadLetterHandler();
        handler.configure(Map.of(
                DeadLetterHandler.TOPIC_CONFIG,
                topics.deadLetters.name(),
                DeadLetterHandler.SERIALIZER_CONFIG,
                topics.deadLetters.valueSerde().serializer()));
        byte[] key = "acme/s1".getBytes();
        byte[] value = {1, 2, 3};

        DeserializationExceptionHandler.Response response = handler.handleError(
                context(key, value),
                new ConsumerRecord<>("skein.turns", 2, 41L, key, value),
                new SerializationException("not in Confluent's Avro wire format"));

        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> record =
                response.deadLetterQueueRecords().getFirst();
        assertThat(record.topic()).isEqualTo("skein.dead-letters");
        assertThat(record.key()).isEqualTo(key);
        DeadLetter letter = topics.deadLetters.valueSerde().deserializer().deserialize(record.topic(), record.value());
        assertThat(letter.getTopic()).isEqualTo("skein.turns");
        assertThat(letter.getPartition()).isEqualTo(2);
        assertThat(letter.getOffset()).isEqualTo(41L);
        assertThat(letter.getValue().array()).containsExactly(1, 2, 3);
        assertThat(letter.getCause()).contains("cannot deserialize").contains("wire format");
    }

    @Test
    void onTheGlobalThreadTheHandlerWritesTheDeadLetterItselfAndReturnsNoneToKafkaStreams() {
        // Kafka Streams 4.4 casts the global thread's context to a record collector supplier when a
        // deserialization handler returns dead letters, and fails the thread (the node) for good.
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        DeadLetterHandler handler = new DeadLetterHandler(config -> producer);
        handler.configure(Map.of(
                DeadLetterHandler.TOPIC_CONFIG,
                topics.deadLetters.name(),
                DeadLetterHandler.SERIALIZER_CONFIG,
                topics.deadLetters.valueSerde().serializer()));
        byte[] key = "w1".getBytes();
        byte[] value = {0, 0, 0, 0, 9, 1};

        DeserializationExceptionHandler.Response response = handler.handleError(
                globalContext("skein.workers", key, value),
                new ConsumerRecord<>("skein.workers", 0, 7L, key, value),
                new SerializationException("unknown schema id 9"));

        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
        assertThat(producer.history()).hasSize(1);
        ProducerRecord<byte[], byte[]> written = producer.history().getFirst();
        assertThat(written.topic()).isEqualTo("skein.dead-letters");
        assertThat(written.key()).isEqualTo(key);
        DeadLetter letter =
                topics.deadLetters.valueSerde().deserializer().deserialize(written.topic(), written.value());
        assertThat(letter.getTopic()).isEqualTo("skein.workers");
        assertThat(letter.getPartition()).isEqualTo(0);
        assertThat(letter.getOffset()).isEqualTo(7L);
        assertThat(letter.getCause()).contains("cannot deserialize").contains("unknown schema id 9");
    }

    @Test
    void aGlobalStoreProcessorThatFailsIsDeadLetteredByTheHandlerItself() {
        // For a processing handler on the global thread, Kafka Streams 4.4 logs and drops the dead letters.
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        DeadLetterHandler handler = new DeadLetterHandler(config -> producer);
        handler.configure(Map.of(
                DeadLetterHandler.TOPIC_CONFIG,
                topics.deadLetters.name(),
                DeadLetterHandler.SERIALIZER_CONFIG,
                topics.deadLetters.valueSerde().serializer()));

        ProcessingExceptionHandler.Response response = handler.handleError(
                globalContext("skein.tool-catalog", null, new byte[] {0, 1}),
                new Record<>(null, "x", 0L),
                new NullPointerException("null key"));

        assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
        DeadLetter letter = topics.deadLetters
                .valueSerde()
                .deserializer()
                .deserialize("skein.dead-letters", producer.history().getFirst().value());
        assertThat(letter.getTopic()).isEqualTo("skein.tool-catalog");
        assertThat(letter.getCause()).contains("processing failed").contains("null key");
    }

    @Test
    void aFailedPunctuationIsLoggedAndResumedWithNoDeadLetterSinceNoRecordFailed() {
        DeadLetterHandler handler = new DeadLetterHandler();
        handler.configure(Map.of(
                DeadLetterHandler.TOPIC_CONFIG,
                topics.deadLetters.name(),
                DeadLetterHandler.SERIALIZER_CONFIG,
                topics.deadLetters.valueSerde().serializer()));

        ProcessingExceptionHandler.Response response = handler.handleError(
                punctuationContext(), new Record<>(null, null, 0L), new IllegalStateException("unreadable meta"));

        // Before, building a dead letter with no topic threw, and the stream thread died of it.
        assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void refusesToStartWithoutItsConfiguration() {
        assertThatThrownBy(() -> new DeadLetterHandler().configure(Map.of()))
                .hasMessageContaining(DeadLetterHandler.TOPIC_CONFIG);
    }

    /** What Kafka Streams passes for a punctuation: no topic, partition or offset, no source record. */
    private static ErrorHandlerContext punctuationContext() {
        return context(null, new TaskId(0, 1), null, null);
    }

    private static ErrorHandlerContext context(byte[] key, byte[] value) {
        return context("skein.turns", new TaskId(0, 2), key, value);
    }

    /** What the global thread passes: its task id is -1_-1. */
    private static ErrorHandlerContext globalContext(String topic, byte[] key, byte[] value) {
        return context(topic, new TaskId(-1, -1), key, value);
    }

    private static ErrorHandlerContext context(String topic, TaskId task, byte[] key, byte[] value) {
        return new ErrorHandlerContext() {
            public String topic() {
                return topic;
            }

            public int partition() {
                return topic == null ? -1 : task.subtopology() < 0 ? 0 : 2;
            }

            public long offset() {
                return topic == null ? -1L : task.subtopology() < 0 ? 7L : 41L;
            }

            public Headers headers() {
                return new RecordHeaders();
            }

            public String processorNodeId() {
                return "turns-source";
            }

            public TaskId taskId() {
                return task;
            }

            public long timestamp() {
                return 0L;
            }

            public byte[] sourceRawKey() {
                return key;
            }

            public byte[] sourceRawValue() {
                return value;
            }
        };
    }
}
