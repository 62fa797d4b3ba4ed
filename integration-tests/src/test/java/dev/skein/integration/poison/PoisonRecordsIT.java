package dev.skein.integration.poison;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.DeadLetter;
import dev.skein.events.ResourceSpec;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.integration.fixtures.TopicReader;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.errors.DeadLetters;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad record on the topics a node reads (the global stores' compacted topics, and
 * the ingress's responses and deltas, the embedded registry's schemas topic, the memories and A2A push configs), written to a running node: each is dead-lettered with its
 * origin and cause, the node stays healthy, turns still work, and a restart on the same state works.
 */
@Tag("poison")
class PoisonRecordsIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private SkeinNode node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void everyKindOfBadRecordIsDeadLetteredAndTheNodeStaysUpAndRestarts() throws Exception {
        SkeinConfig config = TestNodes.config("poison", Map.of());
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        SkeinTopics topics = node.topics();
        SkeinClient client = new SkeinClient(node.httpPort().orElseThrow());
        assertThat(client.postTurn("before", "what is 12*7?", true)
                        .body()
                        .path("answer")
                        .asText())
                .contains("84");

        Map<String, List<Long>> offsets = new LinkedHashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            // The registry's own topic first: the unknown schema ids written below make the registry read it again.
            String schemasTopic = EmbeddedSchemaRegistry.defaultTopic(config.topicPrefix());
            List<Long> schemaOffsets = new ArrayList<>();
            for (String value : List.of(
                    "not json",
                    "{\"subject\":\"x-value\",\"id\":7,\"schema\":\"\\\"string\\\"\"}",
                    "{\"subject\":\"x-value\",\"id\":1,\"schema\":\"not a schema\"}")) {
                schemaOffsets.add(send(producer, schemasTopic, "x-value:1", value.getBytes(StandardCharsets.UTF_8)));
            }
            schemaOffsets.add(send(producer, schemasTopic, "x-value:2", new byte[] {(byte) 0xc3, 0x28}));
            schemaOffsets.add(send(producer, schemasTopic, "x-value:3", new byte[0]));
            offsets.put(schemasTopic, schemaOffsets);
            byte[] heartbeat = topics.workers.valueSerde().serializer().serialize(topics.workers.name(), heartbeat());
            for (String topic : List.of(
                    topics.workers.name(), topics.toolCatalog.name(), topics.responses.name(), topics.deltas.name())) {
                List<Long> written = new ArrayList<>();
                for (byte[] value : badValues(topics, topic, heartbeat)) {
                    written.add(send(producer, topic, "poison", value));
                }
                boolean compacted = topic.equals(topics.workers.name()) || topic.equals(topics.toolCatalog.name());
                if (!compacted) {
                    // A valid value without a key (a compacted topic's broker refuses those itself).
                    written.add(send(producer, topic, null, heartbeat));
                }
                offsets.put(topic, written);
                // On a compacted topic, a tombstone is legitimate: it deletes, and is no dead letter.
                if (compacted) {
                    send(producer, topic, "never-seen", null);
                }
            }
            // The compacted topics read into views outside the topology: long-term memories (read by
            // the node's memory index) and A2A push configs (read by the ingress).
            for (String topic : List.of(topics.memories.name(), topics.a2aPushConfigs.name())) {
                List<Long> written = new ArrayList<>();
                for (byte[] value : badValues(topics, topic, heartbeat)) {
                    written.add(send(producer, topic, "default/*/poison", value));
                }
                offsets.put(topic, written);
                send(producer, topic, "default/*/never-seen", null);
            }
        }

        try (TopicReader<DeadLetter> deadLetters = new TopicReader<>(node.bootstrapServers(), topics.deadLetters)) {
            offsets.forEach((topic, written) -> {
                String reader = topic.endsWith(EmbeddedSchemaRegistry.TOPIC_SUFFIX)
                        ? "schema-registry"
                        : topic.equals(topics.memories.name()) ? "memory" : "ingress";
                for (long offset : written) {
                    DeadLetter letter = deadLetters
                            .await(
                                    r -> r.value().getTopic().equals(topic)
                                            && r.value().getOffset() == offset
                                            && r.value().getComponent().equals(reader),
                                    WAIT)
                            .value();
                    assertThat(letter.getCause()).isNotBlank();
                }
            });
            // The global stores: every bad value (the null key, on a valid value, is skipped by Kafka Streams'
            // restore).
            for (String topic : List.of(topics.workers.name(), topics.toolCatalog.name())) {
                for (long offset : offsets.get(topic)) {
                    DeadLetter letter = deadLetters
                            .await(
                                    r -> r.value().getTopic().equals(topic)
                                            && r.value().getOffset() == offset
                                            && r.value().getComponent().equals("session-topology"),
                                    WAIT)
                            .value();
                    assertThat(letter.getCause()).startsWith("cannot deserialize");
                }
            }
        }

        assertThat(client.health().status()).isEqualTo(200);
        assertThat(client.postTurn("after", "what is 6*7?", true)
                        .body()
                        .path("answer")
                        .asText())
                .contains("42");

        // The bad records stay in the compacted topics: a restart on the same state reads them again.
        node.close();
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        SkeinClient restarted = new SkeinClient(node.httpPort().orElseThrow());
        assertThat(restarted.health().status()).isEqualTo(200);
        assertThat(restarted
                        .postTurn("restarted", "what is 5*5?", true)
                        .body()
                        .path("answer")
                        .asText())
                .contains("25");
    }

    /** Garbage, an unknown schema id, a record of another type, truncated Avro, an empty value. */
    private static List<byte[]> badValues(SkeinTopics topics, String topic, byte[] valid) {
        DeadLetter other = DeadLetters.from("elsewhere", 0, 0).rejectedBy("test", "a record of another type");
        return List.of(
                "not avro at all".getBytes(StandardCharsets.UTF_8),
                new byte[] {0, 0x7f, 0x12, 0x34, 0x56, 2, 'a'},
                topics.serde(DeadLetter.class).serializer().serialize(topic, other),
                Arrays.copyOf(valid, valid.length / 2),
                new byte[0]);
    }

    private static WorkerHeartbeat heartbeat() {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId("poison")
                .setHost("nowhere")
                .setTiers(List.of("small"))
                .setCapabilities(ResourceSpec.newBuilder().build())
                .setTools(List.of())
                .setStartedAtMs(0)
                .setTimestampMs(0)
                .build();
    }

    private static long send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        RecordMetadata metadata = producer.send(
                        new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value))
                .get();
        return metadata.offset();
    }
}
