package dev.skein.topologies.tracing;

import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The session topology's spans. Each input record is processed in one <em>pass</em> span, a child
 * of the context in the record's headers; what the pass emits carries the pass's context
 * ({@link #traced}), so the next hop (runner, worker, client) continues the same trace. A tool call
 * the cache answers and a call held for approval are decided here, so their spans are made here
 * too. With tracing off the tracer is a no-op: a pass then only carries its record's context
 * through.
 */
public final class TopologySpans {

    public static final AttributeKey<String> SESSION = AttributeKey.stringKey("skein.session");
    public static final AttributeKey<String> TURN = AttributeKey.stringKey("skein.turn_id");
    public static final AttributeKey<String> EVENT = AttributeKey.stringKey("skein.event");
    public static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
    public static final AttributeKey<String> CALL = AttributeKey.stringKey("gen_ai.tool.call.id");
    public static final AttributeKey<Boolean> CACHED = AttributeKey.booleanKey("skein.cached");
    public static final AttributeKey<String> DECISION = AttributeKey.stringKey("skein.approval.decision");
    private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<Long> PARTITION = AttributeKey.longKey("messaging.destination.partition.id");
    private static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");

    private TopologySpans() {}

    /**
     * Runs {@code apply} inside the pass span of {@code record} (consumed at {@code origin}, null in
     * a punctuation): the span is current while it runs, and records a failure before it goes on.
     */
    public static void pass(Record<String, SpecificRecord> record, RecordMetadata origin, Runnable apply) {
        SpecificRecord event = record.value();
        String type = event == null ? "unknown" : event.getSchema().getName();
        var builder = TraceHeaders.tracer()
                .spanBuilder("topology " + type)
                .setSpanKind(SpanKind.CONSUMER)
                .setParent(TraceHeaders.extract(record.headers()))
                .setAttribute(SYSTEM, "kafka")
                .setAttribute(EVENT, type);
        if (record.key() != null) {
            builder.setAttribute(SESSION, record.key());
        }
        if (event != null && field(event, "turnId") instanceof String turnId) {
            builder.setAttribute(TURN, turnId);
        }
        if (origin != null) {
            builder.setAttribute(DESTINATION, origin.topic())
                    .setAttribute(PARTITION, (long) origin.partition())
                    .setAttribute(OFFSET, origin.offset());
        }
        Span span = builder.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            apply.run();
        } catch (RuntimeException | Error e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
            throw e;
        } finally {
            span.end();
        }
    }

    /** {@code record} with the current context in its headers (a pass's output), or as it is without one. */
    public static <K, V> Record<K, V> traced(Record<K, V> record) {
        Headers trace = TraceHeaders.current();
        return trace == null ? record : record.withHeaders(trace);
    }

    /** The current trace's id (for {@code TurnCompleted.traceId}), or null without one. */
    public static String traceId() {
        return TraceHeaders.traceId(Context.current());
    }

    /** A call answered from the result cache: a tool-call span of no duration, marked cached. */
    public static void cached(String tool, String callId) {
        TraceHeaders.tracer()
                .spanBuilder("execute_tool " + tool)
                .setAttribute(TOOL, tool)
                .setAttribute(CALL, callId)
                .setAttribute(CACHED, true)
                .startSpan()
                .end();
    }

    /**
     * A call held for approval: the context to keep with it (a traceparent, null without a trace),
     * so that its decision, maybe in another process after a restart, continues this trace.
     */
    public static String held() {
        return TraceHeaders.traceparent(Context.current());
    }

    /**
     * A held call approved or denied: its approval span, from {@code heldAtMs} to now, a child of
     * the context it was held in (and linked to the command's), made current until the scope
     * closes, so that the call it sends carries the turn's trace and not the command's.
     */
    public static Scope decided(String heldTraceparent, long heldAtMs, String tool, String callId, boolean approved) {
        if (heldTraceparent == null) {
            return Scope.noop();
        }
        Context command = Context.current();
        var builder = TraceHeaders.tracer()
                .spanBuilder("approval " + tool)
                .setParent(TraceHeaders.fromTraceparent(heldTraceparent))
                .setAttribute(TOOL, tool)
                .setAttribute(CALL, callId)
                .setAttribute(DECISION, approved ? "approved" : "denied");
        if (heldAtMs > 0) {
            builder.setStartTimestamp(heldAtMs, TimeUnit.MILLISECONDS);
        }
        if (Span.fromContext(command).getSpanContext().isValid()) {
            builder.addLink(Span.fromContext(command).getSpanContext());
        }
        Span span = builder.startSpan();
        span.end();
        return span.makeCurrent();
    }

    /**
     * A turn ended by its deadline: a span of no duration in the trace the turn started in
     * ({@code traceparent}, null without tracing), made current until the scope closes, so that
     * the completion it writes carries the turn's trace id.
     */
    public static Scope expired(String traceparent, String turnId) {
        if (traceparent == null) {
            return Scope.noop();
        }
        Span span = TraceHeaders.tracer()
                .spanBuilder("turn deadline")
                .setParent(TraceHeaders.fromTraceparent(traceparent))
                .setAttribute(TURN, turnId)
                .startSpan();
        span.end();
        return span.makeCurrent();
    }

    private static Object field(SpecificRecord event, String name) {
        Schema.Field field = event.getSchema().getField(name);
        return field == null ? null : event.get(field.pos());
    }
}
