package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ToolDefinition;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class ToolCatalogReadTest {

    private final TopicPartition catalog = new TopicPartition("t.tool-catalog", 0);
    private final MockConsumer<String, ToolDefinition> consumer = new MockConsumer<>("earliest");

    @Test
    void anUnreadableRecordIsHandedToThePoisonSinkAndSkippedSoTheWorkerCanStart() {
        consumer.updatePartitions(catalog.topic(), List.of(new PartitionInfo(catalog.topic(), 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(catalog, 0L));
        consumer.updateEndOffsets(Map.of(catalog, 4L));
        RecordDeserializationException poison = new RecordDeserializationException(
                RecordDeserializationException.DeserializationExceptionOrigin.VALUE,
                catalog,
                1L,
                0L,
                TimestampType.CREATE_TIME,
                ByteBuffer.wrap("echo".getBytes()),
                ByteBuffer.wrap(new byte[] {1, 2, 3}),
                new RecordHeaders(),
                "Error deserializing VALUE for partition t.tool-catalog-0 at offset 1",
                new SerializationException("not in Confluent's Avro wire format"));
        // As a real consumer does: the records before the bad one, then the error, then what follows.
        consumer.schedulePollTask(() -> consumer.addRecord(record(0, "echo", definition("echo", 1))));
        consumer.schedulePollTask(() -> consumer.setPollException(poison));
        consumer.schedulePollTask(() -> {
            consumer.addRecord(record(2, null, definition("keyless", 1)));
            consumer.addRecord(record(3, "grep", definition("grep", 1)));
        });
        List<RecordDeserializationException> poisoned = new ArrayList<>();

        Map<String, ToolDefinition> latest =
                ToolCatalog.read(consumer, catalog.topic(), Duration.ofSeconds(5), poisoned::add);

        assertThat(latest).containsOnlyKeys("echo", "grep");
        assertThat(poisoned).containsExactly(poison);
    }

    private ConsumerRecord<String, ToolDefinition> record(long offset, String key, ToolDefinition value) {
        return new ConsumerRecord<>(catalog.topic(), 0, offset, key, value);
    }

    private static ToolDefinition definition(String name, int version) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription(name)
                .setVersion(version)
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(dev.skein.events.ResourceSpec.newBuilder().build())
                .setRetry(dev.skein.events.RetryPolicy.newBuilder().build())
                .build();
    }
}
