package dev.skein.integration.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.ingress.KafkaCatalogView;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The ingress's view of the tool catalog and the workers, read from a real broker. */
@Tag("ingress")
class KafkaCatalogViewIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private String bootstrap;
    private SkeinTopics topics;
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void topics() {
        bootstrap = KafkaFixture.bootstrapServers();
        topics = new SkeinTopics(KafkaFixture.uniqueName("it") + ".", new InMemorySchemaRegistry());
        KafkaFixture.createTopics(bootstrap, 2, topics.toolCatalog.name(), topics.workers.name());
        producer = new KafkaProducer<>(
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        if (producer != null) {
            producer.close();
        }
    }

    @Test
    void readsWhatWasPublishedBeforeItStartedThenFollowsUpdatesAndTombstones() throws Exception {
        publishTool("echo", 1);
        publishTool("render", 1);
        publishWorker("w1", 1_000);
        publishWorker("w2", 1_000);
        publishWorker("w1", 2_000);
        producer.flush();

        try (KafkaCatalogView view =
                new KafkaCatalogView(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topics)) {
            view.ready().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

            // Ready means caught up: everything published before the start is there, at once.
            assertThat(view.tools()).extracting(ToolDefinition::getName).containsExactlyInAnyOrder("echo", "render");
            assertThat(view.workers()).extracting(WorkerHeartbeat::getWorkerId).containsExactlyInAnyOrder("w1", "w2");
            assertThat(view.workers())
                    .filteredOn(w -> w.getWorkerId().equals("w1"))
                    .singleElement()
                    .satisfies(w -> assertThat(w.getTimestampMs()).isEqualTo(2_000L));
            assertThat(view.health().up()).isTrue();

            publishTool("echo", 2);
            producer.send(new ProducerRecord<>(topics.toolCatalog.name(), "render", null));
            producer.send(new ProducerRecord<>(topics.workers.name(), "w2", null));
            producer.flush();

            await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(view.tools()).singleElement().satisfies(t -> {
                    assertThat(t.getName()).isEqualTo("echo");
                    assertThat(t.getVersion()).isEqualTo(2);
                });
                assertThat(view.workers())
                        .extracting(WorkerHeartbeat::getWorkerId)
                        .containsExactly("w1");
            });
        }
    }

    private void publishTool(String name, int version) {
        ToolDefinition tool = ToolDefinition.newBuilder()
                .setName(name)
                .setDescription(name)
                .setVersion(version)
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .build();
        producer.send(new ProducerRecord<>(
                topics.toolCatalog.name(),
                name,
                topics.toolCatalog.valueSerde().serializer().serialize(topics.toolCatalog.name(), tool)));
    }

    private void publishWorker(String id, long timestampMs) {
        WorkerHeartbeat heartbeat = WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("h")
                .setTiers(List.of("small"))
                .setCapabilities(ResourceSpec.newBuilder().build())
                .setTools(List.of("echo"))
                .setStartedAtMs(0)
                .setTimestampMs(timestampMs)
                .build();
        producer.send(new ProducerRecord<>(
                topics.workers.name(),
                id,
                topics.workers.valueSerde().serializer().serialize(topics.workers.name(), heartbeat)));
    }
}
