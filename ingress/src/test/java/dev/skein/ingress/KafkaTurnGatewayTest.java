package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaTurnGatewayTest {

    private final SkeinTopics topics = new SkeinTopics("t.", new InMemorySchemaRegistry());
    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());

    @Test
    void aTurnIsWrittenKeyedByAddressAndCompletesOnAck() throws Exception {
        TurnRequested turn = TurnRequested.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setMessage("hello")
                .setRequestedAtMs(1)
                .build();
        try (KafkaTurnGateway gateway = new KafkaTurnGateway(producer, topics)) {
            CompletableFuture<Void> acked = gateway.submit(turn);
            awaitSent(1);
            assertThat(acked).as("not acknowledged yet").isNotDone();

            producer.completeNext();

            acked.get(5, TimeUnit.SECONDS);
            var record = producer.history().get(0);
            assertThat(record.topic()).isEqualTo("t.turns");
            assertThat(record.key()).isEqualTo("acme/s1");
            assertThat(topics.turns.valueSerde().deserializer().deserialize(record.topic(), record.value()))
                    .isEqualTo(turn);
        }
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void aCommandGoesToSessionCommandsAndAFailedSendFailsTheFuture() throws Exception {
        SessionCommand command = SessionCommand.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setCommandId("c1")
                .setKind(CommandKind.CLEAR_HISTORY)
                .setIssuedAtMs(1)
                .build();
        try (KafkaTurnGateway gateway = new KafkaTurnGateway(producer, topics)) {
            CompletableFuture<Void> acked = gateway.submit(command);
            awaitSent(1);

            producer.errorNext(new TimeoutException("Expiring 1 record(s) for t.session-commands-0"));

            assertThat(producer.history().get(0).topic()).isEqualTo("t.session-commands");
            assertThat(producer.history().get(0).key()).isEqualTo("acme/s1");
            try {
                acked.get(5, TimeUnit.SECONDS);
                throw new AssertionError("the future should have failed");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).hasMessage("Expiring 1 record(s) for t.session-commands-0");
            }
        }
    }

    @Test
    void deliveryGuaranteesOverrideTheCallersSettings() {
        Map<String, Object> config = KafkaTurnGateway.producerConfig(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
                ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));

        assertThat(config)
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 0)
                .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
    }

    /** Sends happen on the gateway's own thread: wait until the producer has seen them. */
    private void awaitSent(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (producer.history().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(producer.history()).hasSize(count);
    }
}
