package dev.skein.integration.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.TurnRequested;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.schemas.registry.RestSchemaRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A whole node's embedded registry served as the Confluent Schema Registry API at
 * {@code http://host:port/registry}: Skein's own Confluent client registers and reads back through
 * it, an outside consumer decodes a turn with it, and bad requests get Confluent's error JSON.
 */
@Tag("registry")
class RegistryRestApiIT {

    private static final Schema GREETING = new Schema.Parser().parse("""
            {"type":"record","name":"Greeting","namespace":"outside","fields":[{"name":"text","type":"string"}]}""");

    private static String prefix;
    private static SkeinNode node;
    private static SkeinClient http;
    private static String registryUrl;

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config("registry-rest", Map.of());
        prefix = config.topicPrefix();
        node = SkeinNode.start(config, Set.of(Role.CORE), false);
        int port = node.httpPort().orElseThrow();
        http = new SkeinClient(port);
        registryUrl = "http://127.0.0.1:" + port + "/registry";
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void skeinsConfluentClientRegistersAndReadsBackThroughTheNodesRegistryUrl() {
        String subject = prefix + "outside-value";
        try (RestSchemaRegistry client = new RestSchemaRegistry(registryUrl)) {
            int id = client.register(subject, GREETING);

            assertThat(id).isEqualTo(EmbeddedSchemaRegistry.idOf(GREETING));
            assertThat(client.register(subject, GREETING)).isEqualTo(id);
            assertThat(client.subjects()).contains(subject);
            assertThat(client.versions(subject)).containsExactly(1);
            RestSchemaRegistry.SubjectVersion latest = client.version(subject, -1);
            assertThat(latest.id()).isEqualTo(id);
            assertThat(latest.schema()).isEqualTo(GREETING);
        }
        try (RestSchemaRegistry fresh = new RestSchemaRegistry(registryUrl)) {
            assertThat(fresh.schemaById(EmbeddedSchemaRegistry.idOf(GREETING))).isEqualTo(GREETING);
        }
        // Registered over HTTP, it is in the schemas topic that every Skein process reads.
        try (EmbeddedSchemaRegistry topic = new EmbeddedSchemaRegistry(
                KafkaFixture.bootstrapServers(), EmbeddedSchemaRegistry.defaultTopic(prefix), (short) 1)) {
            assertThat(topic.idsOf(subject)).containsExactly(EmbeddedSchemaRegistry.idOf(GREETING));
        }
    }

    @Test
    void anOutsideConsumerDecodesATurnWithTheSchemaTheRegistryUrlServes() throws Exception {
        assertThat(http.postTurn("outside", "hello from elsewhere", false).status())
                .isEqualTo(202);

        ConsumerRecord<String, byte[]> turn = firstRecord(prefix + "turns");
        assertThat(turn.key()).isEqualTo("default/outside");
        ByteBuffer value = ByteBuffer.wrap(turn.value());
        assertThat(value.get()).as("Confluent's magic byte").isZero();
        int id = value.getInt();

        try (RestSchemaRegistry client = new RestSchemaRegistry(registryUrl)) {
            assertThat(client.schemaById(id)).isEqualTo(TurnRequested.getClassSchema());
            assertThat(client.version(prefix + "turns-value", -1).id()).isEqualTo(id);
        }
        JsonNode subjects = raw("GET", "/schemas/ids/" + id + "/versions", null).body();
        assertThat(subjects.get(0).path("subject").asText()).isEqualTo(prefix + "turns-value");
    }

    @Test
    void badRequestsGetConfluentsErrorJson() {
        assertConfluentError(raw("GET", "/subjects/nobody-value/versions", null), 404, 40401);
        assertConfluentError(raw("GET", "/subjects/" + prefix + "turns-value/versions/abc", null), 422, 42202);
        assertConfluentError(raw("GET", "/schemas/ids/abc", null), 404, 40403);
        assertConfluentError(raw("POST", "/subjects/" + prefix + "x-value/versions", "{not json"), 400, 400);
        assertConfluentError(
                raw("POST", "/subjects/" + prefix + "x-value/versions", "{\"schema\":\"{nope\"}"), 422, 42201);
        assertConfluentError(
                raw(
                        "POST",
                        "/subjects/" + prefix + "x-value/versions",
                        "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}"),
                422,
                42201);
        assertThat(raw("GET", "/subjects", null).body().toString()).doesNotContain(prefix + "x-value");
    }

    private static SkeinClient.Response raw(String method, String path, String body) {
        return http.send(HttpRequest.newBuilder(URI.create(registryUrl + path))
                .header("Content-Type", RestSchemaRegistry.CONTENT_TYPE)
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
    }

    private static void assertConfluentError(SkeinClient.Response response, int status, int errorCode) {
        assertThat(response.status()).as(response.body().toString()).isEqualTo(status);
        assertThat(response.body().path("error_code").asInt()).isEqualTo(errorCode);
        assertThat(response.body().path("message").asText()).isNotBlank();
    }

    private static ConsumerRecord<String, byte[]> firstRecord(String topic) {
        Map<String, Object> settings = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, KafkaFixture.uniqueName("outside-reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    return record;
                }
            }
        }
        throw new AssertionError("no record on " + topic + " within 30 s");
    }
}
