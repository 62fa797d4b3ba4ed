package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.command;
import static dev.skein.topologies.session.SessionEvents.result;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.TraceEntry;
import dev.skein.events.TurnTrace;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The decision trace of a turn, recorded by the production topology: every event in the order the
 * task took or wrote it, with its topic, partition and offset, and the decision on it.
 *
 * <p>The test plays the runner and the worker: as they do, it echoes the position of the request
 * each step or result answers (TopologyTestDriver numbers each topic's records from 0, in the order
 * they were written).
 */
class TurnTraceTopologyTest {

    private static final String ADDRESS = "acme/s1";

    private SessionTopologyFixture session;
    private TestInputTopic<String, dev.skein.events.TurnRequested> turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestInputTopic<String, ToolResult> results;
    private TestInputTopic<String, SessionCommand> commands;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private long invocationsRead;
    private long requestsRead;

    @BeforeEach
    void start() {
        start(TestSessionConfig.builder().build());
    }

    private void start(SessionTopologyConfig config) {
        if (session != null) {
            session.close();
        }
        session = new SessionTopologyFixture(config, Instant.ofEpochMilli(START_MS));
        turns = session.input(session.topics.turns);
        steps = session.input(session.topics.agentSteps);
        results = session.input(session.topics.toolResults);
        commands = session.input(session.topics.sessionCommands);
        invocations = session.output(session.topics.agentRequests);
        toolRequests = session.output(session.topics.tools("small"));
        session.addTools(tool("square", 0.5, true, false), tool("calculator", 0.5, false, false));
        session.addWorker(worker("worker-1", "small", 2, START_MS));
    }

    @AfterEach
    void stop() {
        session.close();
    }

    @Test
    void aTurnWithACachedAndARetriedCallListsEveryEventInOrderWithItsOffsetAndDecision() {
        // t1 puts square(3) in the result cache.
        turns.pipeInput(ADDRESS, turn("t1", "square 3"));
        steps.pipeInput(ADDRESS, echoInvocation(toolCalls("t1", 0, new ToolCall("x", "square", "{\"n\":3}"))));
        results.pipeInput(ADDRESS, echoRequest(result("t1", 0, "x", "9")));
        steps.pipeInput(ADDRESS, echoInvocation(answer("t1", 1, "9")));

        // t2: square(3) again (cached) and calculator, which failed once and succeeded on its second attempt.
        turns.pipeInput(ADDRESS, turn("t2", "square 3 and 12*7"));
        steps.pipeInput(
                ADDRESS,
                echoInvocation(toolCalls(
                        "t2",
                        0,
                        new ToolCall("a", "square", "{\"n\":3}"),
                        new ToolCall("b", "calculator", "{\"n\":7}"))));
        ToolResult retried = echoRequest(result("t2", 0, "b", "84"));
        retried.setAttempts(2);
        retried.setStartedAtMs(START_MS + 5);
        retried.setDurationMs(30);
        results.pipeInput(ADDRESS, retried);
        steps.pipeInput(ADDRESS, echoInvocation(answer("t2", 1, "84 and 9")));
        // The worker's result again (a redelivery after a crash): dropped, and said so.
        results.pipeInput(ADDRESS, retried);

        TurnTrace trace = trace("t2");
        assertThat(trace.getStatus()).isEqualTo("COMPLETED");
        assertThat(trace.getAgent()).isEqualTo("demo");
        assertThat(trace.getEntries())
                .extracting(
                        TraceEntry::getKind,
                        TraceEntry::getTopic,
                        TraceEntry::getOffset,
                        TraceEntry::getOffsetExact,
                        TraceEntry::getCallId,
                        TraceEntry::getOutcome)
                .containsExactly(
                        tuple("turn-requested", "skein.turns", 1L, true, null, null),
                        tuple("agent-invoked", "skein.agent-requests", 2L, true, null, null),
                        tuple("agent-step", "skein.agent-steps", 2L, true, null, null),
                        tuple("tool-call", null, null, false, "a", "cached"),
                        tuple("tool-requested", "skein.tools.small", 1L, true, "b", "dispatched"),
                        tuple("tool-result", "skein.tool-results", 1L, true, "b", null),
                        tuple("agent-invoked", "skein.agent-requests", 3L, true, null, null),
                        tuple("agent-step", "skein.agent-steps", 3L, true, null, null),
                        // Written in the same transaction, answered by no one: its offset is not known.
                        tuple("turn-completed", "skein.responses", null, false, null, null),
                        tuple("tool-result", "skein.tool-results", 2L, true, "b", "dropped"));
        List<TraceEntry> entries = trace.getEntries();
        assertThat(entries).allSatisfy(e -> assertThat(e.getPartition()).isIn(0, null));
        assertThat(entries.get(2).getDecision())
                .isEqualTo("agent 'demo' asked for 2 tool call(s): square (a), calculator (b)");
        assertThat(entries.get(3).getDecision()).startsWith("answered from the result cache: square is cacheable");
        assertThat(entries.get(4).getTier()).isEqualTo("small");
        assertThat(entries.get(4).getDecision())
                .isEqualTo("sent call b of calculator to tier small, the smallest with a live worker that fits it");
        assertThat(entries.get(5).getAttempts()).isEqualTo(2);
        assertThat(entries.get(5).getWorker()).isEqualTo("worker-1");
        assertThat(entries.get(5).getDecision())
                .isEqualTo(
                        "worker worker-1 returned OK for calculator (b) after 2 attempt(s), 1 retried by the worker's retry policy");
        assertThat(entries.get(8).getDecision()).isEqualTo("turn COMPLETED after 2 step(s) and 2 tool call(s)");
        assertThat(entries.get(9).getDecision()).endsWith("dropped: a duplicate or stale event (the first one counts)");
        // t1's trace is its own: its one call was dispatched, not cached.
        assertThat(trace("t1").getEntries())
                .extracting(TraceEntry::getOutcome)
                .contains("dispatched")
                .doesNotContain("cached");
    }

