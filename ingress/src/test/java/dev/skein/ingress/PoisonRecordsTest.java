package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.DeadLetter;
import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.errors.DeadLetters;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Every kind of bad record on every topic the ingress reads: dead-lettered with its origin and cause, and reading goes on. */
class PoisonRecordsTest {

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    private final SkeinTopics topics = new SkeinTopics("t.", registry);
    private final List<String> rejected = new CopyOnWriteArrayList<>();
    private final CountDownLatch twelve = new CountDownLatch(12);
    private final TopicTail.Rejects rejects = (record, cause) -> {
        rejected.add(record.topic() + "@" + record.offset() + " " + cause);
        twelve.countDown();
    };

    /** The bad values, by kind; a null key is added separately. */
    private Map<String, byte[]> badValues(String topic, byte[] valid) {
        Map<String, byte[]> kinds = new LinkedHashMap<>();
        kinds.put("garbage", "not avro at all".getBytes(StandardCharsets.UTF_8));
        kinds.put("unknown schema id", new byte[] {0, 0x12, 0x34, 0x56, 0x78, 2, 'a'});
        DeadLetter other = DeadLetters.from("x", 0, 0).rejectedBy("test", "a record of another type");
        kinds.put(
                "wrong schema",
                AvroSerde.of(DeadLetter.class, registry).serializer().serialize(topic, other));
        kinds.put("truncated", Arrays.copyOf(valid, valid.length / 2));
        kinds.put("empty", new byte[0]);
        return kinds;
    }

    @Test
    void theCatalogViewDeadLettersEveryKindOfBadRecordAndKeepsReading() throws Exception {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        TopicPartition catalog = partition(consumer, "t.tool-catalog");
        TopicPartition workers = partition(consumer, "t.workers");
        byte[] tool = topics.toolCatalog
                .valueSerde()
                .serializer()
                .serialize(catalog.topic(), KafkaCatalogViewTest.tool("echo", 1));
        byte[] worker = topics.workers
                .valueSerde()
                .serializer()
                .serialize(workers.topic(), KafkaCatalogViewTest.worker("w1", 1));
        Map<String, byte[]> badTools = badValues(catalog.topic(), tool);
        Map<String, byte[]> badWorkers = badValues(workers.topic(), worker);
        // Per topic: each bad kind, a null key, a tombstone for a key never seen, then a good record.
        consumer.updateBeginningOffsets(Map.of(catalog, 0L, workers, 0L));
        consumer.updateEndOffsets(Map.of(catalog, badTools.size() + 3L, workers, badWorkers.size() + 3L));
        consumer.schedulePollTask(() -> {
            feed(consumer, catalog, badTools, tool);
            feed(consumer, workers, badWorkers, worker);
        });

        try (KafkaCatalogView view =
                new KafkaCatalogView(consumer, topics, null, null, System::currentTimeMillis, rejects, () -> {})) {
            view.ready().get(5, TimeUnit.SECONDS);

            assertThat(view.tools()).extracting(ToolDefinition::getName).containsExactly("echo");
            assertThat(view.workers()).extracting(WorkerHeartbeat::getWorkerId).containsExactly("w1");
            assertThat(view.health().up()).isTrue();
        }
        // 5 bad values and a null key on each topic; the tombstone is legitimate and deletes.
        assertThat(rejected).hasSize(12);
        for (String topic : List.of(catalog.topic(), workers.topic())) {
            for (int offset = 0; offset < 6; offset++) {
                assertThat(rejected).anySatisfy(line -> assertThat(line).startsWith(topic + "@"));
            }
            assertThat(rejected)
                    .contains(topic + "@5 catalog view cannot read the record: java.lang.IllegalArgumentException:"
                            + " a record of compacted topic " + topic + " has no key");
        }
        assertThat(rejected)
                .anySatisfy(line -> assertThat(line).startsWith("t.workers@1").contains("not found"));
        assertThat(rejected)
                .anySatisfy(line -> assertThat(line).startsWith("t.workers@2").contains("DeadLetter"));
    }

