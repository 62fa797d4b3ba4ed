package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bodies are strict JSON in strict UTF-8; {@code ?wait} takes the configuration's duration syntax. */
class StrictInputTest {

    private static final RecordingGateway gateway = new RecordingGateway();
    private static SkeinIngress ingress;
    private static HttpClient http;
    private static int port;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .waits(Duration.ofMillis(200), Duration.ofMillis(700))
                                .build(),
                        gateway,
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of()))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        http.close();
        ingress.close();
    }

    @BeforeEach
    void reset() {
        gateway.reset();
    }

    static Stream<Arguments> lenientBodies() {
        byte[] latin1 = "{\"message\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
        byte[] overlong = {
            '{', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', '"', ':', '"', (byte) 0xc0, (byte) 0xaf, '"', '}'
        };
        byte[] encodedSurrogate = {
            '{', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}'
        };
        return Stream.of(
                Arguments.of("a comment", utf8("{\"message\":\"hi\" /* note */}"), "not valid JSON"),
                Arguments.of("a line comment", utf8("// hi\n{\"message\":\"hi\"}"), "not valid JSON"),
                Arguments.of("trailing content", utf8("{\"message\":\"hi\"} {}"), "not valid JSON"),
                Arguments.of("a duplicate key", utf8("{\"message\":\"hi\",\"message\":\"ho\"}"), "Duplicate field"),
                Arguments.of("single quotes", utf8("{'message':'hi'}"), "not valid JSON"),
                Arguments.of(
                        "a lone high surrogate", utf8("{\"message\":\"a\\ud800b\"}"), "unpaired surrogate \\ud800"),
                Arguments.of("a lone low surrogate", utf8("{\"message\":\"\\udc00\"}"), "unpaired surrogate \\udc00"),
                Arguments.of("a surrogate in a key", utf8("{\"\\ud800\":\"hi\"}"), "unpaired surrogate"),
                Arguments.of("ISO-8859-1 bytes", latin1, "not valid UTF-8"),
                Arguments.of("an overlong encoding", overlong, "not valid UTF-8"),
                Arguments.of("an encoded surrogate", encodedSurrogate, "not valid UTF-8"),
                Arguments.of(
                        "deep nesting",
                        utf8("{\"message\":" + "[".repeat(500) + "]".repeat(500) + "}"),
                        "not valid JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lenientBodies")
    void aTurnBodyThatIsNotStrictJsonInUtf8Is400(String name, byte[] body, String message) throws Exception {
        HttpResponse<String> response = post("/v1/sessions/s/turns", body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(new JsonObject(response.body()).getString("error")).contains(message);
        assertThat(gateway.turns).isEmpty();
    }

    @Test
    void aCommandBodyIsStrictToo() throws Exception {
        HttpResponse<String> comment = post("/v1/sessions/s/turns/t1/cancel", utf8("{\"reason\":\"x\" // why\n}"));
        HttpResponse<String> surrogate = post("/v1/sessions/s/turns/t1/cancel", utf8("{\"reason\":\"\\ud800\"}"));

        assertThat(comment.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(comment.body()).getString("error")).startsWith("the body is not valid JSON");
        assertThat(surrogate.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(surrogate.body()).getString("error")).contains("unpaired surrogate");
        assertThat(gateway.commands).isEmpty();
    }

    @Test
    void validUnicodeIsKeptAsSent() throws Exception {
        HttpResponse<String> response =
                post("/v1/sessions/s/turns", utf8("{\"message\":\"caf\u00e9 \\ud83d\\ude00 \ud83d\ude00\"}"));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(gateway.turns.get(0).getMessage()).isEqualTo("caf\u00e9 \ud83d\ude00 \ud83d\ude00");
    }

    static Stream<Arguments> waits() {
        return Stream.of(
                Arguments.of("0.3", 504, "within 0.3s"),
                Arguments.of("300ms", 504, "within 0.3s"),
                Arguments.of("0.3s", 504, "within 0.3s"),
                Arguments.of("2m", 504, "within 0.7s"),
                Arguments.of("0s", 202, null),
                Arguments.of("30x", 400, "(500ms, 30s, 2m), got '30x'"),
                Arguments.of("-1s", 400, "a number of seconds (2, 0.5)"),
                Arguments.of("Infinity", 400, "a number of seconds"),
                Arguments.of("1e3", 400, "a number of seconds"));
    }

    @ParameterizedTest(name = "wait={0} -> {1}")
    @MethodSource("waits")
    void waitTakesSecondsOrADurationWithAUnit(String wait, int status, String message) throws Exception {
        HttpResponse<String> response = post("/v1/sessions/s/turns?wait=" + wait, utf8("{\"message\":\"hi\"}"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        if (message != null) {
            assertThat(new JsonObject(response.body()).getString("error")).contains(message);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> post(String path, byte[] body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
