package dev.skein.adapters.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.adapters.AgentSpec;
import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An agent step's span: under the request's context, with the GenAI semantic-convention attributes. */
class AgentStepSpansTest {

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private static final AgentInvocation INVOCATION = AgentInvocation.newBuilder()
            .setTenant("acme")
            .setSessionId("s1")
            .setTurnId("t1")
            .setStep(1)
            .setAttempt(2)
            .setAgent("support")
            .setMessages(List.of())
            .setTools(List.of())
            .setDeadlineMs(0)
            .setRequestedAtMs(0)
            .build();

    @Test
    void aStepCarriesTheModelItsSystemItsTokensAndWhyItFinished() {
        Span pass =
                otel.getOpenTelemetry().getTracer("test").spanBuilder("pass").startSpan();
        pass.end();
        Headers headers = new RecordHeaders();
        TraceHeaders.inject(Context.root().with(pass), headers);
        AgentSpec spec = new AgentSpec(
                "support",
                "langchain4j",
                Map.of("provider", "anthropic", "model", "claude-sonnet-4-5"),
                "",
                Duration.ofSeconds(30),
                List.of());

        Span span = AgentStepSpans.start(headers, "acme/s1", INVOCATION, "support", spec);
        try (Scope ignored = span.makeCurrent()) {
            AgentStepSpans.decided(step(StepKind.TOOL_CALLS, null));
        } finally {
            span.end();
        }

        SpanData step = otel.getSpans().getLast();
        assertThat(step.getName()).isEqualTo("chat claude-sonnet-4-5");
        assertThat(step.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(step.getParentSpanId()).isEqualTo(pass.getSpanContext().getSpanId());
        assertThat(step.getTraceId()).isEqualTo(pass.getSpanContext().getTraceId());
        var attributes = step.getAttributes();
        assertThat(attributes.get(AgentStepSpans.OPERATION)).isEqualTo("chat");
        assertThat(attributes.get(AgentStepSpans.SYSTEM)).isEqualTo("anthropic");
        assertThat(attributes.get(AgentStepSpans.MODEL)).isEqualTo("claude-sonnet-4-5");
        assertThat(attributes.get(AgentStepSpans.AGENT)).isEqualTo("support");
        assertThat(attributes.get(AgentStepSpans.INPUT_TOKENS)).isEqualTo(120L);
        assertThat(attributes.get(AgentStepSpans.OUTPUT_TOKENS)).isEqualTo(30L);
        assertThat(attributes.get(AgentStepSpans.FINISH_REASONS)).containsExactly("tool_calls");
        assertThat(attributes.get(AgentStepSpans.STEP)).isEqualTo(1L);
        assertThat(attributes.get(AgentStepSpans.ATTEMPT)).isEqualTo(2L);
        assertThat(step.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    }

    @Test
    void anAgentWithoutAModelIsNamedByItsKindAndAnErrorIsTheSpansStatus() {
        Span span = AgentStepSpans.start(
                new RecordHeaders(),
                "acme/s1",
                INVOCATION,
                "demo",
                AgentSpec.of("demo", "demo", Duration.ofSeconds(5)));
        try (Scope ignored = span.makeCurrent()) {
            AgentStepSpans.decided(step(StepKind.ERROR, "the model is overloaded"));
        } finally {
            span.end();
        }

        SpanData step = otel.getSpans().getLast();
        assertThat(step.getParentSpanContext().isValid()).isFalse();
        assertThat(step.getAttributes().get(AgentStepSpans.SYSTEM)).isEqualTo("demo");
        assertThat(step.getAttributes().get(AgentStepSpans.MODEL)).isEqualTo("demo");
        assertThat(step.getAttributes().get(AgentStepSpans.FINISH_REASONS)).containsExactly("error");
        assertThat(step.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(step.getStatus().getDescription()).isEqualTo("the model is overloaded");
    }

    private static AgentStep step(StepKind kind, String error) {
        return AgentStep.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(1)
                .setAgent("support")
                .setKind(kind)
                .setToolCalls(kind == StepKind.TOOL_CALLS ? List.of(new ToolCall("c1", "calculator", "{}")) : List.of())
                .setError(error)
                .setInputTokens(120L)
                .setOutputTokens(30L)
                .setProducedAtMs(0)
                .build();
    }
}
