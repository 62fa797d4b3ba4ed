package dev.skein.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.StepKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentRunnerTimeoutTest {

    private static final AgentInvocation INVOCATION = AgentInvocation.newBuilder()
            .setTenant("acme")
            .setSessionId("s-1")
            .setTurnId("t-1")
            .setStep(0)
            .setAttempt(1)
            .setAgent("crew")
            .setMessages(List.of())
            .setTools(List.of())
            .setDeadlineMs(0)
            .setRequestedAtMs(0)
            .build();

    @Test
    void aModelThatDidNotAnswerMayBeAskedAgain() {
        AgentStep step = AgentRunner.unanswered(INVOCATION, "crew", adapter(true), 25_000, 0);

        assertThat(step.getKind()).isEqualTo(StepKind.ERROR);
        assertThat(step.getError()).isEqualTo("agent 'crew' did not answer within 25 s");
        assertThat(step.getRetryable()).isTrue();
    }

    @Test
    void anAgentThatMayHaveActedIsNotAskedAgainAndTheErrorNamesTheTimeout() {
        AgentStep step = AgentRunner.unanswered(INVOCATION, "crew", adapter(false), 2_500, 0);

        assertThat(step.getError()).isEqualTo("agent 'crew' did not answer within 2500 ms");
        assertThat(step.getRetryable()).isFalse();
    }

    @Test
    void aDeadlinePassedAfterFailedAttemptsDoesNotHideThem() {
        assertThat(AgentRunner.deadlinePassed("crew", 1))
                .isEqualTo("the turn's deadline passed before agent 'crew' could run");
        assertThat(AgentRunner.deadlinePassed("crew", 3))
                .isEqualTo(
                        "the turn's deadline passed before attempt 3 of agent 'crew' could run; the 2 attempts before"
                                + " failed with errors that may pass (see the agent runner's log)");
    }

    private static AgentAdapter adapter(boolean mayRepeatUnanswered) {
        return new AgentAdapter() {
            @Override
            public String name() {
                return "crew";
            }

            @Override
            public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) {
                throw new UnsupportedOperationException("not asked in this test");
            }

            @Override
            public boolean mayRepeatUnanswered() {
                return mayRepeatUnanswered;
            }
        };
    }
}
