package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The WebSocket's limits answer with a close code and a reason: 1009 for a message over the body
 * limit however it arrives (one frame, fragments, compressed), 1007 for a text message that is not
 * UTF-8, 1002 for a close frame with an invalid code.
 */
class WebSocketLimitsTest {

    private static final int MAX_MESSAGE_BYTES = 32_768;
    private static final int MAX_BODY_BYTES = 6 * MAX_MESSAGE_BYTES + 4096;

    private static final RecordingGateway gateway = new RecordingGateway();
    private static SkeinIngress ingress;
    private static Vertx vertx;
    private static int port;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .maxMessageBytes(MAX_MESSAGE_BYTES)
                                .build(),
                        gateway,
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of()))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.close().await();
        ingress.close();
    }

    /** What the client saw: the server's close code and reason (null code: closed without a close frame). */
    record Closed(Short code, String reason) {}

    static Stream<Arguments> oversized() {
        return Stream.of(
                Arguments.of(true, 250_000, 16 * 1024 * 1024),
                Arguments.of(true, 1_000_000, 16 * 1024 * 1024),
                Arguments.of(true, 5_000_000, 16 * 1024 * 1024),
                Arguments.of(true, 1_000_000, 65_536), // fragmented
                Arguments.of(false, MAX_BODY_BYTES + 1, 16 * 1024 * 1024), // one frame, one past the limit
                Arguments.of(false, 1_000_000, 16 * 1024 * 1024),
                Arguments.of(false, 1_000_000, 65_536)); // fragmented, each frame within the limit
    }

    @ParameterizedTest(name = "compressed={0}, {1} bytes in frames of {2}")
    @MethodSource("oversized")
    void anOversizedMessageIsRefusedWith1009AndAReason(boolean compressed, int size, int frameSize) throws Exception {
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setTryUsePerMessageCompression(compressed)
                .setMaxFrameSize(frameSize)
                .setMaxMessageSize(64 * 1024 * 1024));
        try {
            CompletableFuture<Closed> closed = new CompletableFuture<>();
            WebSocket socket = client.connect(new WebSocketConnectOptions()
                            .setPort(port)
                            .setHost("127.0.0.1")
                            .setURI("/v1/sessions/big/stream"))
                    .await(5, TimeUnit.SECONDS);
            assertThat(socket.headers() == null
                            || compressed == socket.headers().contains("sec-websocket-extensions"))
                    .isTrue();
            socket.closeHandler(v -> closed.complete(new Closed(socket.closeStatusCode(), socket.closeReason())));
            String message = "{\"message\":\"" + "a".repeat(size - 14) + "\"}";
            socket.writeTextMessage(message);

            Closed outcome = closed.get(10, TimeUnit.SECONDS);

            assertThat(outcome.code()).as(outcome.toString()).isEqualTo((short) 1009);
            assertThat(outcome.reason()).contains("refused").contains(String.valueOf(MAX_BODY_BYTES));
            assertThat(gateway.turns).isEmpty();
        } finally {
            client.close().await();
        }
    }

    @Test
    void aMessageAtTheLimitIsReadCompressedOrNot() throws Exception {
        for (boolean compressed : new boolean[] {true, false}) {
            WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                    .setTryUsePerMessageCompression(compressed)
                    .setMaxFrameSize(65_536));
            try {
                CompletableFuture<String> reply = new CompletableFuture<>();
                WebSocket socket = client.connect(port, "127.0.0.1", "/v1/sessions/edge/stream")
                        .await(5, TimeUnit.SECONDS);
                socket.textMessageHandler(text -> {
                    if (!text.contains("subscribed")) {
                        reply.complete(text);
                    }
                });
                // At the body limit exactly; the message inside is over its own limit: a 413-like error frame.
                String message = "{\"message\":\"" + "a".repeat(MAX_BODY_BYTES - 14) + "\"}";
                assertThat(message.length()).isEqualTo(MAX_BODY_BYTES);
                socket.writeTextMessage(message);

                assertThat(reply.get(10, TimeUnit.SECONDS))
                        .contains("\"type\":\"error\"")
                        .contains("the limit is");
                assertThat(socket.isClosed()).isFalse();
                socket.close().await();
            } finally {
                client.close().await();
            }
        }
    }

    @Test
    void invalidUtf8InATextMessageCloses1007() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(port, "/v1/sessions/utf/stream", 5_000)) {
            byte[] payload = "{\"message\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
            ws.frame(true, RawWebSocket.TEXT, payload);

            RawWebSocket.Outcome outcome = ws.readUntilClose();

            assertThat(outcome.closeCode()).as(outcome.toString()).isEqualTo(1007);
            assertThat(outcome.closeReason()).contains("UTF-8");
        }
        assertThat(gateway.turns).isEmpty();
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsCloses1007() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(port, "/v1/sessions/utf2/stream", 5_000)) {
            ws.frame(false, RawWebSocket.TEXT, "{\"message\":\"a".getBytes(StandardCharsets.UTF_8));
            ws.frame(false, RawWebSocket.CONTINUATION, new byte[] {(byte) 0xe2, (byte) 0x82});
            ws.frame(true, RawWebSocket.CONTINUATION, "\"}".getBytes(StandardCharsets.UTF_8));

            assertThat(ws.readUntilClose().closeCode()).isEqualTo(1007);
        }
    }

    static Stream<Integer> invalidCloseCodes() {
        // Codes of 5000 and up are echoed: Netty's decoder counts them valid, and Vert.x answers the close
        // frame before any handler of ours sees it.
        return Stream.of(0, 999, 1004, 1005, 1006, 1015, 2000);
    }

    @ParameterizedTest(name = "close code {0}")
    @MethodSource("invalidCloseCodes")
    void aCloseFrameWithAnInvalidCodeIsAnswered1002(int code) throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(port, "/v1/sessions/cc/stream", 5_000)) {
            ws.frame(true, RawWebSocket.CLOSE, RawWebSocket.closePayload(code, "bye"));

            RawWebSocket.Outcome outcome = ws.readUntilClose();

            assertThat(outcome.closeCode()).as(outcome.toString()).isEqualTo(1002);
            assertThat(outcome.closeReason()).isNotBlank();
        }
    }

    @Test
    void aValidCloseIsEchoed() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(port, "/v1/sessions/ok/stream", 5_000)) {
            ws.frame(true, RawWebSocket.CLOSE, RawWebSocket.closePayload(1000, "bye"));

            assertThat(ws.readUntilClose().closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void aLoneSurrogateInATextMessageGetsAnErrorFrameAndTheSocketStaysOpen() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(port, "/v1/sessions/sur/stream", 5_000)) {
            assertThat(ws.nextText()).contains("subscribed");
            ws.frame(true, RawWebSocket.TEXT, "{\"message\":\"a\\ud800\"}".getBytes(StandardCharsets.UTF_8));

            JsonObject error = new JsonObject(ws.nextText());
            assertThat(error.getString("type")).isEqualTo("error");
            assertThat(error.getString("error")).contains("unpaired surrogate \\ud800");
            ws.frame(true, RawWebSocket.TEXT, "{\"message\":\"hi\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(ws.nextText()).contains("accepted");
        }
    }

    @Test
    void aBinaryMessageStillGetsAnErrorFrame() throws Exception {
        WebSocketClient client = vertx.createWebSocketClient();
        try {
            CompletableFuture<String> reply = new CompletableFuture<>();
            WebSocket socket =
                    client.connect(port, "127.0.0.1", "/v1/sessions/bin/stream").await(5, TimeUnit.SECONDS);
            socket.textMessageHandler(text -> {
                if (text.contains("error")) {
                    reply.complete(text);
                }
            });
            socket.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer("{}"), true));

            assertThat(reply.get(5, TimeUnit.SECONDS)).contains("not binary");
        } finally {
            client.close().await();
        }
    }
}
