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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A turn posted over HTTP gets its span, continuing the client's {@code traceparent}; the turn is
 * submitted in it (its record carries it), the answer names it, and it ends with the completion.
 */
class TurnTracingTest {

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";

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
        ingress = SkeinIngress.builder(TestIngressConfig.builder().build(), traced, events, () -> new Health(Map.of()))
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
}
