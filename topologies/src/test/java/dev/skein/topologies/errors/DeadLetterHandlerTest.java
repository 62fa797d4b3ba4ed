package dev.skein.topologies.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.DeadLetter;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
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
    void refusesToStartWithoutItsConfiguration() {
        assertThatThrownBy(() -> new DeadLetterHandler().configure(Map.of()))
                .hasMessageContaining(DeadLetterHandler.TOPIC_CONFIG);
    }

    private static ErrorHandlerContext context(byte[] key, byte[] value) {
        return new ErrorHandlerContext() {
            public String topic() {
                return "skein.turns";
            }

            public int partition() {
                return 2;
            }

            public long offset() {
                return 41L;
            }

            public Headers headers() {
                return new RecordHeaders();
            }

            public String processorNodeId() {
                return "turns-source";
            }

            public TaskId taskId() {
                return new TaskId(0, 2);
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