    @Test
    void aHeldCallIsExplainedWhenHeldAndWhenApproved() {
        session.addTools(tool("deploy", 0.5, false, true));
        turns.pipeInput(ADDRESS, turn("t1", "deploy"));
        steps.pipeInput(ADDRESS, echoInvocation(toolCalls("t1", 0, new ToolCall("d", "deploy", "{\"n\":1}"))));
        SessionCommand approve = SessionEvents.decision(CommandKind.APPROVE_TOOL_CALL, "d", null);
        commands.pipeInput(ADDRESS, approve);

        assertThat(trace("t1").getEntries())
                .extracting(TraceEntry::getKind, TraceEntry::getOutcome)
                .containsExactly(
                        tuple("turn-requested", null),
                        tuple("agent-invoked", null),
                        tuple("agent-step", null),
                        tuple("tool-call", "held"),
                        tuple("session-command", "APPROVE_TOOL_CALL"),
                        tuple("tool-call", "approved"),
                        tuple("tool-requested", "dispatched"));
        assertThat(trace("t1").getEntries().get(3).getDecision())
                .isEqualTo("held for a person's approval: the tool requires it");
    }

    @Test
    void aTurnThatTimesOutEndsItsTraceWithTheDeadlinesReason() throws Exception {
        start(TestSessionConfig.builder()
                .turnTimeout(java.time.Duration.ofSeconds(30))
                .build());
        turns.pipeInput(ADDRESS, turn("t1", "hello"));

        session.driver.advanceWallClockTime(java.time.Duration.ofSeconds(31));

        TraceEntry last = trace("t1").getEntries().getLast();
        assertThat(last.getKind()).isEqualTo("turn-completed");
        assertThat(last.getStatus()).isEqualTo("FAILED");
        assertThat(last.getPartition()).isZero();
        assertThat(last.getDecision())
                .isEqualTo("turn FAILED after 1 step(s) and 0 tool call(s): turn timed out after 30000 ms while waiting"
                        + " for agent 'demo' (step 0)");
        assertThat(trace("t1").getStatus()).isEqualTo("FAILED");
    }

