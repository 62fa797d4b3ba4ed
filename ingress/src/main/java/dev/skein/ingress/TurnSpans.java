package dev.skein.ingress;

import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * The turn's span: the root of its trace, or the child of the {@code traceparent} its client sent
 * (on the POST over HTTP, MCP and A2A; on the upgrade request over WebSocket). It starts when the ingress takes the turn and ends when the turn's completion is seen
 * ({@link TracedTurnGateway}); every record of the turn descends from it.
 */
final class TurnSpans {

    /** The turn span in a context, so that the gateway does not start a second one for the same turn. */
    static final ContextKey<Span> TURN = ContextKey.named("skein.turn");

    static final AttributeKey<String> SESSION = AttributeKey.stringKey("skein.session");
    static final AttributeKey<String> TURN_ID = AttributeKey.stringKey("skein.turn_id");
    static final AttributeKey<String> AGENT = AttributeKey.stringKey("gen_ai.agent.name");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("skein.turn.status");
    static final AttributeKey<Long> STEPS = AttributeKey.longKey("skein.turn.steps");
    static final AttributeKey<Long> TOOL_CALLS = AttributeKey.longKey("skein.turn.tool_calls");

    private static final TextMapGetter<MultiMap> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(MultiMap headers) {
            return headers.names();
        }

        @Override
        public String get(MultiMap headers, String key) {
            return headers == null ? null : headers.get(key);
        }
    };

    private TurnSpans() {}

    /** Whether this process traces (the app installed an SDK); when not, the ingress starts no span. */
    static boolean enabled() {
        return GlobalOpenTelemetry.isSet();
    }

    /**
     * The context to submit a turn posted over HTTP in: its turn span, continuing the request's
     * {@code traceparent} when it has one; {@link Context#current()} when tracing is off.
     */
    static Context forRequest(HttpServerRequest request, TurnRequested turn) {
        if (!enabled()) {
            return Context.current();
        }
        Context parent = request.getHeader(TraceHeaders.TRACEPARENT) == null ? Context.root() : sent(request.headers());
        return start(parent, turn, SpanKind.SERVER);
    }

    /**
     * The context to submit a turn in that came over WebSocket, MCP or A2A, whose span the gateway
     * starts ({@link TracedTurnGateway}): the client's {@code traceparent} in {@code headers} (the
     * POST's, or the WebSocket upgrade's), else {@link Context#current()}.
     */
    static Context clientContext(MultiMap headers) {
        return !enabled() || headers.get(TraceHeaders.TRACEPARENT) == null ? Context.current() : sent(headers);
    }

    private static Context sent(MultiMap headers) {
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADERS);
    }

    /** A turn span under {@code parent}, in a context that holds it as {@link #TURN}. */
    static Context start(Context parent, TurnRequested turn, SpanKind kind) {
        Span span = TraceHeaders.tracer()
                .spanBuilder("turn")
                .setSpanKind(kind)
                .setParent(parent)
                .setAttribute(SESSION, SessionAddress.key(turn.getTenant(), turn.getSessionId()))
                .setAttribute(TURN_ID, turn.getTurnId())
                .setAttribute(AGENT, turn.getAgent() == null ? "" : turn.getAgent())
                .startSpan();
        return parent.with(span).with(TURN, span);
    }

    /** Ends the turn span with how the turn ended. */
    static void completed(Span span, TurnCompleted completed) {
        span.setAttribute(STATUS, completed.getStatus().name());
        span.setAttribute(STEPS, (long) completed.getSteps());
        span.setAttribute(TOOL_CALLS, (long) completed.getToolCalls());
        if (completed.getAgent() != null) {
            span.setAttribute(AGENT, completed.getAgent());
        }
        if (completed.getStatus() == TurnStatus.FAILED) {
            span.setStatus(StatusCode.ERROR, String.valueOf(completed.getError()));
        }
        span.end();
    }

    /** Ends the turn span of a turn that was not accepted, or whose completion was not seen. */
    static void failed(Span span, String why) {
        span.setStatus(StatusCode.ERROR, why);
        span.end();
    }
}
