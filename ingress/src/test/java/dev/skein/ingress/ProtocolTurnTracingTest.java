package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A turn that comes over WebSocket, MCP or A2A continues the client's {@code traceparent} as one
 * posted over HTTP does: the POST's header (MCP, A2A) or the WebSocket upgrade's is the parent of
 * the turn span, and the turn is submitted in that span. Without one the turn span is a root.
 */
class ProtocolTurnTracingTest {

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01";

    private static final RecordingGateway gateway = new RecordingGateway();
    private static final InMemorySessionEvents events = new InMemorySessionEvents();
    /** The context each turn was submitted in, by turn id: what KafkaTurnGateway writes into the record. */
    private static final Map<String, SpanContext> submittedIn = new ConcurrentHashMap<>();

    private static SkeinIngress ingress;
    private static HttpClient http;
    private static int port;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        TracedTurnGateway traced = new TracedTurnGateway(gateway, events, Duration.ofMinutes(1));
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .agents(List.of("demo"))
                                .a2a(new A2aSettings(true, List.of("demo"), "demo", null, Map.of()))
                                .build(),
                        traced,
                        events,
                        () -> new Health(Map.of()))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        http.close();
        ingress.close();
    }

    @BeforeEach
    void reset() {
        events.reset();
        gateway.reset();
        submittedIn.clear();
        // Each turn is answered at once, on another thread, as the topology would.
        gateway.onTurn = turn -> {
            submittedIn.put(
                    turn.getTurnId(), Span.fromContext(Context.current()).getSpanContext());
            Thread.ofVirtual().start(() -> events.publish(completion(turn)));
        };
    }

    @Test
    void anMcpToolCallContinuesTheClientsTraceparent() throws Exception {
        HttpResponse<String> response = post(
                "/mcp",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask_demo\","
                        + "\"arguments\":{\"session\":\"m1\",\"message\":\"hello\"}}}",
                TRACEPARENT);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertContinued();
    }

    @Test
    void anA2aMessageContinuesTheClientsTraceparent() throws Exception {
        HttpResponse<String> response = post(
                "/a2a/demo",
                A2aTestCalls.envelope("SendMessage", A2aTestCalls.message(null, null, "hello")),
                TRACEPARENT);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertContinued();
    }

    @Test
    void aWebSocketTurnContinuesTheTraceparentOfTheUpgrade() throws Exception {
        WebSocket socket = http.newWebSocketBuilder()
                .header("traceparent", TRACEPARENT)
                .buildAsync(
                        URI.create("ws://127.0.0.1:" + port + "/v1/sessions/w1/stream"), new WebSocket.Listener() {})
                .get(5, TimeUnit.SECONDS);
        try {
            socket.sendText("{\"message\":\"hello\"}", true).get(5, TimeUnit.SECONDS);
            assertContinued();
        } finally {
            socket.abort();
        }
    }

    @Test
    void withoutATraceparentAnMcpTurnIsTheRootOfItsTrace() throws Exception {
        post(
                "/mcp",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask_demo\","
                        + "\"arguments\":{\"session\":\"m2\",\"message\":\"hello\"}}}",
                null);

        SpanData span = awaitEndedSpan();
        assertThat(span.getParentSpanContext().isValid()).isFalse();
        assertThat(span.getTraceId()).isNotEqualTo(CLIENT_TRACE);
    }

    /** The one turn was submitted in the turn span, a child of the client's span in the client's trace. */
    private static void assertContinued() throws InterruptedException {
        SpanData span = awaitEndedSpan();
        assertThat(span.getName()).isEqualTo("turn");
        assertThat(span.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(span.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        TurnRequested turn = gateway.turns.getFirst();
        SpanContext submitted = submittedIn.get(turn.getTurnId());
        assertThat(submitted.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(submitted.getSpanId()).isEqualTo(span.getSpanId());
    }

    /** The turn span ends on the thread that completes the turn, which may not be the test's. */
    private static SpanData awaitEndedSpan() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (otel.getSpans().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(otel.getSpans()).as("the turn span has ended").hasSize(1);
        return otel.getSpans().getFirst();
    }

    private static TurnCompleted completion(TurnRequested turn) {
        return TurnCompleted.newBuilder()
                .setTenant(turn.getTenant())
                .setSessionId(turn.getSessionId())
                .setTurnId(turn.getTurnId())
                .setStatus(TurnStatus.COMPLETED)
                .setAnswer("done")
                .setSteps(1)
                .setCompletedAtMs(2)
                .build();
    }

    private static HttpResponse<String> post(String path, String body, String traceparent) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
