package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.ADDRESS;
import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.command;
import static dev.skein.topologies.session.SessionEvents.decision;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionStatus;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import org.junit.jupiter.api.Test;

/** {@link SessionCommands}: a person's commands to a session. */
class SessionCommandsTest {

    private final SessionFixture fixture = new SessionFixture();

    @Test
    void clearingTheHistoryCancelsEveryTurnAndTheNextTurnStartsAfresh() {
        fixture.turns.request(ADDRESS, turn("t1", "first"));
        fixture.turns.request(ADDRESS, turn("t2", "queued"));

        fixture.commands.onCommand(ADDRESS, command(CommandKind.CLEAR_HISTORY));

        assertThat(fixture.output.completions)
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus, TurnCompleted::getError)
                .containsExactly(
                        tuple("t1", TurnStatus.CANCELLED, "the session's history was cleared"),
                        tuple("t2", TurnStatus.CANCELLED, "the session's history was cleared"));
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.IDLE);
        assertThat(fixture.meta().getQueuedTurns()).isEmpty();
        assertThat(fixture.meta().getRecentTurnIds()).containsExactly("t1", "t2");
        assertThat(fixture.history()).isEmpty();
        assertThat(fixture.deadlineEntries()).isEmpty();

        fixture.turns.request(ADDRESS, turn("t3", "fresh"));

        assertThat(fixture.history()).extracting(ChatMessage::getContent).containsExactly("fresh");
    }

    @Test
    void cancellingTheActiveTurnGivesTheReasonAndStartsTheNextQueuedTurn() {
        fixture.turns.request(ADDRESS, turn("t1", "first"));
        fixture.turns.request(ADDRESS, turn("t2", "second"));
        SessionCommand cancel = command(CommandKind.CANCEL_TURN);
        cancel.setReason("changed my mind");

        fixture.commands.onCommand(ADDRESS, cancel);

        TurnCompleted cancelled = fixture.output.lastCompletion();
        assertThat(cancelled.getTurnId()).isEqualTo("t1");
        assertThat(cancelled.getStatus()).isEqualTo(TurnStatus.CANCELLED);
        assertThat(cancelled.getError()).isEqualTo("cancelled: changed my mind");
        assertThat(fixture.meta().getActiveTurn().getTurnId()).isEqualTo("t2");
    }

    @Test
    void aCancelThatNamesAnotherTurnLeavesTheActiveOneRunning() {
        fixture.turns.request(ADDRESS, turn("t1", "first"));
        SessionCommand cancel = command(CommandKind.CANCEL_TURN);
        cancel.setTurnId("t9");

        fixture.commands.onCommand(ADDRESS, cancel);

        assertThat(fixture.output.completions).isEmpty();
        assertThat(fixture.meta().getActiveTurn().getTurnId()).isEqualTo("t1");
    }

    @Test
    void cancellingAQueuedTurnOfAStoredSessionEndsItAndLeavesTheRestOfTheQueue() {
        // Every request is saved and read back through the store's serde, so the queue is
        // Avro's list, as it is in production.
        fixture.turns.request(ADDRESS, turn("t1", "first"));
        fixture.turns.request(ADDRESS, turn("t2", "second"));
        fixture.turns.request(ADDRESS, turn("t3", "third"));
        SessionCommand cancel = command(CommandKind.CANCEL_TURN);
        cancel.setTurnId("t2");
        cancel.setReason("not needed");

        fixture.commands.onCommand(ADDRESS, cancel);

        assertThat(fixture.output.completions)
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus, TurnCompleted::getError)
                .containsExactly(tuple("t2", TurnStatus.CANCELLED, "cancelled: not needed"));
        assertThat(fixture.meta().getActiveTurn().getTurnId()).isEqualTo("t1");
        assertThat(fixture.meta().getQueuedTurns())
                .extracting(TurnRequested::getTurnId)
                .containsExactly("t3");
        assertThat(fixture.meta().getRecentTurnIds()).containsExactly("t2");
    }

    @Test
    void approvalsGoToTheHeldCall() {
        fixture.addTool(tool("deploy", 0.5, false, true));
        fixture.addWorker(worker("worker-1", "small", 1, START_MS));
        fixture.turns.request(ADDRESS, turn("t1", "deploy"));
        fixture.steps.onStep(ADDRESS, toolCalls("t1", 0, new ToolCall("a", "deploy", "{\"n\":1}")));

        fixture.commands.onCommand(ADDRESS, decision(CommandKind.APPROVE_TOOL_CALL, "a", null));

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("a");
        assertThat(fixture.meta().getActiveTurn().getPendingCalls().getFirst().getAwaitingApproval())
                .isFalse();
    }

    @Test
    void aCommandForASessionThatNeverHadATurnIsIgnored() {
        fixture.commands.onCommand(new SessionAddress("acme", "s2"), command(CommandKind.CLEAR_HISTORY));

        assertThat(fixture.metas.get("acme/s2")).isNull();
        assertThat(fixture.output.completions).isEmpty();
    }
}