    @Test
    void theSessionEventsReaderDeadLettersEveryKindOfBadRecordAndAGoodOneStillArrives() throws Exception {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("latest");
        TopicPartition responses = partition(consumer, "t.responses");
        TopicPartition deltas = partition(consumer, "t.deltas");
        consumer.updateEndOffsets(Map.of(responses, 0L, deltas, 0L));
        try (KafkaSessionEvents events = new KafkaSessionEvents(
                consumer, () -> new MockConsumer<>("latest"), topics, TestDoubles.STREAMS, rejects, () -> {})) {
            events.ready().get(5, TimeUnit.SECONDS);
            var waiter = events.expect(new dev.skein.schemas.SessionAddress("acme", "s1"), "t1");
            byte[] completed = topics.responses.valueSerde().serializer().serialize(responses.topic(), completed());
            Map<String, byte[]> bad = badValues(responses.topic(), completed);
            bad.put("tombstone", null);
            consumer.schedulePollTask(() -> {
                long offset = 0;
                for (byte[] value : bad.values()) {
                    consumer.addRecord(
                            new ConsumerRecord<>(responses.topic(), 0, offset++, "acme/s1".getBytes(), value));
                    consumer.addRecord(
                            new ConsumerRecord<>(deltas.topic(), 0, offset - 1, "acme/s1".getBytes(), value));
                }
                consumer.addRecord(new ConsumerRecord<>(responses.topic(), 0, offset, null, completed));
            });

            assertThat(waiter.get(5, TimeUnit.SECONDS).getTurnId()).isEqualTo("t1");
            assertThat(twelve.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(rejected).hasSize(12);
            assertThat(rejected)
                    .anySatisfy(
                            line -> assertThat(line).startsWith("t.deltas@5").contains("has no value"));
            assertThat(events.health().up()).isTrue();
        }
    }

    @Test
    void aWorkerSilentForLongerThanTheForgetAfterTimeIsDroppedAndHealthCountsLiveWorkers() throws Exception {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        TopicPartition catalog = partition(consumer, "t.tool-catalog");
        TopicPartition workers = partition(consumer, "t.workers");
        AtomicLong now = new AtomicLong(1_000_000L);
        consumer.updateBeginningOffsets(Map.of(catalog, 0L, workers, 0L));
        consumer.updateEndOffsets(Map.of(catalog, 0L, workers, 3L));
        consumer.schedulePollTask(() -> {
            heartbeat(consumer, workers, 0, "alive", now.get() - 1_000);
            heartbeat(consumer, workers, 1, "silent", now.get() - 60_000);
            heartbeat(consumer, workers, 2, "gone", now.get() - 11 * 60_000);
        });

        try (KafkaCatalogView view = new KafkaCatalogView(
                consumer, topics, Duration.ofSeconds(15), Duration.ofMinutes(10), now::get, rejects, () -> {})) {
            view.ready().get(5, TimeUnit.SECONDS);

            assertThat(view.workers())
                    .extracting(WorkerHeartbeat::getWorkerId)
                    .containsExactlyInAnyOrder("alive", "silent");
            assertThat(view.health().detail()).isEqualTo("0 tools, 1 live workers (2 known)");
            now.addAndGet(Duration.ofSeconds(570).toMillis()); // "silent" is now 10.5 min old, "alive" 9.5
            assertThat(view.workers()).extracting(WorkerHeartbeat::getWorkerId).containsExactly("alive");
        }
    }

    private void heartbeat(
            MockConsumer<byte[], byte[]> consumer, TopicPartition workers, long offset, String id, long at) {
        consumer.addRecord(new ConsumerRecord<>(
                workers.topic(),
                0,
                offset,
                id.getBytes(StandardCharsets.UTF_8),
                topics.workers
                        .valueSerde()
                        .serializer()
                        .serialize(workers.topic(), KafkaCatalogViewTest.worker(id, at))));
    }

    private static dev.skein.events.TurnCompleted completed() {
        return dev.skein.events.TurnCompleted.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStatus(dev.skein.events.TurnStatus.COMPLETED)
                .setCompletedAtMs(1L)
                .build();
    }

    private static void feed(
            MockConsumer<byte[], byte[]> consumer, TopicPartition tp, Map<String, byte[]> bad, byte[] good) {
        long offset = 0;
        for (byte[] value : bad.values()) {
            consumer.addRecord(new ConsumerRecord<>(tp.topic(), 0, offset++, "echo".getBytes(), value));
        }
        consumer.addRecord(new ConsumerRecord<>(tp.topic(), 0, offset++, null, good));
        consumer.addRecord(new ConsumerRecord<>(tp.topic(), 0, offset++, "never-seen".getBytes(), null));
        consumer.addRecord(new ConsumerRecord<>(
                tp.topic(), 0, offset, tp.topic().endsWith("workers") ? "w1".getBytes() : "echo".getBytes(), good));
    }

    private static TopicPartition partition(MockConsumer<byte[], byte[]> consumer, String topic) {
        consumer.updatePartitions(topic, List.of(new PartitionInfo(topic, 0, null, null, null)));
        return new TopicPartition(topic, 0);
    }
}
