package dev.skein.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** W3C trace context in Kafka record headers, as every hop of a turn reads and writes it. */
class TraceHeadersTest {

    private static final SpanContext SPAN = SpanContext.create(
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            TraceFlags.getSampled(),
            TraceState.builder().put("vendor", "x1").build());

    @Test
    void aContextWrittenIntoHeadersIsReadBackWithItsState() {
        Headers headers = TraceHeaders.of(Context.root().with(Span.wrap(SPAN)));

        assertThat(text(headers, "traceparent")).isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assertThat(text(headers, "tracestate")).isEqualTo("vendor=x1");
        SpanContext read = Span.fromContext(TraceHeaders.extract(headers)).getSpanContext();
        assertThat(read.getTraceId()).isEqualTo(SPAN.getTraceId());
        assertThat(read.getSpanId()).isEqualTo(SPAN.getSpanId());
        assertThat(read.isSampled()).isTrue();
        assertThat(read.isRemote()).isTrue();
        assertThat(read.getTraceState().get("vendor")).isEqualTo("x1");
    }

    @Test
    void withoutASpanNoHeaderIsWritten() {
        assertThat(TraceHeaders.of(Context.root())).isNull();
        Headers headers = new RecordHeaders();
        TraceHeaders.inject(Context.root(), headers);
        assertThat(headers.toArray()).isEmpty();
    }

    @Test
    void aForwardedRecordGetsOneParentTheNewOne() {
        Headers headers = TraceHeaders.of(Context.root().with(Span.wrap(SPAN)));
        SpanContext next = SpanContext.create(
                SPAN.getTraceId(), "1111111111111111", TraceFlags.getSampled(), TraceState.getDefault());

        TraceHeaders.inject(Context.root().with(Span.wrap(next)), headers);

        assertThat(headers.headers("traceparent")).hasSize(1);
        assertThat(TraceHeaders.traceparent(TraceHeaders.extract(headers)))
                .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01");
    }

    @Test
    void aMissingOrMalformedTraceparentIsNoContext() {
        assertThat(TraceHeaders.extract(null)).isSameAs(Context.root());
        assertThat(TraceHeaders.extract(new RecordHeaders())).isSameAs(Context.root());
        Headers bad = new RecordHeaders().add("traceparent", "not-a-context".getBytes(StandardCharsets.UTF_8));
        assertThat(TraceHeaders.traceId(TraceHeaders.extract(bad))).isNull();
        assertThat(TraceHeaders.traceId(TraceHeaders.fromTraceparent(null))).isNull();
        assertThat(TraceHeaders.traceId(
                        TraceHeaders.fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")))
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    private static String text(Headers headers, String key) {
        return new String(headers.lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
