package dev.skein.integration.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.integration.fixtures.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Turns from a producer whose partitioner is not Kafka's murmur2 (as librdkafka's default is not),
 * mixed with turns through the ingress: each session's history stays one history, numbered once.
 */
@Tag("session")
class ForeignPartitionerIT {

    /** Every record to the partition after the one murmur2 picks: never the partition that owns it. */
    public static final class NextPartition implements Partitioner {
        @Override
        public int partition(
                String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
            int count = cluster.partitionCountForTopic(topic);
            return (Utils.toPositive(Utils.murmur2(keyBytes)) % count + 1) % count;
        }

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }

    private static SkeinNode node;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config(
                "foreign",
                Map.of(
                        // A turn its session's task never sees fails by this deadline, not after two minutes.
                        "skein.session.turn-timeout", "15s"));
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void turnsOnPartitionsThatDoNotOwnTheirSessionJoinTheOneHistoryOfTheirSession() {
        List<String> sessions = List.of("split-0", "split-1", "split-2");
        for (String session : sessions) {
            assertThat(client.postTurn(session, "hello 0", true)
                            .body()
                            .path("status")
                            .asText())
                    .isEqualTo("COMPLETED");
        }
        try (KafkaProducer<String, TurnRequested> producer = foreignProducer();
                TopicReader<TurnCompleted> responses =
                        new TopicReader<>(node.bootstrapServers(), node.topics().responses)) {
            for (String session : sessions) {
                for (int i = 1; i <= 2; i++) {
                    producer.send(new ProducerRecord<>(
                            node.topics().turns.name(), "default/" + session, turn(session, session + "-t" + i, i)));
                }
            }
            producer.flush();

            for (String session : sessions) {
                for (int i = 1; i <= 2; i++) {
                    String turnId = session + "-t" + i;
                    TurnCompleted done = responses
                            .await(r -> r.value().getTurnId().equals(turnId), Duration.ofSeconds(40))
                            .value();
                    assertThat(done.getStatus()).as(turnId).isEqualTo(TurnStatus.COMPLETED);
                }
            }
            for (String session : sessions) {
                assertThat(client.postTurn(session, "hello 3", true)
                                .body()
                                .path("status")
                                .asText())
                        .isEqualTo("COMPLETED");
            }
        }

        for (String session : sessions) {
            JsonNode messages = client.history(session).body().path("messages");
            assertThat(StreamSupport.stream(messages.spliterator(), false)
                            .map(m -> m.path("sequence").asLong())
                            .toList())
                    .as(session + " sequences")
                    .containsExactlyElementsOf(LongStream.range(0, 8).boxed().toList());
            assertThat(SkeinClient.roles(messages))
                    .containsExactly(
                            "user", "assistant", "user", "assistant", "user", "assistant", "user", "assistant");
            List<String> users = new ArrayList<>();
            messages.forEach(m -> {
                if (m.path("role").asText().equals("user")) {
                    users.add(m.path("content").asText());
                }
            });
            assertThat(users).containsExactly("hello 0", "hello 1", "hello 2", "hello 3");
        }
    }

    @Test
    void eachForeignTurnIsAnsweredExactlyOnce() {
        try (KafkaProducer<String, TurnRequested> producer = foreignProducer();
                TopicReader<TurnCompleted> responses =
                        new TopicReader<>(node.bootstrapServers(), node.topics().responses)) {
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(
                        node.topics().turns.name(), "default/once-" + i, turn("once-" + i, "once-" + i + "-t", i)));
            }
            producer.flush();
            for (int i = 0; i < 5; i++) {
                String turnId = "once-" + i + "-t";
                responses.await(r -> r.value().getTurnId().equals(turnId), Duration.ofSeconds(40));
            }
            try {
                responses.await(r -> false, Duration.ofSeconds(3));
            } catch (AssertionError expected) {
                // Waited for any second completion to arrive.
            }
            for (int i = 0; i < 5; i++) {
                String turnId = "once-" + i + "-t";
                assertThat(responses.seen().stream()
                                .filter(r -> r.value().getTurnId().equals(turnId))
                                .map(r -> r.value().getStatus()))
                        .as(turnId)
                        .containsExactly(TurnStatus.COMPLETED);
            }
        }
    }

    private static KafkaProducer<String, TurnRequested> foreignProducer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        node.bootstrapServers(),
                        ProducerConfig.PARTITIONER_CLASS_CONFIG,
                        NextPartition.class.getName()),
                new StringSerializer(),
                node.topics().turns.valueSerde().serializer());
    }

    private static TurnRequested turn(String session, String turnId, int n) {
        return TurnRequested.newBuilder()
                .setTenant("default")
                .setSessionId(session)
                .setTurnId(turnId)
                .setMessage("hello " + n)
                .setRequestedAtMs(System.currentTimeMillis())
                .build();
    }
}
