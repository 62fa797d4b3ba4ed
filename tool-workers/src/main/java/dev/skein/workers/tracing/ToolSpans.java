package dev.skein.workers.tracing;

import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.header.Headers;

/**
 * The span of one tool call on a worker: a child of the context the request carries (the topology
 * pass that dispatched it), current while the call waits for admission, runs and is answered, so
 * that its result and deltas carry it.
 */
public final class ToolSpans {

    public static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    public static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
    public static final AttributeKey<String> CALL = AttributeKey.stringKey("gen_ai.tool.call.id");
    public static final AttributeKey<String> TIER = AttributeKey.stringKey("skein.tier");
    public static final AttributeKey<String> WORKER = AttributeKey.stringKey("skein.worker");
    /** The delivery of the request to the pool (1 the first time; more after a release or a worker's crash). */
    public static final AttributeKey<Long> DELIVERY = AttributeKey.longKey("skein.delivery");
    /** Attempts the worker made at the call (its retry policy), in the result. */
    public static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("skein.attempts");
    /** From the topology's dispatch to this worker's start on it: time in the tier's queue. */
    public static final AttributeKey<Long> QUEUE_WAIT = AttributeKey.longKey("skein.queue_wait_ms");

    public static final AttributeKey<Boolean> CACHED = AttributeKey.booleanKey("skein.cached");
    public static final AttributeKey<String> STATUS = AttributeKey.stringKey("skein.tool.status");
    public static final AttributeKey<String> ACK = AttributeKey.stringKey("skein.acknowledge");
    public static final AttributeKey<String> TURN = AttributeKey.stringKey("skein.turn_id");

    private ToolSpans() {}

    public static Span start(
            Headers headers, ToolRequest request, String tier, String worker, int delivery, long nowMs) {
        return TraceHeaders.tracer()
                .spanBuilder("execute_tool " + request.getTool())
                .setSpanKind(SpanKind.CONSUMER)
                .setParent(TraceHeaders.extract(headers))
                .setAttribute(OPERATION, "execute_tool")
                .setAttribute(TOOL, request.getTool())
                .setAttribute(CALL, request.getCallId())
                .setAttribute(TURN, request.getTurnId())
                .setAttribute(TIER, tier)
                .setAttribute(WORKER, worker)
                .setAttribute(DELIVERY, (long) delivery)
                .setAttribute(QUEUE_WAIT, Math.max(0, nowMs - request.getRequestedAtMs()))
                .setAttribute(CACHED, false)
                .startSpan();
    }

    /** The result this worker wrote, on the current call span. */
    public static void answered(ToolResult result) {
        Span span = Span.current();
        span.setAttribute(STATUS, result.getStatus().name());
        span.setAttribute(ATTEMPTS, (long) result.getAttempts());
        if (result.getStatus() != ToolStatus.OK) {
            span.setStatus(StatusCode.ERROR, result.getStatus().name());
        }
    }

    /** How the request was acknowledged to the pool (a RELEASE sends it to another worker). */
    public static void acknowledged(Span span, AcknowledgeType type) {
        span.setAttribute(ACK, type.name());
    }
}
