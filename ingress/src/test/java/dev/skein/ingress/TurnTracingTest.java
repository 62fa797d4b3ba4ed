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
import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vertx.core.json.JsonObject;
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
 * A turn posted over HTTP gets its span, continuing the client's {@code traceparent}; the turn is
 * submitted in it (its record carries it), the answer names it, and it ends with the completion.
 * A turn that comes over MCP or A2A continues the {@code traceparent} of its POST the same way, one
 * over WebSocket that of the upgrade request.
 */
class TurnTracingTest {

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
        gateway.onTurn = turn -> submittedIn.put(
                turn.getTurnId(), Span.fromContext(Context.current()).getSpanContext());
    }

    @Test
    void aClientsTraceparentIsContinuedByTheTurnSpanWhichEndsWithTheCompletion() throws Exception {
        HttpResponse<String> response = post("/v1/sessions/s1/turns", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");

        assertThat(response.statusCode()).isEqualTo(202);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("traceId")).isEqualTo(CLIENT_TRACE);
        String traceparent = response.headers().firstValue("traceparent").orElseThrow();
        assertThat(traceparent).startsWith("00-" + CLIENT_TRACE + "-");
        TurnRequested turn = gateway.turns.getFirst();
        SpanContext submitted = submittedIn.get(turn.getTurnId());
        assertThat(submitted.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(traceparent).contains(submitted.getSpanId());
        assertThat(otel.getSpans()).as("the turn span is still open").isEmpty();

        events.publish(completion(turn, TurnStatus.COMPLETED));

        awaitEndedSpan();
        SpanData span = otel.getSpans().getFirst();
        assertThat(span.getName()).isEqualTo("turn");
        assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(span.getSpanId()).isEqualTo(submitted.getSpanId());
        assertThat(span.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(span.getAttributes().get(TurnSpans.STATUS)).isEqualTo("COMPLETED");
        assertThat(span.getAttributes().get(TurnSpans.TURN_ID)).isEqualTo(turn.getTurnId());
    }

    @Test
    void aTurnWithoutTraceparentIsTheRootOfItsTraceAndAWaitedAnswerNamesIt() throws Exception {
        gateway.onTurn = turn -> {
            submittedIn.put(
                    turn.getTurnId(), Span.fromContext(Context.current()).getSpanContext());
            TurnCompleted done = completion(turn, TurnStatus.COMPLETED);
            done.setTraceId(TraceHeaders.traceId(Context.current()));
            // Answered later, as the topology would, on another thread.
            Thread.ofVirtual().start(() -> events.publish(done));
        };

        HttpResponse<String> response = post("/v1/sessions/s2/turns?wait=5", null);

        assertThat(response.statusCode()).isEqualTo(200);
        SpanContext submitted = submittedIn.values().iterator().next();
        assertThat(new JsonObject(response.body()).getString("traceId")).isEqualTo(submitted.getTraceId());
        assertThat(response.headers().firstValue("traceparent").orElseThrow())
                .startsWith("00-" + submitted.getTraceId() + "-" + submitted.getSpanId() + "-");
        awaitEndedSpan();
        assertThat(otel.getSpans().getFirst().getParentSpanContext().isValid()).isFalse();
    }

    @Test
    void aTurnThatIsNotAcceptedEndsItsSpanAsAnError() throws Exception {
        gateway.failure = new IllegalStateException("the broker is away");

        HttpResponse<String> response = post("/v1/sessions/s3/turns", null);

        assertThat(response.statusCode()).isEqualTo(503);
        awaitEndedSpan();
        assertThat(otel.getSpans().getFirst().getStatus().getDescription()).contains("the broker is away");
    }

    @Test
    void anMcpToolCallContinuesTheClientsTraceparent() throws Exception {
        answerEachTurn();
        HttpResponse<String> response = protocolPost(
                "/mcp",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask_demo\","
                        + "\"arguments\":{\"session\":\"m1\",\"message\":\"hello\"}}}",
                TRACEPARENT);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertContinued();
    }

    @Test
    void anA2aMessageContinuesTheClientsTraceparent() throws Exception {
        answerEachTurn();
        HttpResponse<String> response = protocolPost(
                "/a2a/demo",
                A2aTestCalls.envelope("SendMessage", A2aTestCalls.message(null, null, "hello")),
                TRACEPARENT);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertContinued();
    }

    @Test
    void aWebSocketTurnContinuesTheTraceparentOfTheUpgrade() throws Exception {
        answerEachTurn();
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
        answerEachTurn();
        protocolPost(
                "/mcp",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask_demo\","
                        + "\"arguments\":{\"session\":\"m2\",\"message\":\"hello\"}}}",
                null);

        awaitEndedSpan();
        SpanData span = otel.getSpans().getFirst();
        assertThat(span.getParentSpanContext().isValid()).isFalse();
        assertThat(span.getTraceId()).isNotEqualTo(CLIENT_TRACE);
    }

    /** The one turn was submitted in the turn span, a child of the client's span in the client's trace. */
    private static void assertContinued() throws InterruptedException {
        awaitEndedSpan();
        assertThat(otel.getSpans()).hasSize(1);
        SpanData span = otel.getSpans().getFirst();
        assertThat(span.getName()).isEqualTo("turn");
        assertThat(span.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(span.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        TurnRequested turn = gateway.turns.getFirst();
        SpanContext submitted = submittedIn.get(turn.getTurnId());
        assertThat(submitted.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(submitted.getSpanId()).isEqualTo(span.getSpanId());
    }

    /** Each turn is answered at once, on another thread, as the topology would. */
    private static void answerEachTurn() {
        gateway.onTurn = turn -> {
            submittedIn.put(
                    turn.getTurnId(), Span.fromContext(Context.current()).getSpanContext());
            Thread.ofVirtual().start(() -> events.publish(completion(turn, TurnStatus.COMPLETED)));
        };
    }

    /** The turn span ends on the thread that completes the turn, which may not be the test's. */
    private static void awaitEndedSpan() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (otel.getSpans().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(otel.getSpans()).as("the turn span has ended").isNotEmpty();
    }

    private static TurnCompleted completion(TurnRequested turn, TurnStatus status) {
        return TurnCompleted.newBuilder()
                .setTenant(turn.getTenant())
                .setSessionId(turn.getSessionId())
                .setTurnId(turn.getTurnId())
                .setStatus(status)
                .setAnswer("done")
                .setSteps(1)
                .setCompletedAtMs(2)
                .build();
    }

    private static HttpResponse<String> post(String path, String traceparent) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"hello\"}"));
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> protocolPost(String path, String body, String traceparent) throws Exception {
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
