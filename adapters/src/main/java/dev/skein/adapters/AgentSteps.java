package dev.skein.adapters;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Turns an adapter's {@link AgentReply} into the {@link AgentStep} event the session topology reads. */
public final class AgentSteps {

    private AgentSteps() {}

    /** The step for {@code reply}, answering {@code invocation} on behalf of {@code agent}. */
    public static AgentStep from(AgentInvocation invocation, String agent, AgentReply reply, long nowMs) {
        AgentStep.Builder step = base(invocation, agent, nowMs)
                .setInputTokens(reply.usage().inputTokens())
                .setOutputTokens(reply.usage().outputTokens());
        return switch (reply) {
            case AgentReply.Answer answer ->
                step.setKind(StepKind.FINAL)
                        .setContent(answer.content())
                        .setContinuation(answer.continuation())
                        .setAwaitingInput(answer.awaitingInput())
                        .build();
            case AgentReply.ToolCalls calls ->
                step.setKind(StepKind.TOOL_CALLS)
                        .setContent(calls.content())
                        .setToolCalls(assignCallIds(invocation.getTurnId(), invocation.getStep(), calls.calls()))
                        .build();
            case AgentReply.Handoff handoff ->
                step.setKind(StepKind.HANDOFF)
                        .setContent(handoff.content())
                        .setHandoffTo(handoff.agent())
                        .setToolCalls(assignCallIds(
                                invocation.getTurnId(),
                                invocation.getStep(),
                                List.of(new AgentReply.Call(
                                        handoff.callId(), Handoffs.toolName(handoff.agent()), "{}"))))
                        .build();
            case AgentReply.Failure failure ->
                step.setKind(StepKind.ERROR)
                        .setError(failure.message())
                        .setRetryable(failure.retryable())
                        .build();
        };
    }

    /** An error step: the session fails the turn, or asks again when {@code retryable}. */
    public static AgentStep error(
            AgentInvocation invocation, String agent, String message, boolean retryable, long nowMs) {
        return base(invocation, agent, nowMs)
                .setKind(StepKind.ERROR)
                .setError(message)
                .setRetryable(retryable)
                .build();
    }

    /**
     * The calls with their ids: an id the model gave is kept; a missing one, or one that repeats an
     * earlier id of the same reply, becomes {@code call_<turnId>_<step>_<index>}. Turn ids are
     * unique within a session and steps within a turn, so assigned ids are unique in the session.
     */
    public static List<ToolCall> assignCallIds(String turnId, int step, List<AgentReply.Call> calls) {
        List<ToolCall> assigned = new ArrayList<>(calls.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < calls.size(); i++) {
            AgentReply.Call call = calls.get(i);
            String id = call.callId();
            if (id == null || id.isBlank() || !seen.add(id)) {
                id = "call_" + turnId + "_" + step + "_" + i;
                seen.add(id);
            }
            assigned.add(new ToolCall(id, call.name(), call.argumentsJson()));
        }
        return assigned;
    }

    private static AgentStep.Builder base(AgentInvocation invocation, String agent, long nowMs) {
        return AgentStep.newBuilder()
                .setTenant(invocation.getTenant())
                .setSessionId(invocation.getSessionId())
                .setTurnId(invocation.getTurnId())
                .setStep(invocation.getStep())
                .setAgent(agent)
                .setToolCalls(List.of())
                .setProducedAtMs(nowMs);
    }
}
