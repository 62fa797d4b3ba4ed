package dev.skein.app.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.Scope;
import org.slf4j.MDC;

/**
 * Puts the current span's ids in the logs' context ({@code trace_id}, {@code span_id}, shown by
 * logback's pattern) whenever a context is made current, and puts back what was there when its
 * scope closes: every log line written inside a span names it, with no call at each log site.
 */
final class MdcContextStorage implements ContextStorage {

    static final String TRACE_ID = "trace_id";
    static final String SPAN_ID = "span_id";

    private final ContextStorage delegate;

    MdcContextStorage(ContextStorage delegate) {
        this.delegate = delegate;
    }

    @Override
    public Scope attach(Context toAttach) {
        String previousTrace = MDC.get(TRACE_ID);
        String previousSpan = MDC.get(SPAN_ID);
        Scope scope = delegate.attach(toAttach);
        put(Span.fromContext(toAttach).getSpanContext());
        return () -> {
            scope.close();
            restore(TRACE_ID, previousTrace);
            restore(SPAN_ID, previousSpan);
        };
    }

    @Override
    public Context current() {
        return delegate.current();
    }

    private static void put(SpanContext span) {
        if (span.isValid()) {
            MDC.put(TRACE_ID, span.getTraceId());
            MDC.put(SPAN_ID, span.getSpanId());
        } else {
            MDC.remove(TRACE_ID);
            MDC.remove(SPAN_ID);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
