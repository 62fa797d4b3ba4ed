package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.Role;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.TraceEntry;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.events.TurnTrace;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The topology as the arbiter of speculative dispatch (docs/dispatch.md): runners and workers may
 * answer requests of a pass that was then aborted. An aborted pass is modelled as it happens: a
 * second topology (its own driver and state) takes the same inputs and its state is thrown away,
 * as Kafka Streams throws away a task's state when its transaction aborts; what it emitted was
 * read, as an uncommitted reader reads it. The committed topology then gets the answers to both.
 */
class SpeculativeDispatchTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .turnTimeout(Duration.ofSeconds(30))
            .maxAgentAttempts(3)
            .build();
    private final CompletionLedger ledger = new CompletionLedger();
    private Node aborted;
    private Node committed;

    @BeforeEach
    void start() {
        aborted = new Node(null);
        committed = new Node(ledger);
    }

    @AfterEach
    void stop() {
        try {
            committed.session.closeAfterChecking(ledger);
        } finally {
            aborted.session.close();
        }
    }

    @Test
    void aStepAnsweringAnAbortedPassIsDroppedAndTheReplaysAnswerCompletesTheTurn() {
        AgentInvocation speculative = aborted.startTurn("t1");
        AgentInvocation replayed = committed.startTurn("t1");
        // The replay makes the same request (turn, step, attempt) under a new dispatch id.
        assertThat(replayed.getTurnId()).isEqualTo(speculative.getTurnId());
        assertThat(replayed.getStep()).isEqualTo(speculative.getStep());
        assertThat(speculative.getDispatchId()).isNotNull();
        assertThat(replayed.getDispatchId()).isNotNull().isNotEqualTo(speculative.getDispatchId());

        committed.steps.pipeInput(ADDRESS, answer(speculative, "answer to the aborted pass"));

        assertThat(committed.responses.isEmpty()).isTrue();
        assertThat(committed.meta().getEventsDropped()).isEqualTo(1);
        assertThat(committed.droppedSpeculative("agent-step")).isEqualTo(1.0);
        TraceEntry dropped = committed.trace("t1").getEntries().stream()
                .filter(e -> TraceExplanations.AGENT_STEP.equals(e.getKind()))
                .findFirst()
                .orElseThrow();
        assertThat(dropped.getOutcome()).isEqualTo("dropped");
        assertThat(dropped.getDetail()).containsEntry("dispatchId", speculative.getDispatchId());

        committed.steps.pipeInput(ADDRESS, answer(replayed, "answer to the committed pass"));

        TurnCompleted completed = committed.responses.readValue();
        assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(completed.getAnswer()).isEqualTo("answer to the committed pass");
        assertThat(committed.history())
                .extracting(ChatMessage::getRole, ChatMessage::getContent)
                .containsExactly(tuple(Role.USER, "hello t1"), tuple(Role.ASSISTANT, "answer to the committed pass"));
    }

    @Test
    void twoStepsForOneRequestGiveOneCompletionAndOneAnswerInTheHistory() {
        AgentInvocation invocation = committed.startTurn("t1");

        committed.steps.pipeInput(ADDRESS, answer(invocation, "first"));
        committed.steps.pipeInput(ADDRESS, answer(invocation, "second"));

        assertThat(committed.responses.readValuesToList())
                .extracting(TurnCompleted::getAnswer)
                .containsExactly("first");
        assertThat(committed.history()).extracting(ChatMessage::getContent).containsExactly("hello t1", "first");
        assertThat(committed.meta().getEventsDropped()).isEqualTo(1);
    }

    @Test
    void aResultForACallOnlyTheAbortedPassMadeIsDroppedThoughItsCallIdRepeats() {
        AgentInvocation speculative = aborted.startTurn("t1");
        AgentInvocation replayed = committed.startTurn("t1");
        // The model asked for other arguments the second time; the call id repeats (as generated ids do).
        aborted.steps.pipeInput(ADDRESS, calls(speculative, new ToolCall("c1", "calculator", "{\"e\":\"1+1\"}")));
        committed.steps.pipeInput(ADDRESS, calls(replayed, new ToolCall("c1", "calculator", "{\"e\":\"2+2\"}")));
        ToolRequest ranSpeculatively = aborted.toolRequests.readValue();
        ToolRequest request = committed.toolRequests.readValue();
        assertThat(request.getDispatchId()).isEqualTo(replayed.getDispatchId());
        assertThat(request.getSideEffects())
                .as("calculator is declared free of side effects")
                .isFalse();

        committed.results.pipeInput(ADDRESS, SessionEvents.okResult(ranSpeculatively, "2"));

        assertThat(committed.invocations.isEmpty())
                .as("the step waits for its own call's result")
                .isTrue();
        assertThat(committed.droppedSpeculative("tool-result")).isEqualTo(1.0);

        committed.results.pipeInput(ADDRESS, SessionEvents.okResult(request, "4"));

        AgentInvocation next = committed.invocations.readValue();
        assertThat(next.getStep()).isEqualTo(1);
        assertThat(next.getMessages())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .extracting(ChatMessage::getContent)
                .containsExactly("4");
        committed.steps.pipeInput(ADDRESS, answer(next, "2+2 is 4"));
        assertThat(committed.responses.readValue().getAnswer()).isEqualTo("2+2 is 4");
    }

    @Test
    void aStepForATurnTheReplayCancelledFirstIsDropped() {
        AgentInvocation speculative = aborted.startTurn("t1");
        committed.startTurn("t1");
        // Replayed, the inputs came in another order: the cancel reached the topology before the step.
        committed.commands.pipeInput(ADDRESS, cancel("t1"));
        assertThat(committed.responses.readValue().getStatus()).isEqualTo(TurnStatus.CANCELLED);

        committed.steps.pipeInput(ADDRESS, answer(speculative, "too late"));

        assertThat(committed.responses.isEmpty()).isTrue();
        assertThat(committed.history()).extracting(ChatMessage::getContent).doesNotContain("too late");
    }

    @Test
    void aStepForATurnThatTimedOutFirstIsDropped() {
        AgentInvocation invocation = committed.startTurn("t1");
        committed.session.driver.advanceWallClockTime(config.turnTimeout().plus(config.deadlineCheckInterval()));
        assertThat(committed.responses.readValue().getStatus()).isEqualTo(TurnStatus.FAILED);

        committed.steps.pipeInput(ADDRESS, answer(invocation, "too late"));

        assertThat(committed.responses.isEmpty()).isTrue();
        assertThat(committed.history()).extracting(ChatMessage::getContent).doesNotContain("too late");
    }

    @Test
    void onlyTheLatestAttemptOfAStepIsAnswered() {
        AgentInvocation first = committed.startTurn("t1");
        committed.steps.pipeInput(ADDRESS, retryableError(first));
        AgentInvocation second = committed.invocations.readValue();
        assertThat(second.getAttempt()).isEqualTo(2);

        // The first attempt's request, delivered again, answered late: not the dispatch awaited.
        committed.steps.pipeInput(ADDRESS, answer(first, "late answer of attempt 1"));
        assertThat(committed.responses.isEmpty()).isTrue();

        committed.steps.pipeInput(ADDRESS, answer(second, "answer of attempt 2"));
        assertThat(committed.responses.readValue().getAnswer()).isEqualTo("answer of attempt 2");
    }

    @Test
    void answersWithoutADispatchIdAreJudgedByTurnAndStepAsBefore() {
        AgentInvocation invocation = committed.startTurn("t1");
        AgentStep legacy = answer(invocation, "from a runner that does not echo the id");
        legacy.setDispatchId(null);

        committed.steps.pipeInput(ADDRESS, legacy);

        assertThat(committed.responses.readValue().getAnswer()).isEqualTo("from a runner that does not echo the id");
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** One topology with its own state: the committed one, or one whose pass is then aborted. */
    private final class Node {
        final SessionTopologyFixture session;
        final CompletionLedger.TurnsInput turns;
        final TestInputTopic<String, AgentStep> steps;
        final TestInputTopic<String, ToolResult> results;
        final TestInputTopic<String, SessionCommand> commands;
        final TestOutputTopic<String, AgentInvocation> invocations;
        final TestOutputTopic<String, ToolRequest> toolRequests;
        final CompletionLedger.ResponsesOutput responses;

        Node(CompletionLedger ledgerOrNull) {
            session = new SessionTopologyFixture(topics, "test", config, START);
            CompletionLedger own = ledgerOrNull == null ? new CompletionLedger() : ledgerOrNull;
            turns = own.turns(session.input(topics.turns, START));
            steps = session.input(topics.agentSteps, START);
            results = session.input(topics.toolResults, START);
            commands = session.input(topics.sessionCommands, START);
            invocations = session.output(topics.agentRequests);
            toolRequests = session.output(topics.tools("small"));
            responses = own.responses(session.output(topics.responses));
            session.input(topics.toolCatalog, START).pipeInput("calculator", SessionEvents.sideEffectFreeCalculator());
            session.input(topics.workers, START)
                    .pipeInput("worker-1", SessionEvents.worker("worker-1", "small", 2, START.toEpochMilli()));
        }

        AgentInvocation startTurn(String turnId) {
            turns.pipeInput(ADDRESS, SessionEvents.turn(turnId, "hello " + turnId));
            return invocations.readValue();
        }

        SessionMeta meta() {
            return session.meta(ADDRESS);
        }

        List<ChatMessage> history() {
            return session.history(ADDRESS);
        }

        TurnTrace trace(String turnId) {
            return session.trace(ADDRESS, turnId);
        }

        double droppedSpeculative(String kind) {
            return session.metricTotal(Dispatches.NAME, "kind", kind);
        }
    }

    /** What a runner answers to {@code invocation}: it echoes the dispatch id. */
    private static AgentStep answer(AgentInvocation invocation, String content) {
        AgentStep step = SessionEvents.answer(invocation.getTurnId(), invocation.getStep(), content);
        step.setDispatchId(invocation.getDispatchId());
        return step;
    }

    private static AgentStep calls(AgentInvocation invocation, ToolCall... calls) {
        AgentStep step = SessionEvents.toolCalls(invocation.getTurnId(), invocation.getStep(), calls);
        step.setDispatchId(invocation.getDispatchId());
        return step;
    }

    private static AgentStep retryableError(AgentInvocation invocation) {
        AgentStep step = SessionEvents.error(invocation.getTurnId(), invocation.getStep(), "rate limited", true);
        step.setDispatchId(invocation.getDispatchId());
        return step;
    }

    private static SessionCommand cancel(String turnId) {
        SessionCommand command = SessionEvents.command(CommandKind.CANCEL_TURN);
        command.setTurnId(turnId);
        return command;
    }
}
