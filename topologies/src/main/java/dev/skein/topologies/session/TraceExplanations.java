package dev.skein.topologies.session;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.SessionCommand;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TraceEntry;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnTrace;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The words and fields of each kind of {@link TraceEntry}: what the event was and what the
 * session topology decided on it. Kinds, outcomes and detail keys are part of the trace's JSON
 * (docs/api.md, "Decision trace"): add, never rename.
 */
final class TraceExplanations {

    static final String TURN_REQUESTED = "turn-requested";
    static final String AGENT_INVOKED = "agent-invoked";
    static final String AGENT_STEP = "agent-step";
    static final String TOOL_CALL = "tool-call";
    static final String TOOL_REQUESTED = "tool-requested";
    static final String TOOL_RESULT = "tool-result";
    static final String SESSION_COMMAND = "session-command";
    static final String TURN_COMPLETED = "turn-completed";
    static final String TURN_QUEUED = "turn-queued";
    static final String TRUNCATED = "truncated";

    private TraceExplanations() {}

    static void turnRequested(TraceEntry.Builder entry, TurnRequested turn) {
        entry.setKind(TURN_REQUESTED)
                .setAgent(turn.getAgent())
                .setProducedAtMs(turn.getRequestedAtMs())
                .setDecision("turn requested" + (turn.getAgent() == null ? "" : " of agent '" + turn.getAgent() + "'"));
        entry.getDetail().put("message", abbreviate(turn.getMessage()));
        if (turn.getDoubleTexting() != null) {
            entry.getDetail().put("doubleTexting", turn.getDoubleTexting().name());
        }
    }

    static TraceEntry.Builder invoked(TraceEntry.Builder entry, AgentInvocation invocation) {
        entry.setKind(AGENT_INVOKED)
                .setAgent(invocation.getAgent())
                .setStep(invocation.getStep())
                .setAttempt(invocation.getAttempt())
                .setDecision("asked agent '" + invocation.getAgent() + "' for step " + invocation.getStep()
                        + (invocation.getAttempt() > 1 ? " again (attempt " + invocation.getAttempt() + ")" : "")
                        + " with " + invocation.getMessages().size() + " messages and "
                        + invocation.getTools().size() + " tools");
        if (invocation.getMemoryRecall() != null) {
            entry.getDetail()
                    .put(
                            "memoryTokens",
                            String.valueOf(invocation.getMemoryRecall().getTokens()));
        }
        return entry;
    }

    static void agentStep(TraceEntry.Builder entry, AgentStep step) {
        entry.setKind(AGENT_STEP)
                .setAgent(step.getAgent())
                .setStep(step.getStep())
                .setStepKind(step.getKind().name())
                .setProducedAtMs(step.getProducedAtMs())
                .setStartedAtMs(step.getReceivedAtMs())
                .setInputTokens(step.getInputTokens())
                .setOutputTokens(step.getOutputTokens())
                .setError(step.getError());
        String agent = "agent '" + step.getAgent() + "' ";
        entry.setDecision(
                switch (step.getKind()) {
                    case FINAL -> agent + "answered";
                    case TOOL_CALLS ->
                        agent + "asked for " + step.getToolCalls().size() + " tool call(s): "
                                + step.getToolCalls().stream()
                                        .map(c -> c.getName() + " (" + c.getCallId() + ")")
                                        .collect(Collectors.joining(", "));
                    case ERROR ->
                        agent + "failed" + (step.getRetryable() ? " (retryable)" : "") + ": " + step.getError();
                    case HANDOFF -> agent + "handed the turn to '" + step.getHandoffTo() + "'";
                });
        echoOf(entry, step.getRequestPartition(), step.getRequestOffset());
        // Which long-term memories the runner put in the step's context, or why it could not.
        if (step.getInjectedMemoryIds() != null) {
            entry.getDetail().put("memories", String.join(",", step.getInjectedMemoryIds()));
        }
        if (step.getMemoryRecallProblem() != null) {
            entry.getDetail().put("memoryProblem", step.getMemoryRecallProblem());
        }
        if (!step.getToolCalls().isEmpty()) {
            entry.getDetail()
                    .put(
                            "toolCalls",
                            step.getToolCalls().stream()
                                    .map(ToolCall::getCallId)
                                    .collect(Collectors.joining(",")));
        }
    }

    static TraceEntry.Builder requested(TraceEntry.Builder entry, String topic, ToolRequest request) {
        return entry.setKind(TOOL_REQUESTED)
                .setTopic(topic)
                .setStep(request.getStep())
                .setCallId(request.getCallId())
                .setTool(request.getTool())
                .setTier(request.getTier())
                .setOutcome("dispatched")
                .setDecision("sent call " + request.getCallId() + " of " + request.getTool() + " to tier "
                        + request.getTier() + ", the smallest with a live worker that fits it");
    }

