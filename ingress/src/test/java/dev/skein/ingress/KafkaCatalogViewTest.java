package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KafkaCatalogViewTest {

    private final SkeinTopics topics = new SkeinTopics("t.", new InMemorySchemaRegistry());
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final TopicPartition catalog = new TopicPartition("t.tool-catalog", 0);
    private final TopicPartition workers = new TopicPartition("t.workers", 0);
    private KafkaCatalogView view;

    @BeforeEach
    void partitions() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        consumer.updatePartitions(catalog.topic(), List.of(new PartitionInfo(catalog.topic(), 0, null, null, null)));
        consumer.updatePartitions(workers.topic(), List.of(new PartitionInfo(workers.topic(), 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(catalog, 0L, workers, 0L));
    }

    @AfterEach
    void stop() {
        if (view != null) {
            view.close();
        }
    }

    @Test
    void keepsTheLatestValuePerKeyAndATombstoneRemovesIt() throws Exception {
        consumer.updateEndOffsets(Map.of(catalog, 4L, workers, 2L));
        // Poll tasks run on the reader thread once it has assigned the partitions.
        consumer.schedulePollTask(() -> {
            tool(0, "echo", tool("echo", 1));
            tool(1, "echo", tool("echo", 2));
            tool(2, "render", tool("render", 1));
            tombstone(catalog, 3, "render");
            worker(0, "w1", worker("w1", 1));
            worker(1, "w1", worker("w1", 2));
        });
        view = new KafkaCatalogView(consumer, topics);

        view.ready().get(5, TimeUnit.SECONDS);

        assertThat(consumer.assignment()).containsExactlyInAnyOrder(catalog, workers);
        assertThat(view.tools()).singleElement().satisfies(t -> {
            assertThat(t.getName()).isEqualTo("echo");
            assertThat(t.getVersion()).isEqualTo(2);
        });
        assertThat(view.workers())
                .singleElement()
                .satisfies(w -> assertThat(w.getTimestampMs()).isEqualTo(2L));
        assertThat(view.health().up()).isTrue();
    }

    @Test
    void aRecordThatCannotBeReadKeepsThePreviousValue() throws Exception {
        consumer.updateEndOffsets(Map.of(catalog, 2L, workers, 0L));
        consumer.schedulePollTask(() -> {
            tool(0, "echo", tool("echo", 1));
            consumer.addRecord(new ConsumerRecord<>(
                    catalog.topic(), 0, 1, key("echo"), "not avro".getBytes(StandardCharsets.UTF_8)));
        });
        view = new KafkaCatalogView(consumer, topics);

        view.ready().get(5, TimeUnit.SECONDS);

        assertThat(view.tools())
                .singleElement()
                .satisfies(t -> assertThat(t.getVersion()).isEqualTo(1));
    }

    @Test
    void isNotReadyUntilItHasReadUpToTheEndOffsetsSeenAtStart() throws Exception {
        consumer.updateEndOffsets(Map.of(catalog, 2L, workers, 0L));
        consumer.schedulePollTask(() -> tool(0, "echo", tool("echo", 1)));
        view = new KafkaCatalogView(consumer, topics);

        assertThat(view.ready())
                .as("offset 1 of the catalog is still to be read")
                .failsWithin(500, TimeUnit.MILLISECONDS)
                .withThrowableThat()
                .isInstanceOf(java.util.concurrent.TimeoutException.class);
        assertThat(view.tools()).hasSize(1);

        consumer.schedulePollTask(() -> tool(1, "grep", tool("grep", 1)));
        view.ready().get(5, TimeUnit.SECONDS);
        assertThat(view.tools()).extracting(ToolDefinition::getName).containsExactlyInAnyOrder("echo", "grep");
    }

    @Test
    void closingStopsTheReaderAndClosesTheConsumer() {
        consumer.updateEndOffsets(Map.of(catalog, 0L, workers, 0L));
        view = new KafkaCatalogView(consumer, topics);

        view.close();

        assertThat(consumer.closed()).isTrue();
        assertThat(view.health().up()).isFalse();
    }

    private void tool(long offset, String key, ToolDefinition value) {
        consumer.addRecord(new ConsumerRecord<>(
                catalog.topic(),
                0,
                offset,
                key(key),
                topics.toolCatalog.valueSerde().serializer().serialize(catalog.topic(), value)));
    }

    private void worker(long offset, String key, WorkerHeartbeat value) {
        consumer.addRecord(new ConsumerRecord<>(
                workers.topic(),
                0,
                offset,
                key(key),
                topics.workers.valueSerde().serializer().serialize(workers.topic(), value)));
    }

    private void tombstone(TopicPartition partition, long offset, String key) {
        consumer.addRecord(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, key(key), null));
    }

    private static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    static ToolDefinition tool(String name, int version) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription(name)
                .setVersion(version)
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .build();
    }

    static WorkerHeartbeat worker(String id, long timestampMs) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("h")
                .setTiers(List.of("small"))
                .setCapabilities(ResourceSpec.newBuilder().build())
                .setTools(List.of("echo"))
                .setStartedAtMs(0)
                .setTimestampMs(timestampMs)
                .build();
    }
}
