package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Half-sent requests, trickled headers and idle connections are closed within the configured timeouts. */
class ConnectionTimeoutsTest {

    private static final int HEADER_TIMEOUT_MS = 300;
    private static final int IDLE_TIMEOUT_MS = 1_000;

    private static SkeinIngress ingress;
    private static int port;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .waits(Duration.ofMillis(100), Duration.ofMillis(200))
                                .idleTimeout(Duration.ofMillis(IDLE_TIMEOUT_MS))
                                .requestHeaderTimeout(Duration.ofMillis(HEADER_TIMEOUT_MS))
                                .build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of()))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    @Test
    void aHundredHalfSentRequestsAreAllClosedWithinTheHeaderTimeout() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                Socket socket = new Socket("127.0.0.1", port);
                socket.getOutputStream().write(ascii("GET /health HTTP/1.1\r\nHost: x\r\nX-Half: "));
                sockets.add(socket);
            }
            long start = System.nanoTime();
            for (Socket socket : sockets) {
                assertThat(RawHttp.closesWithin(socket, 3_000)).isTrue();
            }
            assertThat(elapsedMillis(start)).isLessThan(HEADER_TIMEOUT_MS + 2_000L);
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void headersTrickledByteByByteAreCutAtTheHeaderTimeout() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(ascii("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
            long start = System.nanoTime();
            boolean closed = false;
            // One byte every 50 ms: never idle, never complete.
            while (elapsedMillis(start) < 3_000) {
                try {
                    out.write('a');
                    out.flush();
                } catch (IOException e) {
                    closed = true;
                    break;
                }
                socket.setSoTimeout(50);
                try {
                    if (socket.getInputStream().read() < 0) {
                        closed = true;
                        break;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    // still open
                } catch (IOException e) {
                    closed = true;
                    break;
                }
            }
            assertThat(closed).as("closed while trickling").isTrue();
            assertThat(elapsedMillis(start)).isBetween((long) HEADER_TIMEOUT_MS - 100, HEADER_TIMEOUT_MS + 1_500L);
        }
    }

    @Test
    void aKeptAliveConnectionIsClosedWhenTheNextRequestDoesNotCome() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(ascii("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
            InputStream in = socket.getInputStream();
            assertThat(RawHttp.read(in, System.nanoTime()).status()).isEqualTo(200);
            long start = System.nanoTime();

            assertThat(RawHttp.closesWithin(socket, 3_000)).isTrue();
            assertThat(elapsedMillis(start)).isLessThan(HEADER_TIMEOUT_MS + 1_500L);
        }
    }

    @Test
    void afterAPostAndAnErrorTheNextRequestHeadIsAwaitedNoLongerThanTheTimeout() throws Exception {
        for (String request : List.of(
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n{\"message\":\"hi\"}",
                "GET /v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v1/sessions/%zz/history HTTP/1.1\r\nHost: x\r\n\r\n")) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write(ascii(request));
                assertThat(RawHttp.read(socket.getInputStream(), System.nanoTime())
                                .status())
                        .isLessThan(500);
                long start = System.nanoTime();

                assertThat(RawHttp.closesWithin(socket, 3_000)).isTrue();
                assertThat(elapsedMillis(start)).as(request).isLessThan(HEADER_TIMEOUT_MS + 500L);
            }
        }
    }

    @Test
    void aWaitingRequestAndAQuietWebSocketAreNotCut() throws Exception {
        RawHttp.Response waited = RawHttp.send(
                port,
                "POST /v1/sessions/s/turns?wait=true HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n{\"message\":\"hi\"}",
                5_000);
        assertThat(waited.status()).isEqualTo(504);

        try (RawWebSocket ws = RawWebSocket.open(port, "/v1/sessions/quiet/stream", 5_000)) {
            assertThat(ws.nextText()).contains("subscribed");
            Thread.sleep(IDLE_TIMEOUT_MS * 2L + HEADER_TIMEOUT_MS);
            ws.frame(true, RawWebSocket.TEXT, ascii("{\"message\":\"still there?\"}"));
            String reply = ws.nextText();
            assertThat(reply).as("the socket is still open and served").contains("accepted");
        }
    }

    @Test
    void theTimeoutsAreRequiredAndChecked() {
        assertThatThrownBy(() -> TestIngressConfig.builder()
                        .waits(Duration.ofSeconds(1), Duration.ofSeconds(60))
                        .idleTimeout(Duration.ofSeconds(60))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.http.idle-timeout must be longer than skein.http.max-wait");
        assertThatThrownBy(() -> TestIngressConfig.builder()
                        .requestHeaderTimeout(Duration.ZERO)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.http.request-header-timeout");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static long elapsedMillis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