    static void toolResult(TraceEntry.Builder entry, ToolResult result) {
        entry.setKind(TOOL_RESULT)
                .setStep(result.getStep())
                .setCallId(result.getCallId())
                .setTool(result.getTool())
                .setWorker(result.getWorker())
                .setAttempts(result.getAttempts())
                .setDeliveryCount(result.getDeliveryCount())
                .setStatus(result.getStatus().name())
                .setError(result.getStatus() == ToolStatus.OK ? null : abbreviate(result.getOutput()))
                .setDurationMs(result.getDurationMs())
                .setStartedAtMs(result.getStartedAtMs())
                .setProducedAtMs(result.getCompletedAtMs());
        int retries = Math.max(0, result.getAttempts() - 1);
        entry.setDecision("worker " + result.getWorker() + " returned " + result.getStatus() + " for "
                + result.getTool() + " (" + result.getCallId() + ") after " + result.getAttempts() + " attempt(s)"
                + (retries > 0 ? ", " + retries + " retried by the worker's retry policy" : "")
                + (result.getDeliveryCount() > 1 ? ", delivered " + result.getDeliveryCount() + " times" : ""));
        echoOf(entry, result.getRequestPartition(), result.getRequestOffset());
    }

    static void command(TraceEntry.Builder entry, SessionCommand command) {
        entry.setKind(SESSION_COMMAND)
                .setCallId(command.getCallId())
                .setOutcome(command.getKind().name())
                .setProducedAtMs(command.getIssuedAtMs())
                .setDecision(command.getKind().name().toLowerCase().replace('_', ' ')
                        + (command.getCallId() == null ? "" : " " + command.getCallId())
                        + (command.getReason() == null ? "" : ": " + command.getReason()));
    }

    static TraceEntry.Builder completed(TraceEntry.Builder entry, String topic, TurnCompleted completed) {
        return entry.setKind(TURN_COMPLETED)
                .setTopic(topic)
                .setAgent(completed.getAgent())
                .setStatus(completed.getStatus().name())
                .setError(completed.getError())
                .setDecision("turn " + completed.getStatus() + " after " + completed.getSteps() + " step(s) and "
                        + completed.getToolCalls() + " tool call(s)"
                        + (completed.getError() == null ? "" : ": " + completed.getError()));
    }

    /** A decision on one call of a step that no request record shows (cached, refused, held, approved, denied). */
    static TraceEntry.Builder call(String outcome, int step, String callId, String tool, String reason) {
        TraceEntry.Builder entry = TraceEntry.newBuilder()
                .setKind(TOOL_CALL)
                .setStep(step)
                .setCallId(callId)
                .setTool(tool)
                .setOutcome(outcome)
                .setTimeMs(0)
                .setDecision(reason)
                .setDetail(new java.util.LinkedHashMap<>());
        return entry;
    }

    /** The last entry of a trace that has reached its size limit. */
    static TraceEntry.Builder truncated(int limit) {
        return call(
                        "truncated",
                        0,
                        null,
                        null,
                        "the trace keeps its first " + limit + " entries; later ones are left out")
                .setKind(TRUNCATED)
                .setStep(null);
    }

    /** A turn that waits behind the active one of its session. */
    static TraceEntry.Builder queued(String why) {
        return call("queued", 0, null, null, why).setKind(TURN_QUEUED).setStep(null);
    }

    /**
     * An answer that echoes where its request was in the log fills that offset into the request's
     * entry (the latest of its kind for the same step or call that has none yet), marked exact.
     */
    static void fillEchoedOffset(TraceEntry.Builder answer, List<TraceEntry> earlier) {
        String partition = answer.getDetail().get("requestPartition");
        String offset = answer.getDetail().get("requestOffset");
        if (partition == null || offset == null) {
            return;
        }
        for (int i = earlier.size() - 1; i >= 0; i--) {
            TraceEntry request = earlier.get(i);
            boolean answers = (AGENT_STEP.equals(answer.getKind())
                            && AGENT_INVOKED.equals(request.getKind())
                            && answer.getStep().equals(request.getStep()))
                    || (TOOL_RESULT.equals(answer.getKind())
                            && TOOL_REQUESTED.equals(request.getKind())
                            && answer.getCallId().equals(request.getCallId()));
            if (answers && !request.getOffsetExact()) {
                request.setPartition(Integer.parseInt(partition));
                request.setOffset(Long.parseLong(offset));
                request.setOffsetExact(true);
                return;
            }
        }
    }

    /** The trace's own fields, from the entry it is about to take. */
    static void summarize(TurnTrace trace, TraceEntry.Builder entry) {
        switch (entry.getKind()) {
            case TURN_REQUESTED -> {
                if (trace.getRequestedAtMs() == null) {
                    trace.setRequestedAtMs(entry.getProducedAtMs());
                }
            }
            case AGENT_INVOKED -> trace.setAgent(entry.getAgent());
            case TURN_COMPLETED -> {
                trace.setStatus(entry.getStatus());
                trace.setCompletedAtMs(entry.getTimeMs());
                if (entry.getAgent() != null) {
                    trace.setAgent(entry.getAgent());
                }
            }
            default -> {}
        }
    }

    private static void echoOf(TraceEntry.Builder entry, Integer partition, Long offset) {
        if (partition != null && offset != null) {
            entry.getDetail().put("requestPartition", partition.toString());
            entry.getDetail().put("requestOffset", offset.toString());
        }
    }

    private static String abbreviate(String text) {
        return text == null || text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
