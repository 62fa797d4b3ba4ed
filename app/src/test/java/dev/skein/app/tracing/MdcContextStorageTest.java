package dev.skein.app.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.Scope;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** Inside a span the logs' context names it; when the scope closes, what was there before is back. */
class MdcContextStorageTest {

    private final ContextStorage storage = new MdcContextStorage(ContextStorage.defaultStorage());

    @Test
    void aCurrentSpanIsInTheMdcUntilItsScopeCloses() {
        Span outer = span("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        Span inner = span("4bf92f3577b34da6a3ce929d0e0e4736", "1111111111111111");

        try (Scope a = storage.attach(Context.root().with(outer))) {
            assertThat(MDC.get("trace_id")).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(MDC.get("span_id")).isEqualTo("00f067aa0ba902b7");
            try (Scope b = storage.attach(Context.root().with(inner))) {
                assertThat(MDC.get("span_id")).isEqualTo("1111111111111111");
            }
            assertThat(MDC.get("span_id")).isEqualTo("00f067aa0ba902b7");
            try (Scope none = storage.attach(Context.root())) {
                assertThat(MDC.get("trace_id")).isNull();
            }
        }
        assertThat(MDC.get("trace_id")).isNull();
        assertThat(MDC.get("span_id")).isNull();
    }

    private static Span span(String traceId, String spanId) {
        return Span.wrap(SpanContext.create(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault()));
    }
}
