package dev.skein.workers;

import static dev.skein.workers.WorkerFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ToolRequest;
import dev.skein.schemas.resources.Resources;
import dev.skein.schemas.tracing.TraceHeaders;
import dev.skein.workers.builtin.BuiltinTools;
import dev.skein.workers.tracing.ToolSpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A tool call on a worker is one span, a child of the request's context, whose context its result and deltas carry. */
class ToolSpansTest {

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private final List<Tool> tools = new ArrayList<>(BuiltinTools.all());
    private WorkerFixture worker;

    @AfterEach
    void close() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void aCallIsASpanUnderTheDispatchingPassAndItsResultCarriesIt() throws Exception {
        worker = new WorkerFixture(Resources.DEFAULT.withCpus(2), tools);
        Span pass =
                otel.getOpenTelemetry().getTracer("test").spanBuilder("pass").startSpan();
        pass.end();
        ToolRequest request = request("calculator", "{\"expression\":\"6*7\"}");
        request.setRequestedAtMs(System.currentTimeMillis() - 250);
        ConsumerRecord<String, byte[]> record = worker.record(request, 2);
        TraceHeaders.inject(Context.root().with(pass), record.headers());

        assertThat(worker.handler.handle(WorkerFixture.TIER, record)).isEqualTo(AcknowledgeType.ACCEPT);

        SpanData call = otel.getSpans().stream()
                .filter(span -> span.getName().equals("execute_tool calculator"))
                .findFirst()
                .orElseThrow();
        assertThat(call.getParentSpanId()).isEqualTo(pass.getSpanContext().getSpanId());
        assertThat(call.getTraceId()).isEqualTo(pass.getSpanContext().getTraceId());
        assertThat(call.getAttributes().get(ToolSpans.TOOL)).isEqualTo("calculator");
        assertThat(call.getAttributes().get(ToolSpans.TIER)).isEqualTo("small");
        assertThat(call.getAttributes().get(ToolSpans.WORKER)).isEqualTo("w1");
        assertThat(call.getAttributes().get(ToolSpans.DELIVERY)).isEqualTo(2L);
        assertThat(call.getAttributes().get(ToolSpans.ATTEMPTS)).isEqualTo(1L);
        assertThat(call.getAttributes().get(ToolSpans.QUEUE_WAIT)).isBetween(250L, 60_000L);
        assertThat(call.getAttributes().get(ToolSpans.CACHED)).isFalse();
        assertThat(call.getAttributes().get(ToolSpans.STATUS)).isEqualTo("OK");
        assertThat(call.getAttributes().get(ToolSpans.ACK)).isEqualTo("ACCEPT");

        List<ProducerRecord<String, byte[]>> written = worker.kafka.history();
        assertThat(written).isNotEmpty().allSatisfy(r -> {
            SpanContext carried =
                    Span.fromContext(TraceHeaders.extract(r.headers())).getSpanContext();
            assertThat(carried.getSpanId()).isEqualTo(call.getSpanId());
            assertThat(carried.getTraceId()).isEqualTo(call.getTraceId());
        });
    }

    @Test
    void aRequestWithoutContextIsARootSpanAndTheResultStartsNoOtherTrace() throws Exception {
        worker = new WorkerFixture(Resources.DEFAULT.withCpus(2), tools);

        worker.handler.handle(WorkerFixture.TIER, worker.record(request("calculator", "{\"expression\":\"1+1\"}"), 1));

        assertThat(otel.getSpans())
                .singleElement()
                .satisfies(span ->
                        assertThat(span.getParentSpanContext().isValid()).isFalse());
        Headers headers = worker.kafka.history().getFirst().headers();
        assertThat(TraceHeaders.traceId(TraceHeaders.extract(headers)))
                .isEqualTo(otel.getSpans().getFirst().getTraceId());
    }
}