    @Test
    void aSessionKeepsTheTracesOfItsLatestTurnsOnlyAndClearingItsHistoryClearsThem() throws Exception {
        start(TestSessionConfig.builder().traceKeepTurns(2).build());
        for (String turnId : List.of("t1", "t2", "t3")) {
            turns.pipeInput(ADDRESS, turn(turnId, "hello"));
            steps.pipeInput(ADDRESS, echoInvocation(answer(turnId, 0, "hi")));
        }

        assertThat(traceStore().get(SessionStores.traceKey(ADDRESS, "t1"))).isNull();
        assertThat(trace("t2")).isNotNull();
        assertThat(trace("t3")).isNotNull();

        commands.pipeInput(ADDRESS, command(CommandKind.CLEAR_HISTORY));

        assertThat(traceStore().get(SessionStores.traceKey(ADDRESS, "t2"))).isNull();
        assertThat(traceStore().get(SessionStores.traceKey(ADDRESS, "t3"))).isNull();
    }

    @Test
    void aSessionTheRecorderNoLongerRemembersHasItsOldestTracesEvictedFromTheStore() throws Exception {
        start(TestSessionConfig.builder().traceKeepTurns(3).build());
        for (String turnId : List.of("t1", "t2", "t3")) {
            turns.pipeInput(ADDRESS, turn(turnId, "hello"));
            steps.pipeInput(ADDRESS, echoInvocation(answer(turnId, 0, "hi")));
        }
        // Enough other sessions that the recorder forgets this one's trace keys (as a restarted
        // task has not read them yet): the next trace finds them in the store.
        for (int i = 0; i < TraceRecorder.RECENT_SESSIONS; i++) {
            turns.pipeInput("acme/other-" + i, turn("o" + i, "hello"));
        }
        for (String turnId : List.of("t4", "t5")) {
            turns.pipeInput(ADDRESS, turn(turnId, "hello"));
            steps.pipeInput(ADDRESS, echoInvocation(answer(turnId, 0, "hi")));
        }

        assertThat(traceStore().get(SessionStores.traceKey(ADDRESS, "t1"))).isNull();
        assertThat(traceStore().get(SessionStores.traceKey(ADDRESS, "t2"))).isNull();
        for (String kept : List.of("t3", "t4", "t5")) {
            assertThat(trace(kept)).as(kept).isNotNull();
        }
    }

    @Test
    void aTraceKeepsItsFirstEntriesAndSaysWhenItLeavesTheRestOut() {
        ToolCall[] calls = new ToolCall[TraceRecorder.MAX_ENTRIES + 100];
        for (int i = 0; i < calls.length; i++) {
            calls[i] = new ToolCall("c" + i, "calculator", "{\"n\":" + i + "}");
        }
        turns.pipeInput(ADDRESS, turn("t1", "many"));
        steps.pipeInput(ADDRESS, echoInvocation(toolCalls("t1", 0, calls)));

        List<TraceEntry> entries = trace("t1").getEntries();
        assertThat(entries).hasSize(TraceRecorder.MAX_ENTRIES + 1);
        assertThat(entries.getLast().getKind()).isEqualTo("truncated");
        assertThat(entries.get(TraceRecorder.MAX_ENTRIES - 1).getKind()).isEqualTo("tool-requested");
    }

    /** As the runner does: the step names the position of the invocation it answers. */
    private AgentStep echoInvocation(AgentStep step) {
        while (!invocations.isEmpty()) {
            AgentInvocation read = invocations.readValue();
            if (read.getTurnId().equals(step.getTurnId()) && read.getStep() == step.getStep()) {
                step.setRequestPartition(0);
                step.setRequestOffset(invocationsRead++);
                step.setReceivedAtMs(START_MS);
                return step;
            }
            invocationsRead++;
        }
        throw new AssertionError("no invocation of " + step.getTurnId() + " step " + step.getStep() + " was written");
    }

    /** As the worker does: the result names the position of the request it answers. */
    private ToolResult echoRequest(ToolResult result) {
        ToolRequest read = toolRequests.readValue();
        assertThat(read.getCallId()).isEqualTo(result.getCallId());
        result.setRequestPartition(0);
        result.setRequestOffset(requestsRead++);
        return result;
    }

    private TurnTrace trace(String turnId) {
        return traceStore().get(SessionStores.traceKey(ADDRESS, turnId));
    }

    private KeyValueStore<Bytes, TurnTrace> traceStore() {
        return session.driver.getKeyValueStore(SessionStores.TRACES);
    }
}
