package dev.skein.schemas.tracing;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * W3C trace context ({@code traceparent}, {@code tracestate}) in the headers of Skein's records,
 * with OpenTelemetry's own {@link W3CTraceContextPropagator}: no Kafka instrumentation artifact is
 * available, and every hop (ingress, topology, runner, worker) reads and writes the same two
 * headers through this class.
 *
 * <p>Spans come from the process's OpenTelemetry ({@link GlobalOpenTelemetry#getOrNoop()}: the app
 * installs an SDK only when {@code skein.tracing.enabled}); without one the tracer is a no-op and
 * a record's context only passes through, so tracing that is off costs a header lookup.
 */
public final class TraceHeaders {

    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";
    /** The instrumentation scope of every Skein span. */
    public static final String SCOPE = "dev.skein";

    private static final TextMapPropagator PROPAGATOR = W3CTraceContextPropagator.getInstance();

    private static final TextMapSetter<Headers> SETTER = (headers, key, value) -> {
        if (headers != null) {
            // A record forwarded with its headers must not carry two parents.
            headers.remove(key);
            headers.add(key, value.getBytes(StandardCharsets.UTF_8));
        }
    };

    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            for (Header header : headers) {
                keys.add(header.key());
            }
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            if (headers == null) {
                return null;
            }
            Header header = headers.lastHeader(key);
            return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
        }
    };

    private TraceHeaders() {}

    /** The tracer of this process: a no-op one unless the app installed the SDK. */
    public static Tracer tracer() {
        return GlobalOpenTelemetry.getOrNoop().getTracer(SCOPE);
    }

    /** The context a consumed record carries, as a child of nothing else: {@link Context#root()} when it has none. */
    public static Context extract(Headers headers) {
        if (headers == null || headers.lastHeader(TRACEPARENT) == null) {
            return Context.root();
        }
        return PROPAGATOR.extract(Context.root(), headers, GETTER);
    }

    /** The context a stored {@link #traceparent} names; {@link Context#root()} for null. */
    public static Context fromTraceparent(String traceparent) {
        if (traceparent == null) {
            return Context.root();
        }
        return PROPAGATOR.extract(Context.root(), java.util.Map.of(TRACEPARENT, traceparent), MAP_GETTER);
    }

    private static final TextMapGetter<java.util.Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(java.util.Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(java.util.Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    /** Writes {@code context}'s span into {@code headers}; nothing when it has no valid span. */
    public static void inject(Context context, Headers headers) {
        if (Span.fromContext(context).getSpanContext().isValid()) {
            PROPAGATOR.inject(context, headers, SETTER);
        }
    }

    /**
     * Headers for a record produced in {@code context}: null (no headers) when it has no valid
     * span, which is what every record gets while tracing is off and no client sent a traceparent.
     */
    public static Headers of(Context context) {
        if (!Span.fromContext(context).getSpanContext().isValid()) {
            return null;
        }
        Headers headers = new RecordHeaders();
        PROPAGATOR.inject(context, headers, SETTER);
        return headers;
    }

    /** {@link #of} the current context. */
    public static Headers current() {
        return of(Context.current());
    }

    /** The trace id of {@code context}'s span, or null when it has none. */
    public static String traceId(Context context) {
        SpanContext span = Span.fromContext(context).getSpanContext();
        return span.isValid() ? span.getTraceId() : null;
    }

    /** The {@code traceparent} value of {@code context}'s span, or null when it has none. */
    public static String traceparent(Context context) {
        SpanContext span = Span.fromContext(context).getSpanContext();
        if (!span.isValid()) {
            return null;
        }
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-"
                + span.getTraceFlags().asHex();
    }
}
