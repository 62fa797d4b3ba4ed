package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A turn that comes by a path without its own span (WebSocket, MCP, A2A) gets one from the
 * gateway: submitted in it, ended by the completion, or marked when the completion never comes.
 */
class TracedTurnGatewayTest {

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private final RecordingGateway delegate = new RecordingGateway();
    private final InMemorySessionEvents events = new InMemorySessionEvents();
    private final List<SpanContext> submittedIn = new ArrayList<>();

    @Test
    void aTurnWithoutASpanGetsOneThatEndsWithItsCompletion() {
        delegate.onTurn = turn -> submittedIn.add(Span.current().getSpanContext());
        TracedTurnGateway gateway = new TracedTurnGateway(delegate, events, Duration.ofMinutes(1));
        TurnRequested turn = turn("t1");

        assertThat(gateway.submit(turn)).isCompleted();
        assertThat(otel.getSpans()).isEmpty();
        events.publish(completion(turn, TurnStatus.FAILED));

        SpanData span = otel.getSpans().getFirst();
        assertThat(span.getName()).isEqualTo("turn");
        assertThat(span.getKind()).isEqualTo(SpanKind.INTERNAL);
        assertThat(span.getParentSpanContext().isValid()).isFalse();
        assertThat(span.getSpanId()).isEqualTo(submittedIn.getFirst().getSpanId());
        assertThat(span.getAttributes().get(TurnSpans.STATUS)).isEqualTo("FAILED");
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void aTurnSpanAlreadyInTheContextIsKeptNotDoubled() {
        delegate.onTurn = turn -> submittedIn.add(Span.current().getSpanContext());
        TracedTurnGateway gateway = new TracedTurnGateway(delegate, events, Duration.ofMinutes(1));
        TurnRequested turn = turn("t2");
        Context http = TurnSpans.start(Context.root(), turn, SpanKind.SERVER);

        try (var ignored = http.makeCurrent()) {
            gateway.submit(turn);
        }
        events.publish(completion(turn, TurnStatus.COMPLETED));

        assertThat(otel.getSpans()).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
            assertThat(span.getSpanId()).isEqualTo(submittedIn.getFirst().getSpanId());
        });
    }

    @Test
    void aCompletionThatNeverComesEndsTheSpanAtTheLimitAndForgetsTheWaiter() throws Exception {
        TracedTurnGateway gateway = new TracedTurnGateway(delegate, events, Duration.ofMillis(100));

        gateway.submit(turn("t3"));

        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (otel.getSpans().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(otel.getSpans())
                .singleElement()
                .satisfies(span ->
                        assertThat(span.getStatus().getDescription()).contains("not seen by this ingress within"));
        assertThat(events.waiters).isEmpty();
    }

    private static TurnRequested turn(String turnId) {
        return TurnRequested.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setMessage("hello")
                .setRequestedAtMs(1)
                .build();
    }

    private static TurnCompleted completion(TurnRequested turn, TurnStatus status) {
        return TurnCompleted.newBuilder()
                .setTenant(turn.getTenant())
                .setSessionId(turn.getSessionId())
                .setTurnId(turn.getTurnId())
                .setStatus(status)
                .setError(status == TurnStatus.FAILED ? "the agent failed" : null)
                .setCompletedAtMs(2)
                .build();
    }
}
