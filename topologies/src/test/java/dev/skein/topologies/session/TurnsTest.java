package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.ADDRESS;
import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.PendingCall;
import dev.skein.events.Role;
import dev.skein.events.SessionStatus;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnOutcome;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Turns}: starting, queueing, rejecting and finishing turns. */
class TurnsTest {

    private final SessionFixture fixture = new SessionFixture(TestSessionConfig.builder()
            .turnTimeout(Duration.ofSeconds(30))
            .maxQueuedTurns(1)
            .maxSteps(2)
            .build());

    @Test
    void aTurnForAnIdleSessionStartsAndInvokesTheDefaultAgentWithTheUsersMessage() {
        fixture.turns.request(ADDRESS, turn("t1", "hello"));

        AgentInvocation invocation = fixture.output.lastInvocation();
        assertThat(invocation.getTurnId()).isEqualTo("t1");
        assertThat(invocation.getAgent()).isEqualTo("demo");
        assertThat(invocation.getStep()).isZero();
        assertThat(invocation.getAttempt()).isEqualTo(1);
        assertThat(invocation.getDeadlineMs()).isEqualTo(START_MS + 30_000);
        assertThat(invocation.getMessages()).extracting(ChatMessage::getContent).containsExactly("hello");
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.AWAITING_AGENT);
        assertThat(fixture.deadlineEntries())
                .extracting(kv -> kv.key)
                .containsExactly(SessionStores.deadlineKey(START_MS + 30_000, "acme/s1"));
    }

    @Test
    void aTurnMayNameItsAgentAndItsOwnTimeout() {
        TurnRequested turn = turn("t1", "hello");
        turn.setAgent("refunds");
        turn.setTimeoutMs(1_000L);

        fixture.turns.request(ADDRESS, turn);

        assertThat(fixture.output.lastInvocation().getAgent()).isEqualTo("refunds");
        assertThat(fixture.output.lastInvocation().getDeadlineMs()).isEqualTo(START_MS + 1_000);
    }

    @Test
    void anAgentNamedOnATurnBecomesTheSessionsAgentForLaterTurnsThatNameNone() {
        for (int i = 1; i <= 5; i++) {
            TurnRequested named = turn("t" + i, "hello " + i);
            named.setAgent("refunds");
            fixture.turns.request(ADDRESS, named);
            fixture.steps.onStep(ADDRESS, SessionEvents.answer("t" + i, 0, "hi " + i));
        }

        fixture.turns.request(ADDRESS, turn("t6", "and now?"));

        assertThat(fixture.output.lastInvocation().getAgent()).isEqualTo("refunds");
        assertThat(fixture.meta().getActiveAgent()).isEqualTo("refunds");
    }

    @Test
    void aQueuedTurnThatNamesNoAgentGoesToTheAgentTheTurnBeforeItNamed() {
        TurnRequested named = turn("t1", "first");
        named.setAgent("refunds");
        fixture.turns.request(ADDRESS, named);
        fixture.turns.request(ADDRESS, turn("t2", "second"));

        fixture.steps.onStep(ADDRESS, SessionEvents.answer("t1", 0, "one"));

        assertThat(fixture.output.lastInvocation().getTurnId()).isEqualTo("t2");
        assertThat(fixture.output.lastInvocation().getAgent()).isEqualTo("refunds");
    }

    @Test
    void aTurnThatNamesAnotherAgentSwitchesTheSessionToIt() {
        TurnRequested first = turn("t1", "first");
        first.setAgent("refunds");
        fixture.turns.request(ADDRESS, first);
        fixture.steps.onStep(ADDRESS, SessionEvents.answer("t1", 0, "one"));
        TurnRequested second = turn("t2", "second");
        second.setAgent("billing");
        fixture.turns.request(ADDRESS, second);
        fixture.steps.onStep(ADDRESS, SessionEvents.answer("t2", 0, "two"));

        fixture.turns.request(ADDRESS, turn("t3", "third"));

        assertThat(fixture.output.invocations)
                .extracting(AgentInvocation::getAgent)
                .containsExactly("refunds", "billing", "billing");
    }

    @Test
    void aTurnWaitsWhileTheSessionIsBusyAndIsRejectedWhenTheQueueIsFull() {
        fixture.turns.request(ADDRESS, turn("t1", "first"));
        fixture.turns.request(ADDRESS, turn("t2", "second"));
        fixture.turns.request(ADDRESS, turn("t3", "third"));

        assertThat(fixture.output.invocations)
                .extracting(AgentInvocation::getTurnId)
                .containsExactly("t1");
        assertThat(fixture.meta().getQueuedTurns())
                .extracting(TurnRequested::getTurnId)
                .containsExactly("t2");
        TurnCompleted rejected = fixture.output.lastCompletion();
        assertThat(rejected.getTurnId()).isEqualTo("t3");
        assertThat(rejected.getStatus()).isEqualTo(TurnStatus.REJECTED);
        assertThat(rejected.getError())
                .isEqualTo("session acme/s1 is busy and already has 1 queued turns (limit 1); send the turn"
                        + " again when the current ones have completed");
        assertThat(rejected.getSteps()).isZero();
        assertThat(fixture.meta().getRecentTurnIds()).containsExactly("t3");
    }

    @Test
    void aTurnIdSeenBeforeIsDroppedAndCounted() {
        fixture.turns.request(ADDRESS, turn("t1", "hello"));
        fixture.output.clear();

        fixture.turns.request(ADDRESS, turn("t1", "hello again"));

        assertThat(fixture.output.invocations).isEmpty();
        assertThat(fixture.output.completions).isEmpty();
        assertThat(fixture.meta().getEventsDropped()).isEqualTo(1);
        assertThat(fixture.history()).hasSize(1);
    }

    @Test
    void finishingATurnReportsItCountsItAndStartsTheNextQueuedTurn() {
        fixture.turns.request(ADDRESS, turn("t1", "first"));
        fixture.turns.request(ADDRESS, turn("t2", "second"));
        fixture.nowMs = START_MS + 100;
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();

        fixture.turns.finish(session, TurnStatus.COMPLETED, "done", null);
        session.save();

        TurnCompleted completed = fixture.output.lastCompletion();
        assertThat(completed.getTurnId()).isEqualTo("t1");
        assertThat(completed.getAnswer()).isEqualTo("done");
        assertThat(completed.getSteps()).isEqualTo(1);
        assertThat(completed.getCompletedAtMs()).isEqualTo(START_MS + 100);
        assertThat(fixture.meta().getTurnsCompleted()).isEqualTo(1);
        assertThat(fixture.meta().getRecentTurnIds()).containsExactly("t1");
        assertThat(fixture.meta().getActiveTurn().getTurnId()).isEqualTo("t2");
        assertThat(fixture.output.lastInvocation().getTurnId()).isEqualTo("t2");
        // t1's deadline left the index, t2's joined it
        assertThat(fixture.deadlineEntries())
                .extracting(kv -> kv.key)
                .containsExactly(SessionStores.deadlineKey(START_MS + 100 + 30_000, "acme/s1"));
    }

    @Test
    void finishingWithoutStartingNextLeavesTheQueueAndTheSessionIdle() {
        fixture.turns.request(ADDRESS, turn("t1", "first"));
        fixture.turns.request(ADDRESS, turn("t2", "second"));
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();

        fixture.turns.finishWithoutStartingNext(session, TurnStatus.FAILED, null, "broken");

        assertThat(session.meta().getStatus()).isEqualTo(SessionStatus.IDLE);
        assertThat(session.active()).isNull();
        assertThat(session.meta().getTurnsFailed()).isEqualTo(1);
        assertThat(session.meta().getQueuedTurns())
                .extracting(TurnRequested::getTurnId)
                .containsExactly("t2");
        assertThat(fixture.output.lastCompletion().getError()).isEqualTo("broken");
    }

    @Test
    void afterTheToolsTheAgentIsInvokedForTheNextStepWithTheResultsInCallOrder() {
        Session session = awaitingTools(call("a", "1"), call("b", "2"));

        fixture.turns.continueAfterTools(session);

        AgentInvocation next = fixture.output.lastInvocation();
        assertThat(next.getStep()).isEqualTo(1);
        assertThat(next.getMessages())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .extracting(ChatMessage::getToolCallId, ChatMessage::getContent)
                .containsExactly(tuple("a", "1"), tuple("b", "2"));
        assertThat(session.meta().getStatus()).isEqualTo(SessionStatus.AWAITING_AGENT);
        assertThat(session.active().getPendingCalls()).isEmpty();
    }

    @Test
    void aTurnThatHasUsedAllItsStepsFailsInsteadOfInvokingTheAgentAgain() {
        Session session = awaitingTools(call("a", "1"));
        session.active().setStep(1);
        fixture.output.clear();

        fixture.turns.continueAfterTools(session);

        assertThat(fixture.output.invocations).isEmpty();
        assertThat(fixture.output.lastCompletion().getError())
                .isEqualTo("agent 'demo' did not give an answer within 2 steps");
    }

    @Test
    void aToolResultOnTheLastStepIsRecordedOnceAndTheTurnFails() {
        fixture.addTool(SessionEvents.tool("square", 0.5, false, false));
        fixture.addWorker(SessionEvents.worker("worker-1", "small", 1, START_MS));
        fixture.turns.request(ADDRESS, turn("t1", "square twice"));
        fixture.steps.onStep(ADDRESS, SessionEvents.toolCalls("t1", 0, new ToolCall("a", "square", "{\"n\":2}")));
        fixture.toolCalls.onResult(ADDRESS, SessionEvents.result("t1", 0, "a", "4"));
        // step 1 of 2, the last allowed, asks for a tool too
        fixture.steps.onStep(ADDRESS, SessionEvents.toolCalls("t1", 1, new ToolCall("b", "square", "{\"n\":4}")));

        fixture.toolCalls.onResult(ADDRESS, SessionEvents.result("t1", 1, "b", "16"));

        List<ChatMessage> history = fixture.history();
        assertThat(history)
                .extracting(ChatMessage::getRole, ChatMessage::getToolCallId)
                .containsExactly(
                        tuple(Role.USER, null),
                        tuple(Role.ASSISTANT, null),
                        tuple(Role.TOOL, "a"),
                        tuple(Role.ASSISTANT, null),
                        tuple(Role.TOOL, "b"),
                        tuple(Role.ASSISTANT, null));
        assertThat(history.getLast().getOutcome()).isEqualTo(TurnOutcome.FAILED);
        assertThat(history).extracting(ChatMessage::getSequence).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        assertThat(fixture.meta().getNextSequence()).isEqualTo(6);
        assertThat(fixture.output.completions)
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus, TurnCompleted::getError)
                .containsExactly(tuple("t1", TurnStatus.FAILED, "agent 'demo' did not give an answer within 2 steps"));
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.IDLE);
    }

    @Test
    void aTurnEndedWhileWaitingForToolsRecordsAnErrorForEveryUnansweredCall() {
        Session session = awaitingTools(call("a", "1"), call("b", null));

        fixture.turns.finish(session, TurnStatus.CANCELLED, null, "cancelled");
        session.save();

        assertThat(fixture.history())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .extracting(ChatMessage::getToolStatus, ChatMessage::getContent)
                .containsExactly(
                        tuple(ToolStatus.OK, "1"),
                        tuple(ToolStatus.ERROR, "no result: the turn ended before the tool answered"));
    }

    @Test
    void aFailedTurnIsClosedByAMarkerSoTheNextContextWindowAlternates() {
        fixture.turns.request(ADDRESS, turn("t1", "book the 09:55"));
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();
        fixture.turns.finish(session, TurnStatus.FAILED, null, "agent 'demo' failed: 500 from the model");
        session.save();

        fixture.turns.request(ADDRESS, turn("t2", "try again"));

        ChatMessage marker = fixture.history().get(1);
        assertThat(marker.getRole()).isEqualTo(Role.ASSISTANT);
        assertThat(marker.getContent()).isEqualTo("[turn failed: agent 'demo' failed: 500 from the model]");
        assertThat(marker.getOutcome()).isEqualTo(TurnOutcome.FAILED);
        assertThat(marker.getTurnId()).isEqualTo("t1");
        assertThat(marker.getAgent()).isEqualTo("demo");
        assertThat(fixture.output.lastInvocation().getMessages())
                .extracting(ChatMessage::getRole, ChatMessage::getContent, ChatMessage::getOutcome)
                .containsExactly(
                        tuple(Role.USER, "book the 09:55", null),
                        tuple(
                                Role.ASSISTANT,
                                "[turn failed: agent 'demo' failed: 500 from the model]",
                                TurnOutcome.FAILED),
                        tuple(Role.USER, "try again", null));
    }

    @Test
    void aCancelledTurnIsClosedByACancelledMarkerAfterItsToolMessages() {
        Session session = awaitingTools(call("a", "1"));

        fixture.turns.finish(session, TurnStatus.CANCELLED, null, "cancelled on request");
        session.save();

        assertThat(fixture.history())
                .extracting(ChatMessage::getRole, ChatMessage::getOutcome)
                .containsExactly(
                        tuple(Role.USER, null),
                        tuple(Role.ASSISTANT, null),
                        tuple(Role.TOOL, null),
                        tuple(Role.ASSISTANT, TurnOutcome.CANCELLED));
        assertThat(fixture.history().getLast().getContent()).isEqualTo("[turn cancelled: cancelled on request]");
    }

    @Test
    void aCompletedTurnGetsNoMarker() {
        fixture.turns.request(ADDRESS, turn("t1", "hello"));
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();

        fixture.turns.finishAnswered(session, "hi", false);
        session.save();

        assertThat(fixture.history()).extracting(ChatMessage::getRole).containsExactly(Role.USER);
    }

    private Session awaitingTools(PendingCall... calls) {
        fixture.turns.request(ADDRESS, turn("t1", "use tools"));
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();
        // As ToolCalls.dispatch leaves it: the assistant message with the calls, then the calls pending.
        session.append(Session.message(Role.ASSISTANT, "t1", "demo", START_MS)
                .setToolCalls(java.util.Arrays.stream(calls)
                        .map(c -> new ToolCall(c.getCallId(), c.getTool(), c.getArgumentsJson()))
                        .toList()));
        session.active().setPendingCalls(new ArrayList<>(List.of(calls)));
        session.meta().setStatus(SessionStatus.AWAITING_TOOLS);
        return session;
    }

    private static PendingCall call(String callId, String output) {
        PendingCall call = PendingCall.newBuilder()
                .setCallId(callId)
                .setTool("calculator")
                .setArgumentsJson("{}")
                .build();
        if (output != null) {
            call.setResult(SessionEvents.result("t1", 0, callId, output));
        }
        return call;
    }
}
