package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests that only a hand-written client sends: each gets a 4xx with a JSON error body, never
 * a 500 or an empty or plain-text body, and the server goes on serving.
 */
class MalformedRequestsTest {

    private static final RecordingGateway gateway = new RecordingGateway();
    private static SkeinIngress ingress;
    private static int port;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder().build(),
                        gateway,
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    static Stream<Arguments> malformed() {
        String turn = "{\"message\":\"hi\"}";
        return Stream.of(
                Arguments.of(
                        "no Host header",
                        "POST /v1/sessions/s/turns HTTP/1.1\r\nContent-Length: " + turn.length() + "\r\n\r\n" + turn,
                        400,
                        "Host"),
                Arguments.of("no Host header on GET", "GET /health HTTP/1.1\r\n\r\n", 400, "Host"),
                Arguments.of("two Host headers", "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host"),
                Arguments.of(
                        "folded header line after Host",
                        "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\n X-Folded: b\r\nContent-Length: "
                                + turn.length() + "\r\n\r\n" + turn,
                        400,
                        "folded"),
                Arguments.of("folded first header line", "GET /health HTTP/1.1\r\n Host: x\r\n\r\n", 400, "malformed"),
                Arguments.of(
                        "invalid chunk size",
                        "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + "zz\r\n"
                                + turn + "\r\n0\r\n\r\n",
                        400,
                        "malformed"),
                Arguments.of(
                        "bad percent-encoding in the path",
                        "GET /v1/sessions/%zz/history HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "percent"),
                Arguments.of(
                        "URI too long",
                        "GET /v1/sessions/" + "a".repeat(10_000) + "/history HTTP/1.1\r\nHost: x\r\n\r\n",
                        414,
                        "too long"),
                Arguments.of(
                        "headers too large",
                        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(10_000) + "\r\n\r\n",
                        431,
                        "too large"),
                Arguments.of("garbage request line", "HELLO\r\n\r\n", 400, "malformed"),
                Arguments.of(
                        "bad percent-encoding in the query",
                        "POST /v1/sessions/s/turns?wait=%zz HTTP/1.1\r\nHost: x\r\nContent-Length: " + turn.length()
                                + "\r\n\r\n" + turn,
                        400,
                        "query has an invalid percent-encoding"),
                Arguments.of(
                        "WebSocket upgrade without a key",
                        "GET /v1/sessions/s/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                        400,
                        "Sec-WebSocket-Key"),
                Arguments.of(
                        "WebSocket upgrade of another version",
                        "GET /v1/sessions/s/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
                        426,
                        "Sec-WebSocket-Version: 13"),
                Arguments.of(
                        "lying Content-Length",
                        "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n" + turn,
                        400,
                        "malformed"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("malformed")
    void malformedRequestsGetA4xxWithAJsonError(String name, String request, int status, String mentions)
            throws Exception {
        RawHttp.Response response = RawHttp.send(port, request, 5_000);

        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.hasJsonError()).as(response.toString()).isTrue();
        assertThat(response.error()).containsIgnoringCase(mentions);
        assertThat(gateway.turns).isEmpty();
        assertThat(RawHttp.send(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 5_000)
                        .status())
                .as("still serving")
                .isEqualTo(200);
    }

    /** RFC 9112 5.2: a server may replace an obs-fold by spaces instead of refusing the request. */
    @Test
    void aFoldedHeaderElsewhereIsReadAsOneLine() throws Exception {
        RawHttp.Response response = RawHttp.send(
                port, "GET /v1/sessions/s/history HTTP/1.1\r\nHost: x\r\nX-Skein-Tenant: acme\r\n corp\r\n\r\n", 5_000);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.error()).startsWith("tenant 'acme corp' is invalid");
    }

    /** No cleartext HTTP/2: an h2c upgrade with a broken settings header used to get an empty 400. */
    @Test
    void anH2cUpgradeIsIgnoredAndTheRequestServedInHttp11() throws Exception {
        RawHttp.Response response = RawHttp.send(
                port,
                "GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                        + "HTTP2-Settings: !!\r\n\r\n",
                5_000);

        assertThat(response.status()).isEqualTo(200);
    }

    @Test
    void http10WithoutHostIsServed() throws Exception {
        RawHttp.Response response = RawHttp.send(port, "GET /health HTTP/1.0\r\n\r\n", 5_000);

        assertThat(response.status()).isEqualTo(200);
    }
}
