package dev.skein.topologies.session;

import dev.skein.events.AgentStep;
import dev.skein.events.CommandKind;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.SessionCommand;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnRequested;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SessionAddress;
import java.util.List;

/** Events of the session {@link #ADDRESS}, for the unit tests of the state machine's parts. */
final class SessionEvents {

    static final SessionAddress ADDRESS = new SessionAddress("acme", "s1");
    static final long START_MS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    /** Arguments {@code {"n": <integer>}} and nothing else. */
    static final String N_SCHEMA = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
            + "\"required\":[\"n\"],\"additionalProperties\":false}";

    private SessionEvents() {}

    static TurnRequested turn(String turnId, String message) {
        return TurnRequested.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setMessage(message)
                .setRequestedAtMs(START_MS)
                .build();
    }

    static AgentStep.Builder step(String turnId, int step, StepKind kind) {
        return AgentStep.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setStep(step)
                .setAgent("demo")
                .setKind(kind)
                .setProducedAtMs(0);
    }

    static AgentStep answer(String turnId, int step, String content) {
        return step(turnId, step, StepKind.FINAL).setContent(content).build();
    }

    static AgentStep toolCalls(String turnId, int step, ToolCall... calls) {
        return step(turnId, step, StepKind.TOOL_CALLS)
                .setToolCalls(List.of(calls))
                .build();
    }

    static AgentStep error(String turnId, int step, String error, boolean retryable) {
        return step(turnId, step, StepKind.ERROR)
                .setError(error)
                .setRetryable(retryable)
                .build();
    }

    static ToolResult result(String turnId, int step, String callId, String output) {
        return ToolResult.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setStep(step)
                .setCallId(callId)
                .setTool("calculator")
                .setStatus(ToolStatus.OK)
                .setOutput(output)
                .setWorker("worker-1")
                .setCompletedAtMs(0)
                .build();
    }

    static SessionCommand command(CommandKind kind) {
        return SessionCommand.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setCommandId("cmd")
                .setKind(kind)
                .setIssuedAtMs(0)
                .build();
    }

    static SessionCommand decision(CommandKind kind, String callId, String reason) {
        SessionCommand command = command(kind);
        command.setCallId(callId);
        command.setReason(reason);
        return command;
    }

    static ToolDefinition tool(String name, double cpus, boolean cacheable, boolean approval) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription(name)
                .setParametersSchema(N_SCHEMA)
                .setResources(ResourceSpec.newBuilder()
                        .setCpus(cpus)
                        .setMemoryBytes(1L << 28)
                        .build())
                .setRetry(RetryPolicy.newBuilder().build())
                .setCacheable(cacheable)
                .setRequiresApproval(approval)
                .build();
    }

    static WorkerHeartbeat worker(String id, String tier, double cpus, long timestampMs) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("test")
                .setTiers(List.of(tier))
                .setCapabilities(ResourceSpec.newBuilder()
                        .setCpus(cpus)
                        .setMemoryBytes(4L << 30)
                        .build())
                .setTools(List.of("calculator", "square", "deploy"))
                .setStartedAtMs(START_MS)
                .setTimestampMs(timestampMs)
                .build();
    }

    /** The OK result of {@code request}, echoing its dispatch id as a worker does. */
    static ToolResult okResult(ToolRequest request, String output) {
        ToolResult result = result(request.getTurnId(), request.getStep(), request.getCallId(), output);
        result.setStatus(ToolStatus.OK);
        result.setDispatchId(request.getDispatchId());
        return result;
    }

    /** A calculator declared free of side effects: dispatched speculatively on a by-tool tier. */
    static ToolDefinition sideEffectFreeCalculator() {
        return ToolDefinition.newBuilder()
                .setName("calculator")
                .setDescription("arithmetic")
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .setSideEffects(false)
                .build();
    }
}
