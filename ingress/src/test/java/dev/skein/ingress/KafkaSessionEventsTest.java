package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KafkaSessionEventsTest {

    private static final SessionAddress ACME = new SessionAddress("acme", "s1");

    private final SkeinTopics topics = new SkeinTopics("t.", new InMemorySchemaRegistry());
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("latest");
    private final TopicPartition responses = new TopicPartition("t.responses", 0);
    private final TopicPartition deltas = new TopicPartition("t.deltas", 0);
    private KafkaSessionEvents events;
    private long responseOffset = 5;
    private long deltaOffset = 7;

    @BeforeEach
    void start() throws Exception {
        consumer.updatePartitions("t.responses", List.of(new PartitionInfo("t.responses", 0, null, null, null)));
        consumer.updatePartitions("t.deltas", List.of(new PartitionInfo("t.deltas", 0, null, null, null)));
        consumer.updateEndOffsets(Map.of(responses, responseOffset, deltas, deltaOffset));
        events = new KafkaSessionEvents(consumer, () -> new MockConsumer<>("latest"), topics, TestDoubles.STREAMS);
        events.ready().get(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        events.close();
    }

    @Test
    void readsFromTheEndOfEveryPartition() {
        assertThat(consumer.assignment()).containsExactlyInAnyOrder(responses, deltas);
        assertThat(events.health().up()).isTrue();
    }

    @Test
    void aCompletionGoesToItsWaiterADeltaToSubscribersWithItsPositionAndABadRecordIsSkipped() throws Exception {
        CompletableFuture<TurnCompleted> waiter = events.expect(ACME, "t1");
        CompletableFuture<TurnCompleted> otherTenant = events.expect(new SessionAddress("other", "s1"), "t1");
        BlockingQueue<StreamEvent> seen = new LinkedBlockingQueue<>();
        SessionEvents.Subscription subscription = events.subscribe(ACME, (StreamPosition) null, seen::add);
        assertThat(subscription.started()).isCompleted();

        addRecord(responses, "not avro".getBytes());
        AgentDelta delta = AgentDelta.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setKind(DeltaKind.TEXT)
                .setText("Hel")
                .setTimestampMs(1)
                .build();
        addRecord(deltas, topics.deltas.valueSerde().serializer().serialize("t.deltas", delta));
        TurnCompleted completed = TurnCompleted.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStatus(TurnStatus.COMPLETED)
                .setAnswer("Hello")
                .setCompletedAtMs(2)
                .build();
        addRecord(responses, topics.responses.valueSerde().serializer().serialize("t.responses", completed));

        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo(completed);
        // Streams read deltas only (the topology writes the completion there too): one event, at its offset.
        StreamEvent event = seen.poll(5, TimeUnit.SECONDS);
        assertThat(event).isEqualTo(new StreamEvent(new StreamPosition(0, 7), delta));
        assertThat(seen.poll(200, TimeUnit.MILLISECONDS))
                .as("responses do not reach streams")
                .isNull();
        assertThat(otherTenant).as("same turn id, other tenant").isNotDone();

        subscription.close();
        addRecord(deltas, topics.deltas.valueSerde().serializer().serialize("t.deltas", delta));
        CompletableFuture<TurnCompleted> later = events.expect(ACME, "t2");
        addRecord(
                responses,
                topics.responses
                        .valueSerde()
                        .serializer()
                        .serialize(
                                "t.responses",
                                TurnCompleted.newBuilder(completed)
                                        .setTurnId("t2")
                                        .build()));
        later.get(5, TimeUnit.SECONDS);
        assertThat(seen).as("nothing after unsubscribing").isEmpty();
    }

    @Test
    void closingFailsPendingWaitersAndClosesTheConsumer() throws Exception {
        CompletableFuture<TurnCompleted> waiter = events.expect(ACME, "t9");

        events.close();

        assertThat(consumer.closed()).isTrue();
        try {
            waiter.get(1, TimeUnit.SECONDS);
            throw new AssertionError("the waiter should have failed");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).hasMessageContaining("stopped reading turn completions");
        }
        assertThat(events.expect(ACME, "t10")).isCompletedExceptionally();
    }

    @Test
    void theConsumerHasNoGroupAndReadsCommittedOnly() {
        Map<String, Object> config = KafkaSessionEvents.consumerConfig(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
                ConsumerConfig.GROUP_ID_CONFIG, "someone-elses"));

        assertThat(config)
                .doesNotContainKey(ConsumerConfig.GROUP_ID_CONFIG)
                .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    }

    private void addRecord(TopicPartition partition, byte[] value) {
        long offset = partition.equals(responses) ? responseOffset++ : deltaOffset++;
        consumer.addRecord(
                new ConsumerRecord<>(partition.topic(), partition.partition(), offset, "acme/s1".getBytes(), value));
    }
}
