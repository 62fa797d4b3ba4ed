package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.ADDRESS;
import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.error;
import static dev.skein.topologies.session.SessionEvents.step;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionStatus;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link AgentSteps}: what an agent's step does to the active turn. */
class AgentStepsTest {

    private final SessionFixture fixture = new SessionFixture(
            TestSessionConfig.builder().maxAgentAttempts(2).maxSteps(2).build());

    @BeforeEach
    void startATurn() {
        fixture.turns.request(ADDRESS, turn("t1", "hello"));
        fixture.output.clear();
    }

    @Test
    void aFinalAnswerIsRecordedAndCompletesTheTurn() {
        fixture.steps.onStep(ADDRESS, answer("t1", 0, "hi there"));

        TurnCompleted completed = fixture.output.lastCompletion();
        assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(completed.getAnswer()).isEqualTo("hi there");
        assertThat(fixture.history())
                .extracting(ChatMessage::getRole, ChatMessage::getContent)
                .containsExactly(tuple(Role.USER, "hello"), tuple(Role.ASSISTANT, "hi there"));
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.IDLE);
    }

    @Test
    void anAnswerThatAsksForInputKeepsItsContinuationInTheHistoryAndSaysSoInTheCompletion() {
        fixture.steps.onStep(
                ADDRESS,
                step("t1", 0, StepKind.FINAL)
                        .setContent("Which Friday?")
                        .setContinuation("task-7")
                        .setAwaitingInput(true)
                        .build());

        TurnCompleted completed = fixture.output.lastCompletion();
        assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(completed.getAnswer()).isEqualTo("Which Friday?");
        assertThat(completed.getAwaitingInput()).isTrue();
        ChatMessage question = fixture.history().getLast();
        assertThat(question.getRole()).isEqualTo(Role.ASSISTANT);
        assertThat(question.getContinuation()).isEqualTo("task-7");
        assertThat(question.getAwaitingInput()).isTrue();
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.IDLE);

        // The reply is the next turn; its invocation carries the question with its continuation.
        fixture.turns.request(ADDRESS, turn("t2", "the 12th, by train"));

        List<ChatMessage> window = fixture.output.lastInvocation().getMessages();
        assertThat(window)
                .extracting(ChatMessage::getRole, ChatMessage::getContinuation, ChatMessage::getAwaitingInput)
                .containsExactly(
                        tuple(Role.USER, null, false),
                        tuple(Role.ASSISTANT, "task-7", true),
                        tuple(Role.USER, null, false));
    }

    @Test
    void aPlainAnswerNeitherWaitsForInputNorCarriesAContinuation() {
        fixture.steps.onStep(ADDRESS, answer("t1", 0, "hi there"));

        assertThat(fixture.output.lastCompletion().getAwaitingInput()).isFalse();
        assertThat(fixture.history().getLast().getContinuation()).isNull();
        assertThat(fixture.history().getLast().getAwaitingInput()).isFalse();
    }

    @Test
    void aFinalStepWithoutContentAnswersWithTheEmptyString() {
        fixture.steps.onStep(ADDRESS, step("t1", 0, StepKind.FINAL).build());

        assertThat(fixture.output.lastCompletion().getAnswer()).isEmpty();
    }

    @Test
    void aStepForAnotherTurnOrStepIsDroppedAndCounted() {
        fixture.steps.onStep(ADDRESS, answer("t0", 0, "old turn"));
        fixture.steps.onStep(ADDRESS, answer("t1", 1, "future step"));

        assertThat(fixture.output.completions).isEmpty();
        assertThat(fixture.meta().getEventsDropped()).isEqualTo(2);
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.AWAITING_AGENT);
    }

    @Test
    void aStepForASessionThatDoesNotExistChangesNothing() {
        fixture.steps.onStep(new SessionAddress("acme", "s2"), answer("t1", 0, "hi"));

        assertThat(fixture.metas.get("acme/s2")).isNull();
        assertThat(fixture.output.completions).isEmpty();
    }

    @Test
    void aRetryableErrorInvokesTheAgentAgainUntilTheAttemptsAreUsedUp() {
        fixture.steps.onStep(ADDRESS, error("t1", 0, "rate limited", true));

        assertThat(fixture.output.invocations)
                .extracting(AgentInvocation::getAttempt)
                .containsExactly(2);

        fixture.steps.onStep(ADDRESS, error("t1", 0, "rate limited", true));

        assertThat(fixture.output.invocations).hasSize(1);
        assertThat(fixture.output.lastCompletion().getError())
                .isEqualTo("agent 'demo' failed: rate limited (gave up after 2 attempts)");
        assertThat(fixture.meta().getTurnsFailed()).isEqualTo(1);
    }

    @Test
    void anErrorThatIsNotRetryableFailsTheTurnAtOnce() {
        fixture.steps.onStep(ADDRESS, error("t1", 0, "invalid api key", false));

        assertThat(fixture.output.invocations).isEmpty();
        assertThat(fixture.output.lastCompletion().getError()).isEqualTo("agent 'demo' failed: invalid api key");
    }

    @Test
    void askingForToolCallsWithoutNamingOneFailsTheTurn() {
        fixture.steps.onStep(ADDRESS, toolCalls("t1", 0));

        assertThat(fixture.output.lastCompletion().getError())
                .isEqualTo("agent 'demo' asked for tool calls but named none");
    }

    @Test
    void toolCallsAreHandedToToolCalls() {
        fixture.addTool(SessionEvents.tool("square", 0.5, false, true));

        fixture.steps.onStep(ADDRESS, toolCalls("t1", 0, new ToolCall("a", "square", "{\"n\":3}")));

        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.AWAITING_TOOLS);
        assertThat(fixture.meta().getActiveTurn().getPendingCalls())
                .singleElement()
                .satisfies(call -> assertThat(call.getAwaitingApproval()).isTrue());
    }

    @Test
    void aHandoffRecordsTheTransferAndTheSameTurnGoesOnWithTheNewAgent() {
        fixture.steps.onStep(ADDRESS, handoff("t1", 0, "refunds"));

        AgentInvocation next = fixture.output.lastInvocation();
        assertThat(next.getAgent()).isEqualTo("refunds");
        assertThat(next.getStep()).isEqualTo(1);
        assertThat(next.getAttempt()).isEqualTo(1);
        assertThat(fixture.meta().getActiveAgent()).isEqualTo("refunds");
        List<ChatMessage> history = fixture.history();
        assertThat(history).extracting(ChatMessage::getRole).containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL);
        assertThat(history.get(1).getToolCalls())
                .extracting(ToolCall::getCallId)
                .containsExactly("h1");
        assertThat(history.get(2).getToolCallId()).isEqualTo("h1");
        assertThat(history.get(2).getContent())
                .isEqualTo("Transferred to agent 'refunds'; it continues the conversation.");

        fixture.steps.onStep(ADDRESS, answer("t1", 1, "Refund issued."));
        fixture.turns.request(ADDRESS, turn("t2", "another"));

        assertThat(fixture.output.lastInvocation().getAgent()).isEqualTo("refunds");
    }

    @Test
    void aHandoffWithoutExactlyOneTargetFailsTheTurn() {
        fixture.steps.onStep(
                ADDRESS,
                step("t1", 0, StepKind.HANDOFF)
                        .setToolCalls(List.of(new ToolCall("h1", "transfer_to_refunds", "{}")))
                        .build());

        assertThat(fixture.output.lastCompletion().getError())
                .isEqualTo("agent 'demo' asked for a handoff without naming exactly one agent to hand to");
    }

    @Test
    void aHandoffOnTheLastStepFailsTheTurnButTheSessionKeepsTheNewAgent() {
        fixture.steps.onStep(ADDRESS, handoff("t1", 0, "refunds"));
        fixture.steps.onStep(ADDRESS, handoff("t1", 1, "billing"));

        assertThat(fixture.output.lastCompletion().getError())
                .isEqualTo("agents did not give an answer within 2 steps (the last, 'refunds', handed off to"
                        + " 'billing')");
        assertThat(fixture.meta().getActiveAgent()).isEqualTo("billing");
    }

    @Test
    void aHandoffOnTheLastStepPassesTheNewAgentToTheNextQueuedTurn() {
        fixture.turns.request(ADDRESS, turn("t2", "queued"));
        fixture.steps.onStep(ADDRESS, handoff("t1", 0, "refunds"));
        fixture.output.clear();

        fixture.steps.onStep(ADDRESS, handoff("t1", 1, "billing"));

        assertThat(fixture.output.completions)
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus)
                .containsExactly(tuple("t1", TurnStatus.FAILED));
        AgentInvocation next = fixture.output.lastInvocation();
        assertThat(next.getTurnId()).isEqualTo("t2");
        assertThat(next.getStep()).isZero();
        assertThat(next.getAgent()).isEqualTo("billing");
        assertThat(fixture.meta().getActiveTurn().getAgent()).isEqualTo("billing");
        assertThat(fixture.meta().getActiveAgent()).isEqualTo("billing");
    }

    private static AgentStep handoff(String turnId, int step, String target) {
        return step(turnId, step, StepKind.HANDOFF)
                .setHandoffTo(target)
                .setToolCalls(List.of(new ToolCall("h" + (step + 1), "transfer_to_" + target, "{}")))
                .build();
    }
}
