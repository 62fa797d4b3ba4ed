package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.result;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.DoubleTexting;
import dev.skein.events.Role;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnOutcome;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A turn that arrives while its session is busy, under each double-texting policy, through the
 * production topology: with tool calls in flight, with queued turns, and with the races that
 * follow an interrupt (the interrupted turn's late result and late step, a second interrupt
 * before the first's turn has moved). After each test, every turn has exactly one completion and
 * the history is well formed ({@link CompletionLedger}, {@link HistoryInvariant}).
 */
class DoubleTextingTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.ofEpochMilli(SessionEvents.START_MS);
    private static final ToolCall SUM = new ToolCall("c1", "calculator", "{\"n\":1}");

    private final CompletionLedger ledger = new CompletionLedger();
    private SessionTopologyFixture session;
    private CompletionLedger.TurnsInput turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestInputTopic<String, ToolResult> results;
    private TestInputTopic<String, SessionCommand> commands;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private CompletionLedger.ResponsesOutput responses;

    private void start(DoubleTexting configured) {
        session = new SessionTopologyFixture(
                TestSessionConfig.builder()
                        .turnTimeout(Duration.ofSeconds(30))
                        .maxQueuedTurns(2)
                        .doubleTexting(configured)
                        .build(),
                START);
        turns = ledger.turns(session.input(session.topics.turns, START));
        steps = session.input(session.topics.agentSteps, START);
        results = session.input(session.topics.toolResults, START);
        commands = session.input(session.topics.sessionCommands, START);
        invocations = session.output(session.topics.agentRequests);
        toolRequests = session.output(session.topics.tools("small"));
        responses = ledger.responses(session.output(session.topics.responses));
        session.input(session.topics.toolCatalog, START)
                .pipeInput("calculator", SessionEvents.tool("calculator", 1, false, false));
        session.input(session.topics.workers, START)
                .pipeInput("worker-1", SessionEvents.worker("worker-1", "small", 2, SessionEvents.START_MS));
    }

    @AfterEach
    void stop() {
        if (session != null) {
            session.closeAfterChecking(ledger);
        }
    }

    @Test
    void enqueueRunsTheTurnAfterTheActiveOne() throws Exception {
        start(DoubleTexting.ENQUEUE);
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));
        assertThat(responses.isEmpty()).isTrue();
        assertThat(meta().getQueuedTurns()).extracting(TurnRequested::getTurnId).containsExactly("t2");

        steps.pipeInput(ADDRESS, answer("t1", 0, "one"));

        assertThat(responses.readValue().getTurnId()).isEqualTo("t1");
        assertThat(invocations.readValuesToList())
                .extracting(AgentInvocation::getTurnId)
                .containsExactly("t1", "t2");
    }

    @Test
    void rejectEndsTheNewTurnAtOnceNamingTheActiveOneAndLeavesItRunning() throws Exception {
        start(DoubleTexting.REJECT);
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));

        TurnCompleted rejected = responses.readValue();
        assertThat(rejected.getTurnId()).isEqualTo("t2");
        assertThat(rejected.getStatus()).isEqualTo(TurnStatus.REJECTED);
        assertThat(rejected.getError()).contains("busy with turn t1").contains("reject");
        assertThat(meta().getQueuedTurns()).isEmpty();

        steps.pipeInput(ADDRESS, answer("t1", 0, "one"));
        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(history()).extracting(ChatMessage::getContent).containsExactly("first", "one");
    }

    @Test
    void aTurnsOwnPolicyOverridesTheConfiguredOne() throws Exception {
        start(DoubleTexting.REJECT);
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second", DoubleTexting.ENQUEUE, false));

        assertThat(responses.isEmpty()).isTrue();
        assertThat(meta().getQueuedTurns()).extracting(TurnRequested::getTurnId).containsExactly("t2");
    }

    @Test
    void interruptCancelsTheActiveTurnWithItsCallsInFlightAndTheQueuedOnesAndStartsTheNewTurn() throws Exception {
        start(DoubleTexting.ENQUEUE);
        turns.pipeInput(ADDRESS, turn("t1", "sum it"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, SUM));
        assertThat(toolRequests.readValue().getTurnId()).isEqualTo("t1");
        turns.pipeInput(ADDRESS, turn("t2", "queued"));
        invocations.readValuesToList();

        turns.pipeInput(ADDRESS, turn("t3", "never mind", DoubleTexting.INTERRUPT, false));

        List<TurnCompleted> ended = responses.readValuesToList();
        assertThat(ended)
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus, TurnCompleted::getSupersededBy)
                .containsExactly(tuple("t1", TurnStatus.CANCELLED, "t3"), tuple("t2", TurnStatus.CANCELLED, "t3"));
        assertThat(ended.getFirst().getError()).contains("interrupted by turn t3");
        assertThat(ended.getFirst().getRolledBack()).isFalse();
        // The partial turn stays, closed and marked: the call it abandoned, and the marker.
        AgentInvocation next = invocations.readValue();
        assertThat(next.getTurnId()).isEqualTo("t3");
        assertThat(next.getMessages())
                .extracting(ChatMessage::getTurnId, ChatMessage::getRole, ChatMessage::getOutcome)
                .containsExactly(
                        tuple("t1", Role.USER, null),
                        tuple("t1", Role.ASSISTANT, null),
                        tuple("t1", Role.TOOL, null),
                        tuple("t1", Role.ASSISTANT, TurnOutcome.CANCELLED),
                        tuple("t3", Role.USER, null));
        assertThat(next.getMessages().get(2).getToolStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(meta().getQueuedTurns()).isEmpty();

        // The abandoned call's result arrives late: dropped, nothing is added or invoked.
        long dropped = meta().getEventsDropped();
        results.pipeInput(ADDRESS, result("t1", 0, "c1", "2"));
        steps.pipeInput(ADDRESS, answer("t1", 0, "late answer"));
        assertThat(meta().getEventsDropped()).isEqualTo(dropped + 2);
        assertThat(invocations.isEmpty()).isTrue();
        assertThat(history()).hasSize(5);

        steps.pipeInput(ADDRESS, answer("t3", 0, "ok"));
        TurnCompleted done = responses.readValue();
        assertThat(done.getTurnId()).isEqualTo("t3");
        assertThat(done.getStatus()).isEqualTo(TurnStatus.COMPLETED);
    }

    @Test
    void aLateResultOfTheInterruptedTurnIsNotTakenForTheNewTurnsCallOfTheSameId() throws Exception {
        start(DoubleTexting.INTERRUPT);
        turns.pipeInput(ADDRESS, turn("t1", "sum it"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, SUM));
        turns.pipeInput(ADDRESS, turn("t2", "sum it again"));
        steps.pipeInput(ADDRESS, toolCalls("t2", 0, SUM));
        assertThat(toolRequests.readValuesToList())
                .extracting(ToolRequest::getTurnId)
                .containsExactly("t1", "t2");
        invocations.readValuesToList();

        results.pipeInput(ADDRESS, result("t1", 0, "c1", "from t1"));
        assertThat(invocations.isEmpty()).as("t2 still waits for its own c1").isTrue();

        results.pipeInput(ADDRESS, result("t2", 0, "c1", "from t2"));
        AgentInvocation next = invocations.readValue();
        assertThat(next.getTurnId()).isEqualTo("t2");
        assertThat(next.getMessages().getLast().getContent()).isEqualTo("from t2");
        steps.pipeInput(ADDRESS, answer("t2", 1, "done"));
        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus)
                .containsExactly(tuple("t1", TurnStatus.CANCELLED), tuple("t2", TurnStatus.COMPLETED));
    }

    @Test
    void aSecondInterruptDuringTheFirstEndsTheInterruptingTurnToo() throws Exception {
        start(DoubleTexting.INTERRUPT);
        turns.pipeInput(ADDRESS, turn("t1", "one"));
        turns.pipeInput(ADDRESS, turn("t2", "two"));
        turns.pipeInput(ADDRESS, turn("t3", "three"));

        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getSupersededBy)
                .containsExactly(tuple("t1", "t2"), tuple("t2", "t3"));
        // Both superseded turns' steps arrive after the fact: neither moves the session.
        steps.pipeInput(ADDRESS, answer("t1", 0, "late one"));
        steps.pipeInput(ADDRESS, toolCalls("t2", 0, SUM));
        assertThat(toolRequests.isEmpty()).isTrue();
        assertThat(invocations.readValuesToList())
                .extracting(AgentInvocation::getTurnId)
                .containsExactly("t1", "t2", "t3");

        steps.pipeInput(ADDRESS, answer("t3", 0, "three it is"));
        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(history())
                .extracting(ChatMessage::getTurnId, ChatMessage::getOutcome)
                .containsExactly(
                        tuple("t1", null),
                        tuple("t1", TurnOutcome.CANCELLED),
                        tuple("t2", null),
                        tuple("t2", TurnOutcome.CANCELLED),
                        tuple("t3", null),
                        tuple("t3", null));
    }

    @Test
    void rollbackRemovesTheActiveTurnsMessagesWithoutReusingTheirSequences() throws Exception {
        start(DoubleTexting.ENQUEUE);
        turns.pipeInput(ADDRESS, turn("t0", "hello"));
        steps.pipeInput(ADDRESS, answer("t0", 0, "hi"));
        turns.pipeInput(ADDRESS, turn("t1", "sum it"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, SUM));
        invocations.readValuesToList();

        turns.pipeInput(ADDRESS, turn("t2", "forget that", DoubleTexting.ROLLBACK, false));

        List<TurnCompleted> ended = responses.readValuesToList();
        assertThat(ended.getLast().getTurnId()).isEqualTo("t1");
        assertThat(ended.getLast().getStatus()).isEqualTo(TurnStatus.CANCELLED);
        assertThat(ended.getLast().getRolledBack()).isTrue();
        assertThat(ended.getLast().getSupersededBy()).isEqualTo("t2");
        // t1 held 2 and 3; t2 starts at 4: a reader that saw 2 never sees another message under 2.
        assertThat(history())
                .extracting(ChatMessage::getSequence, ChatMessage::getTurnId)
                .containsExactly(tuple(0L, "t0"), tuple(1L, "t0"), tuple(4L, "t2"));
        assertThat(meta().getRolledBackMessages()).isEqualTo(2);
        assertThat(invocations.readValue().getMessages())
                .extracting(ChatMessage::getContent)
                .containsExactly("hello", "hi", "forget that");

        results.pipeInput(ADDRESS, result("t1", 0, "c1", "2"));
        assertThat(history()).hasSize(3);
        steps.pipeInput(ADDRESS, answer("t2", 0, "forgotten"));
        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.COMPLETED);
    }

    @Test
    void aRollbackDuringARollbackRemovesOnlyTheTurnItSupersedes() throws Exception {
        start(DoubleTexting.ROLLBACK);
        turns.pipeInput(ADDRESS, turn("t0", "hello"));
        steps.pipeInput(ADDRESS, answer("t0", 0, "hi"));
        turns.pipeInput(ADDRESS, turn("t1", "one"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, SUM));
        turns.pipeInput(ADDRESS, turn("t2", "two"));
        turns.pipeInput(ADDRESS, turn("t3", "three"));

        assertThat(history())
                .extracting(ChatMessage::getSequence, ChatMessage::getTurnId)
                .containsExactly(tuple(0L, "t0"), tuple(1L, "t0"), tuple(5L, "t3"));
        assertThat(meta().getRolledBackMessages()).isEqualTo(3);

        // Clearing the history empties it and closes the holes with it.
        commands.pipeInput(ADDRESS, clear());
        assertThat(meta().getRolledBackMessages()).isZero();
        assertThat(history()).isEmpty();
    }

    @Test
    void aStickyPolicyBecomesTheSessionsForTheTurnsAfterIt() throws Exception {
        start(DoubleTexting.ENQUEUE);
        turns.pipeInput(ADDRESS, turn("t1", "one", DoubleTexting.INTERRUPT, true));
        assertThat(meta().getDoubleTexting()).isEqualTo(DoubleTexting.INTERRUPT);

        turns.pipeInput(ADDRESS, turn("t2", "two"));

        assertThat(responses.readValue().getSupersededBy()).isEqualTo("t2");
        assertThat(meta().getActiveTurn().getTurnId()).isEqualTo("t2");
    }

    @Test
    void aRefusedTurnDoesNotChangeTheSessionsPolicy() throws Exception {
        start(DoubleTexting.ENQUEUE);
        turns.pipeInput(ADDRESS, turn("t1", "one"));
        turns.pipeInput(ADDRESS, turn("t2", "two", DoubleTexting.REJECT, true));

        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.REJECTED);
        assertThat(meta().getDoubleTexting()).isNull();
    }

    @Test
    void aFullQueueStillRejectsUnderEnqueue() throws Exception {
        start(DoubleTexting.ENQUEUE);
        turns.pipeInput(ADDRESS, turn("t1", "one"));
        turns.pipeInput(ADDRESS, turn("t2", "two"));
        turns.pipeInput(ADDRESS, turn("t3", "three"));
        turns.pipeInput(ADDRESS, turn("t4", "four"));

        TurnCompleted rejected = responses.readValue();
        assertThat(rejected.getTurnId()).isEqualTo("t4");
        assertThat(rejected.getError()).contains("queued turns (limit 2)");
    }

    @Test
    void anInterruptWhileACallAwaitsApprovalAbandonsItAndALateApprovalIsDropped() throws Exception {
        start(DoubleTexting.INTERRUPT);
        session.input(session.topics.toolCatalog, START)
                .pipeInput("deploy", SessionEvents.tool("deploy", 1, false, true));
        turns.pipeInput(ADDRESS, turn("t1", "deploy"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("d1", "deploy", "{\"n\":1}")));
        turns.pipeInput(ADDRESS, turn("t2", "stop"));

        commands.pipeInput(ADDRESS, SessionEvents.decision(CommandKind.APPROVE_TOOL_CALL, "d1", null));

        assertThat(toolRequests.isEmpty())
                .as("the abandoned call is never sent")
                .isTrue();
        assertThat(responses.readValue().getTurnId()).isEqualTo("t1");
        assertThat(meta().getActiveTurn().getTurnId()).isEqualTo("t2");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static TurnRequested turn(String turnId, String message) {
        return SessionEvents.turn(turnId, message);
    }

    private static TurnRequested turn(String turnId, String message, DoubleTexting policy, boolean sticky) {
        TurnRequested turn = SessionEvents.turn(turnId, message);
        turn.setDoubleTexting(policy);
        turn.setStickyDoubleTexting(sticky);
        return turn;
    }

    private static SessionCommand clear() {
        return SessionEvents.command(CommandKind.CLEAR_HISTORY);
    }

    private List<ChatMessage> history() {
        return session.history(ADDRESS);
    }

    private SessionMeta meta() {
        return session.meta(ADDRESS);
    }
}
