package dev.skein.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentStepsTest {

    @Test
    void assignsIdsToCallsWithoutOne() {
        List<ToolCall> calls = AgentSteps.assignCallIds(
                "t7",
                2,
                List.of(new AgentReply.Call(null, "calculator", "{}"), new AgentReply.Call(" ", "count_primes", "{}")));

        assertThat(calls).extracting(ToolCall::getCallId).containsExactly("call_t7_2_0", "call_t7_2_1");
    }

    @Test
    void keepsTheModelsIdsAndReplacesRepeatedOnes() {
        List<ToolCall> calls = AgentSteps.assignCallIds(
                "t7",
                0,
                List.of(
                        new AgentReply.Call("call_abc", "calculator", "{}"),
                        new AgentReply.Call("call_abc", "calculator", "{}"),
                        new AgentReply.Call(null, "calculator", "{}")));

        assertThat(calls).extracting(ToolCall::getCallId).containsExactly("call_abc", "call_t7_0_1", "call_t7_0_2");
    }

    @Test
    void turnsEachReplyIntoItsStep() {
        AgentInvocation invocation = AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(3)
                .setAgent("")
                .setMessages(List.of())
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();

        AgentStep answer = AgentSteps.from(invocation, "demo", new AgentReply.Answer("hi"), 42);
        AgentStep calls = AgentSteps.from(
                invocation,
                "demo",
                new AgentReply.ToolCalls(
                        "thinking", List.of(new AgentReply.Call(null, "calculator", "{\"expression\":\"1+1\"}"))),
                42);
        AgentStep failure = AgentSteps.from(invocation, "demo", new AgentReply.Failure("rate limited", true), 42);

        assertThat(answer.getKind()).isEqualTo(StepKind.FINAL);
        assertThat(answer.getContent()).isEqualTo("hi");
        assertThat(answer.getStep()).isEqualTo(3);
        assertThat(answer.getAgent()).isEqualTo("demo");
        assertThat(calls.getKind()).isEqualTo(StepKind.TOOL_CALLS);
        assertThat(calls.getToolCalls())
                .containsExactly(new ToolCall("call_t1_3_0", "calculator", "{\"expression\":\"1+1\"}"));
        assertThat(failure.getKind()).isEqualTo(StepKind.ERROR);
        assertThat(failure.getError()).isEqualTo("rate limited");
        assertThat(failure.getRetryable()).isTrue();
        assertThat(answer.getContinuation()).isNull();
        assertThat(answer.getAwaitingInput()).isFalse();
    }

    @Test
    void anAnswerThatAsksForInputKeepsItsContinuationOnTheStep() {
        AgentInvocation invocation = AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setAgent("travel")
                .setMessages(List.of())
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();

        AgentStep step =
                AgentSteps.from(invocation, "travel", AgentReply.Answer.awaitingInput("Which Friday?", "task-7"), 42);

        assertThat(step.getKind()).isEqualTo(StepKind.FINAL);
        assertThat(step.getContent()).isEqualTo("Which Friday?");
        assertThat(step.getContinuation()).isEqualTo("task-7");
        assertThat(step.getAwaitingInput()).isTrue();
    }
}
