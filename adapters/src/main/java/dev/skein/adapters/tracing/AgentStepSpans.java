package dev.skein.adapters.tracing;

import dev.skein.adapters.AgentSpec;
import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import java.util.List;
import org.apache.kafka.common.header.Headers;

/**
 * The span of one agent step in the runner, with OpenTelemetry's GenAI semantic-convention
 * attributes: a child of the context the agent request carries (the topology pass that asked), and
 * current while the step is decided and written, so that the step and its deltas carry it.
 */
public final class AgentStepSpans {

    public static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    public static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");
    public static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    public static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
    public static final AttributeKey<String> AGENT = AttributeKey.stringKey("gen_ai.agent.name");
    public static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    public static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    public static final AttributeKey<List<String>> FINISH_REASONS =
            AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    public static final AttributeKey<Long> STEP = AttributeKey.longKey("skein.step");
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("skein.attempt");
    public static final AttributeKey<String> TURN = AttributeKey.stringKey("skein.turn_id");
    public static final AttributeKey<String> SESSION = AttributeKey.stringKey("skein.session");
    public static final AttributeKey<String> STEP_KIND = AttributeKey.stringKey("skein.step.kind");
    /** The long-term memories added to the step's context, nearest first (docs/memory.md). */
    public static final AttributeKey<List<String>> MEMORIES = AttributeKey.stringArrayKey("skein.memory.injected_ids");
    /** Why memories were asked for and none could be recalled: the step ran without them. */
    public static final AttributeKey<String> MEMORY_PROBLEM = AttributeKey.stringKey("skein.memory.problem");

    private AgentStepSpans() {}

    /**
     * Starts the step's span. The system is the agent's {@code provider} option (LangChain4j) or
     * its kind ({@code openai}, {@code a2a}, {@code demo}...); the model its {@code model} option,
     * else the agent's name (an A2A or LangGraph agent names no model).
     */
    public static Span start(
            Headers headers, String address, AgentInvocation invocation, String agent, AgentSpec spec) {
        String system = spec == null ? agent : spec.option("provider").orElse(spec.kind());
        String model = spec == null ? agent : spec.option("model").orElse(agent);
        return TraceHeaders.tracer()
                .spanBuilder("chat " + model)
                .setSpanKind(SpanKind.CLIENT)
                .setParent(TraceHeaders.extract(headers))
                .setAttribute(OPERATION, "chat")
                .setAttribute(SYSTEM, system)
                .setAttribute(PROVIDER, system)
                .setAttribute(MODEL, model)
                .setAttribute(AGENT, agent)
                .setAttribute(SESSION, address)
                .setAttribute(TURN, invocation.getTurnId())
                .setAttribute(STEP, (long) invocation.getStep())
                .setAttribute(ATTEMPT, (long) invocation.getAttempt())
                .startSpan();
    }

    /** What the agent decided, on the current step span: tokens, finish reason, an error's status. */
    public static void decided(AgentStep step) {
        Span span = Span.current();
        if (!span.isRecording()) {
            return;
        }
        span.setAttribute(STEP_KIND, step.getKind().name());
        span.setAttribute(FINISH_REASONS, List.of(finishReason(step)));
        if (step.getInputTokens() != null) {
            span.setAttribute(INPUT_TOKENS, step.getInputTokens());
        }
        if (step.getOutputTokens() != null) {
            span.setAttribute(OUTPUT_TOKENS, step.getOutputTokens());
        }
        if (step.getInjectedMemoryIds() != null) {
            span.setAttribute(MEMORIES, List.copyOf(step.getInjectedMemoryIds()));
        }
        if (step.getMemoryRecallProblem() != null) {
            span.setAttribute(MEMORY_PROBLEM, step.getMemoryRecallProblem());
        }
        if (step.getError() != null) {
            span.setStatus(StatusCode.ERROR, step.getError());
        }
    }

    // The OpenAI vocabulary the convention's examples use: a final answer stops, calls (and a handoff,
    // which is one call) ask for tools.
    private static String finishReason(AgentStep step) {
        return switch (step.getKind()) {
            case FINAL -> "stop";
            case TOOL_CALLS, HANDOFF -> "tool_calls";
            case ERROR -> "error";
        };
    }
}
