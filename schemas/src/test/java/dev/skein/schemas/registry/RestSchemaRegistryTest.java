package dev.skein.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.registry.FakeConfluentRegistry.Request;
import dev.skein.schemas.serde.AvroSerde;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FIRST_ID = 100_000;

    private static final Schema GREETING_V1 = new Schema.Parser().parse("""
            {"type":"record","name":"Greeting","namespace":"test","fields":[{"name":"text","type":"string"}]}""");
    private static final Schema GREETING_V2 = new Schema.Parser().parse("""
            {"type":"record","name":"Greeting","namespace":"test","fields":[{"name":"text","type":"string"},
             {"name":"lang","type":"string","default":"en"}]}""");
    // A new required field without default: readers with it cannot read v1 data (not BACKWARD).
    private static final Schema GREETING_INCOMPATIBLE = new Schema.Parser().parse("""
            {"type":"record","name":"Greeting","namespace":"test","fields":[{"name":"text","type":"string"},
             {"name":"priority","type":"int"}]}""");

    private FakeConfluentRegistry server;
    private RestSchemaRegistry registry;

    @BeforeEach
    void start() throws IOException {
        server = new FakeConfluentRegistry(FIRST_ID, null);
        registry = new RestSchemaRegistry(server.url());
    }

    @AfterEach
    void stop() {
        registry.close();
        server.close();
    }

    @Test
    void registerPostsTheSchemaAsConfluentDocumentsIt() throws IOException {
        int id = registry.register("greetings-value", GREETING_V1);

        assertThat(id).isEqualTo(FIRST_ID);
        assertThat(server.requests()).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.rawPath()).isEqualTo("/subjects/greetings-value/versions");
            assertThat(request.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
            assertThat(request.accept()).startsWith("application/vnd.schemaregistry.v1+json");
            assertThat(request.authorization()).isNull();
        });
        var body = JSON.readTree(server.requests().get(0).body());
        assertThat(body.size()).isEqualTo(1);
        assertThat(new Schema.Parser().parse(body.get("schema").asText())).isEqualTo(GREETING_V1);
    }

    @Test
    void secondRegisterOfTheSameSchemaIsAnsweredFromTheCache() {
        int first = registry.register("greetings-value", GREETING_V1);
        int second = registry.register("greetings-value", new Schema.Parser().parse(GREETING_V1.toString()));

        assertThat(second).isEqualTo(first);
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void theCacheIsPerSubject() {
        int first = registry.register("a-value", GREETING_V1);
        int second = registry.register("b-value", GREETING_V1);

        assertThat(second).isEqualTo(first);
        assertThat(server.requests())
                .extracting(Request::rawPath)
                .containsExactly("/subjects/a-value/versions", "/subjects/b-value/versions");
    }

    @Test
    void subjectsAreEncodedAsOnePathSegment() {
        registry.register("odd subject/with+chars", GREETING_V1);

        assertThat(server.requests().get(0).rawPath()).isEqualTo("/subjects/odd%20subject%2Fwith%2Bchars/versions");
        assertThat(registry.subjects()).containsExactly("odd subject/with+chars");
    }

    @Test
    void schemaByIdFetchesOnceThenUsesTheCache() {
        int id;
        try (RestSchemaRegistry writer = new RestSchemaRegistry(server.url())) {
            id = writer.register("greetings-value", GREETING_V1);
        }

        assertThat(registry.schemaById(id)).isEqualTo(GREETING_V1);
        assertThat(registry.schemaById(id)).isEqualTo(GREETING_V1);

        assertThat(server.requests()).hasSize(2);
        assertThat(server.requests().get(1)).satisfies(request -> {
            assertThat(request.method()).isEqualTo("GET");
            assertThat(request.rawPath()).isEqualTo("/schemas/ids/" + id);
            assertThat(request.body()).isEmpty();
        });
    }

    @Test
    void aRegisteredSchemaIsKnownByIdWithoutAskingAgain() {
        int id = registry.register("greetings-value", GREETING_V1);

        assertThat(registry.schemaById(id)).isEqualTo(GREETING_V1);
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void versionsAndVersionDescribeTheSubject() {
        int v1 = registry.register("greetings-value", GREETING_V1);
        int v2 = registry.register("greetings-value", GREETING_V2);

        assertThat(registry.versions("greetings-value")).containsExactly(1, 2);
        assertThat(registry.version("greetings-value", 1))
                .isEqualTo(new RestSchemaRegistry.SubjectVersion("greetings-value", 1, v1, GREETING_V1));
        assertThat(registry.version("greetings-value", -1))
                .isEqualTo(new RestSchemaRegistry.SubjectVersion("greetings-value", 2, v2, GREETING_V2));
        assertThat(registry.subjects()).containsExactly("greetings-value");
        assertThat(server.requests())
                .extracting(r -> r.method() + " " + r.rawPath())
                .endsWith(
                        "GET /subjects/greetings-value/versions",
                        "GET /subjects/greetings-value/versions/1",
                        "GET /subjects/greetings-value/versions/latest",
                        "GET /subjects");
    }

    @Test
    void compatibilityIsCheckedAgainstTheLatestVersionWithoutRegistering() throws IOException {
        registry.register("greetings-value", GREETING_V1);

        assertThat(registry.testCompatibility("greetings-value", GREETING_V2)).isTrue();
        assertThat(registry.testCompatibility("greetings-value", GREETING_INCOMPATIBLE))
                .isFalse();

        Request check = server.requests().get(1);
        assertThat(check.method()).isEqualTo("POST");
        assertThat(check.rawPath()).isEqualTo("/compatibility/subjects/greetings-value/versions/latest");
        assertThat(check.contentType()).isEqualTo(RestSchemaRegistry.CONTENT_TYPE);
        assertThat(new Schema.Parser()
                        .parse(JSON.readTree(check.body()).get("schema").asText()))
                .isEqualTo(GREETING_V2);
        assertThat(registry.versions("greetings-value")).containsExactly(1);
    }

    @Test
    void unknownSubjectIs40401AndSaysToCheckTheTopicName() {
        assertThatThrownBy(() -> registry.versions("nothing-value"))
                .asInstanceOf(type(SchemaRegistryException.class))
                .satisfies(e -> {
                    assertThat(e.errorCode()).isEqualTo(40401);
                    assertThat(e.getMessage()).contains("nothing-value", "not found", "<topic>-value", server.url());
                });
    }

    @Test
    void unknownVersionIs40402() {
        registry.register("greetings-value", GREETING_V1);

        assertThatThrownBy(() -> registry.version("greetings-value", 7))
                .asInstanceOf(type(SchemaRegistryException.class))
                .satisfies(e -> {
                    assertThat(e.errorCode()).isEqualTo(40402);
                    assertThat(e.getMessage()).contains("Version 7 not found", "list its versions");
                });
    }

    @Test
    void unknownIdIs40403AndPointsAtTheRegistryTheProducerUsed() {
        assertThatThrownBy(() -> registry.schemaById(42))
                .asInstanceOf(type(SchemaRegistryException.class))
                .satisfies(e -> {
                    assertThat(e.errorCode()).isEqualTo(40403);
                    assertThat(e.getMessage()).contains("Schema 42 not found", "registry its producer used");
                });
    }

    @Test
    void incompatibleSchemaIs409AndSaysHowToEvolve() {
        registry.register("greetings-value", GREETING_V1);

        assertThatThrownBy(() -> registry.register("greetings-value", GREETING_INCOMPATIBLE))
                .asInstanceOf(type(SchemaRegistryException.class))
                .satisfies(e -> {
                    assertThat(e.errorCode()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("incompatible", "greetings-value", "defaults");
                });
        // A refused schema is not cached: asking again asks the registry again.
        assertThatThrownBy(() -> registry.register("greetings-value", GREETING_INCOMPATIBLE))
                .isInstanceOf(SchemaRegistryException.class);
        assertThat(server.requests()).hasSize(3);
    }

    @Test
    void invalidSchemaIs42201() {
        server.answerNextWith(
                422,
                RestSchemaRegistry.CONTENT_TYPE,
                "{\"error_code\":42201,\"message\":\"Either the input schema or one its references is invalid\"}");

        assertThatThrownBy(() -> registry.register("greetings-value", GREETING_V1))
                .asInstanceOf(type(SchemaRegistryException.class))
                .satisfies(e -> {
                    assertThat(e.errorCode()).isEqualTo(42201);
                    assertThat(e.getMessage()).contains("HTTP 422", "invalid", "fix the Avro schema");
                });
    }

    @Test
    void serverErrorIs5000xAndSaysToRetry() {
        server.answerNextWith(
                500,
                RestSchemaRegistry.CONTENT_TYPE,
                "{\"error_code\":50001,\"message\":\"Error while registering schema\"}");

        assertThatThrownBy(() -> registry.register("greetings-value", GREETING_V1))
                .asInstanceOf(type(SchemaRegistryException.class))
                .satisfies(e -> {
                    assertThat(e.errorCode()).isEqualTo(50001);
                    assertThat(e.getMessage()).contains("Error while registering schema", "retry later");
                });
    }

    @Test
    void anErrorPageThatIsNotJsonKeepsItsStatusAndText() {
        server.answerNextWith(502, "text/html", "<html><body>Bad Gateway</body></html>");

        assertThatThrownBy(() -> registry.schemaById(1))
                .asInstanceOf(type(SchemaRegistryException.class))
                .satisfies(e -> {
                    assertThat(e.errorCode()).isEqualTo(502);
                    assertThat(e.getMessage()).contains("HTTP 502", "Bad Gateway");
                });
    }

    @Test
    void aSuccessThatIsNotJsonSaysTheUrlIsWrong() {
        server.answerNextWith(200, "text/html", "<html>a web site</html>");

        assertThatThrownBy(() -> registry.schemaById(1))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("not JSON")
                .hasMessageContaining("points at a schema registry");
    }

    @Test
    void anUnreachableRegistryIsNamedInTheError() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://localhost:" + closedPort;
        try (RestSchemaRegistry unreachable = new RestSchemaRegistry(url, null, Duration.ofSeconds(2))) {
            assertThatThrownBy(() -> unreachable.register("greetings-value", GREETING_V1))
                    .asInstanceOf(type(SchemaRegistryException.class))
                    .satisfies(e -> {
                        assertThat(e.errorCode()).isEqualTo(-1);
                        assertThat(e.getMessage()).contains(url, "could not be reached");
                    });
        }
    }

    @Test
    void aRegistryThatDoesNotAnswerTimesOut() throws IOException {
        CountDownLatch release = new CountDownLatch(1);
        server.handleWith(exchange -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeConfluentRegistry.send(exchange, 200, RestSchemaRegistry.CONTENT_TYPE, "{\"id\":1}");
        });
        try (RestSchemaRegistry impatient = new RestSchemaRegistry(server.url(), null, Duration.ofMillis(300))) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> impatient.register("greetings-value", GREETING_V1))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("did not answer POST /subjects/greetings-value/versions within PT0.3S");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        } finally {
            release.countDown();
        }
    }

    @Test
    void basicAuthIsSentAndRefusalSaysToCheckTheCredentials() throws IOException {
        String expected = "Basic " + Base64.getEncoder().encodeToString("key:secret".getBytes());
        try (FakeConfluentRegistry secured = new FakeConfluentRegistry(1, expected);
                RestSchemaRegistry good = new RestSchemaRegistry(secured.url(), "key:secret", Duration.ofSeconds(5));
                RestSchemaRegistry bad = new RestSchemaRegistry(secured.url(), "key:wrong", Duration.ofSeconds(5))) {
            assertThat(good.register("greetings-value", GREETING_V1)).isEqualTo(1);
            assertThat(secured.requests().get(0).authorization()).isEqualTo(expected);

            assertThatThrownBy(() -> bad.schemaById(1))
                    .asInstanceOf(type(SchemaRegistryException.class))
                    .satisfies(e -> {
                        assertThat(e.errorCode()).isEqualTo(401);
                        assertThat(e.getMessage()).contains("credentials").doesNotContain("wrong");
                    });
        }
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new RestSchemaRegistry("localhost:8081"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> new RestSchemaRegistry("http://user:pw@localhost:8081"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("credentials");
        assertThatThrownBy(() -> new RestSchemaRegistry("http://localhost:8081", "no-colon", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("user:password");
        assertThatThrownBy(() -> new RestSchemaRegistry("http://localhost:8081", null, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        try (RestSchemaRegistry trailing = new RestSchemaRegistry("http://localhost:8081/")) {
            assertThat(trailing.baseUrl()).isEqualTo("http://localhost:8081");
        }
    }

    @Test
    void avroSerdeWritesConfluentWireFormatWithTheRegistrysIdAndReadsItBack() {
        TurnRequested turn = TurnRequested.newBuilder()
                .setTenant("acme")
                .setSessionId("s-1")
                .setTurnId("t-1")
                .setMessage("hello")
                .setRequestedAtMs(1_700_000_000_000L)
                .build();

        byte[] bytes = AvroSerde.of(TurnRequested.class, registry).serializer().serialize("skein.turns", turn);

        assertThat(server.requests())
                .singleElement()
                .satisfies(request -> assertThat(request.rawPath()).isEqualTo("/subjects/skein.turns-value/versions"));
        // 100000 = 0x000186A0, big-endian after the magic byte.
        assertThat(bytes).startsWith(0, 0x00, 0x01, 0x86, 0xA0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(FIRST_ID);

        // A reader in another process knows nothing yet: it fetches the writer's schema by id.
        try (RestSchemaRegistry readerRegistry = new RestSchemaRegistry(server.url())) {
            TurnRequested read = AvroSerde.of(TurnRequested.class, readerRegistry)
                    .deserializer()
                    .deserialize("skein.turns", bytes);
            assertThat(read).isEqualTo(turn);
        }
        assertThat(server.requests()).extracting(Request::rawPath).last().isEqualTo("/schemas/ids/" + FIRST_ID);
    }
}
