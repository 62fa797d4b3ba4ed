package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.ADDRESS;
import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.decision;
import static dev.skein.topologies.session.SessionEvents.result;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.Role;
import dev.skein.events.SessionStatus;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolStatus;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ToolCalls}: from an agent's tool calls to their results. */
class ToolCallsTest {

    private SessionFixture fixture = new SessionFixture();

    @BeforeEach
    void startATurnWithToolsAndAWorker() {
        startATurnWithToolsAndAWorker(new SessionFixture());
    }

    /** As the test's set-up, in a fixture whose configuration holds calls for approval by {@code policy}. */
    private void startWith(ApprovalPolicy policy) {
        startATurnWithToolsAndAWorker(
                new SessionFixture(TestSessionConfig.builder().approvals(policy).build()));
    }

    private void startATurnWithToolsAndAWorker(SessionFixture started) {
        fixture = started;
        fixture.addTool(tool("square", 0.5, true, false));
        fixture.addTool(tool("deploy", 0.5, false, true));
        fixture.addTool(tool("calculator", 0.5, false, false));
        fixture.addWorker(worker("worker-1", "small", 1, START_MS));
        fixture.turns.request(ADDRESS, turn("t1", "use tools"));
        fixture.output.clear();
    }

    @Test
    void aValidCallGoesToTheTierTheRouterChoseAndTheTurnWaitsForIt() {
        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"));

        ToolRequest request = fixture.output.requests.getFirst();
        assertThat(request.getCallId()).isEqualTo("a");
        assertThat(request.getTier()).isEqualTo("small");
        assertThat(request.getTurnId()).isEqualTo("t1");
        assertThat(request.getArgumentsJson()).isEqualTo("{\"n\":1}");
        assertThat(request.getDeadlineMs())
                .isEqualTo(fixture.meta().getActiveTurn().getDeadlineMs());
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.AWAITING_TOOLS);
        assertThat(fixture.meta().getActiveTurn().getPendingCalls().getFirst().getTier())
                .isEqualTo("small");
        assertThat(fixture.meta().getActiveTurn().getToolCallCount()).isEqualTo(1);
        assertThat(fixture.output.invocations).isEmpty();
    }

    @Test
    void theTurnsUserGoesWithItsToolRequestsAndNoUserWithNone() {
        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"));
        assertThat(fixture.output.requests.getFirst().getUserId()).isNull();

        // The memory tools act for the turn's user: it is carried from the turn to every request.
        fixture = new SessionFixture();
        fixture.addTool(tool("calculator", 0.5, false, false));
        fixture.addWorker(worker("worker-1", "small", 1, START_MS));
        dev.skein.events.TurnRequested asAlice = turn("t1", "as alice");
        asAlice.setUserId("alice");
        fixture.turns.request(ADDRESS, asAlice);
        fixture.output.clear();
        dispatch(new ToolCall("b", "calculator", "{\"n\":2}"));
        assertThat(fixture.meta().getActiveTurn().getUserId()).isEqualTo("alice");
        assertThat(fixture.output.requests.getFirst().getUserId()).isEqualTo("alice");
    }

    @Test
    void callsThatCannotRunAreAnsweredAtOnceWithAnErrorTheAgentCanActOn() {
        dispatch(
                new ToolCall("a", "teleport", "{}"),
                new ToolCall("b", "calculator", "[1]"),
                new ToolCall("c", "square", "{\"n\":\"three\"}"),
                new ToolCall("d", "transfer_to_refunds", "{}"),
                new ToolCall("e", "calculator", "{\"n\":1}"),
                new ToolCall("e", "calculator", "{\"n\":2}"));
        ToolRequest sent = fixture.output.requests.getFirst();
        fixture.toolCalls.onResult(ADDRESS, result("t1", 0, sent.getCallId(), "1"));

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("e");
        List<ChatMessage> answers = toolMessages(fixture.output.lastInvocation());
        assertThat(answers)
                .extracting(ChatMessage::getToolStatus)
                .containsExactly(
                        ToolStatus.ERROR,
                        ToolStatus.ERROR,
                        ToolStatus.ERROR,
                        ToolStatus.ERROR,
                        ToolStatus.OK,
                        ToolStatus.ERROR);
        assertThat(answers.get(0).getContent())
                .isEqualTo("unknown tool 'teleport'; available tools: calculator, deploy, square");
        assertThat(answers.get(1).getContent()).startsWith("arguments of calculator must be a JSON object");
        assertThat(answers.get(2).getContent()).startsWith("invalid arguments for square");
        assertThat(answers.get(3).getContent()).startsWith("a handoff (transfer_to_refunds) must be the only call");
        assertThat(answers.get(5).getContent())
                .isEqualTo("call id e is used twice in one step; each tool call needs its own id");
    }

    @Test
    void whenEveryCallIsAnsweredAtOnceTheAgentIsInvokedForTheNextStep() {
        dispatch(new ToolCall("a", "teleport", "{}"));

        assertThat(fixture.output.lastInvocation().getStep()).isEqualTo(1);
        assertThat(fixture.meta().getStatus()).isEqualTo(SessionStatus.AWAITING_AGENT);
    }

    @Test
    void aCallNoLiveWorkerCanRunIsAnsweredWithTheRoutersReason() {
        fixture.nowMs = START_MS + 60_000; // the only worker's heartbeat is now too old

        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"));

        assertThat(fixture.output.requests).isEmpty();
        assertThat(toolMessages(fixture.output.lastInvocation()).getFirst().getContent())
                .startsWith("no live worker with tool calculator serves tier small");
    }

    @Test
    void theFirstResultOfACallCountsAndOthersAreDropped() {
        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"), new ToolCall("b", "calculator", "{\"n\":2}"));

        fixture.toolCalls.onResult(ADDRESS, result("t1", 0, "b", "2"));
        fixture.toolCalls.onResult(ADDRESS, result("t1", 0, "b", "2 again"));
        fixture.toolCalls.onResult(ADDRESS, result("t1", 0, "unknown", "?"));
        fixture.toolCalls.onResult(ADDRESS, result("t0", 0, "a", "old turn"));
        assertThat(fixture.output.invocations).isEmpty();

        fixture.toolCalls.onResult(ADDRESS, result("t1", 0, "a", "1"));

        assertThat(toolMessages(fixture.output.lastInvocation()))
                .extracting(ChatMessage::getToolCallId, ChatMessage::getContent)
                .containsExactly(tuple("a", "1"), tuple("b", "2"));
        assertThat(fixture.meta().getEventsDropped()).isEqualTo(3);
    }

    @Test
    void aCacheableToolsResultAnswersALaterEqualCallWithoutSendingIt() {
        dispatch(new ToolCall("a", "square", "{\"n\": 3}"));
        fixture.toolCalls.onResult(ADDRESS, result("t1", 0, "a", "9"));
        fixture.output.clear();

        dispatchAtStep(1, new ToolCall("b", "square", "{\"n\":3}"));

        assertThat(fixture.output.requests).isEmpty();
        ChatMessage cached = toolMessages(fixture.output.lastInvocation()).getLast();
        assertThat(cached.getToolCallId()).isEqualTo("b");
        assertThat(cached.getContent()).isEqualTo("9");
        assertThat(cached.getCached()).isTrue();
    }

    @Test
    void aToolThatRequiresApprovalWaitsAndRunsOnlyOnceApproved() {
        dispatch(new ToolCall("a", "deploy", "{\"n\":1}"));
        assertThat(fixture.output.requests).isEmpty();
        assertThat(fixture.meta().getActiveTurn().getPendingCalls().getFirst().getAwaitingApproval())
                .isTrue();

        decide(CommandKind.APPROVE_TOOL_CALL, "a", null);

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("a");
        assertThat(fixture.meta().getActiveTurn().getPendingCalls().getFirst().getAwaitingApproval())
                .isFalse();
    }

    @Test
    void aDenialIsAnErrorResultThatGivesTheReason() {
        dispatch(new ToolCall("a", "deploy", "{\"n\":1}"));

        decide(CommandKind.DENY_TOOL_CALL, "a", "not on a Friday");

        assertThat(fixture.output.requests).isEmpty();
        assertThat(toolMessages(fixture.output.lastInvocation()).getFirst().getContent())
                .isEqualTo("a person denied this call: not on a Friday");
    }

    @Test
    void anApprovedToolThatLeftTheCatalogIsAnErrorResult() {
        dispatch(new ToolCall("a", "deploy", "{\"n\":1}"));
        fixture.catalogStore.delete("deploy");

        decide(CommandKind.APPROVE_TOOL_CALL, "a", null);

        assertThat(fixture.output.requests).isEmpty();
        assertThat(toolMessages(fixture.output.lastInvocation()).getFirst().getContent())
                .isEqualTo("tool deploy is no longer available");
    }

    @Test
    void aDecisionForACallThatAwaitsNoApprovalIsDropped() {
        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"));
        fixture.output.clear();

        decide(CommandKind.APPROVE_TOOL_CALL, "a", null);

        assertThat(fixture.output.requests).isEmpty();
        assertThat(fixture.meta().getEventsDropped()).isEqualTo(1);
    }

    @Test
    void aToolTheConfigurationNamesForEverySessionIsHeldThoughItRequiresNoApprovalItself() {
        startWith(new ApprovalPolicy(Set.of("calculator"), Map.of(), Map.of()));

        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"), new ToolCall("b", "square", "{\"n\":2}"));

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("b");
        assertThat(fixture.meta().getActiveTurn().getPendingCalls())
                .extracting(p -> p.getCallId(), p -> p.getAwaitingApproval())
                .containsExactly(tuple("a", true), tuple("b", false));

        decide(CommandKind.APPROVE_TOOL_CALL, "a", null);

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("b", "a");
    }

    @Test
    void aToolNamedForTheStepsAgentIsHeldAndForAnotherAgentItIsNot() {
        startWith(new ApprovalPolicy(
                Set.of(), Map.of("demo", Set.of("calculator"), "support", Set.of("square")), Map.of()));

        // The turn's agent is the default, demo.
        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"), new ToolCall("b", "square", "{\"n\":2}"));

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("b");
        assertThat(fixture.meta().getActiveTurn().getPendingCalls().getFirst().getAwaitingApproval())
                .isTrue();
    }

    @Test
    void aToolNamedForTheSessionsTenantIsHeldAndForAnotherTenantItIsNot() {
        startWith(new ApprovalPolicy(
                Set.of(), Map.of(), Map.of("acme", Set.of("square"), "globex", Set.of("calculator"))));

        dispatch(new ToolCall("a", "calculator", "{\"n\":1}"), new ToolCall("b", "square", "{\"n\":2}"));

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("a");
        assertThat(fixture.meta().getActiveTurn().getPendingCalls())
                .extracting(p -> p.getAwaitingApproval())
                .containsExactly(false, true);
    }

    @Test
    void theWildcardHoldsEveryToolEvenOneWhoseResultIsCachedAndADenialAnswersIt() {
        startWith(new ApprovalPolicy(Set.of(), Map.of(), Map.of("acme", Set.of(ApprovalPolicy.EVERY_TOOL))));
        dispatch(new ToolCall("a", "square", "{\"n\":3}"), new ToolCall("b", "calculator", "{\"n\":1}"));
        assertThat(fixture.output.requests).isEmpty();
        decide(CommandKind.APPROVE_TOOL_CALL, "a", null);
        fixture.toolCalls.onResult(ADDRESS, result("t1", 0, "a", "9"));
        decide(CommandKind.DENY_TOOL_CALL, "b", "no");
        fixture.output.clear();

        // Approval comes before the cache: the cached square is held again.
        dispatchAtStep(1, new ToolCall("c", "square", "{\"n\":3}"));

        assertThat(fixture.output.requests).isEmpty();
        assertThat(fixture.output.invocations).isEmpty();
        assertThat(fixture.meta().getActiveTurn().getPendingCalls().getFirst().getAwaitingApproval())
                .isTrue();
    }

    private void dispatch(ToolCall... calls) {
        dispatchAtStep(0, calls);
    }

    private void dispatchAtStep(int step, ToolCall... calls) {
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();
        fixture.toolCalls.dispatch(session, toolCalls("t1", step, calls));
        session.save();
    }

    private void decide(CommandKind kind, String callId, String reason) {
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();
        fixture.toolCalls.decide(session, decision(kind, callId, reason));
        session.save();
    }

    /** The tool messages of the step the invocation follows. */
    private static List<ChatMessage> toolMessages(AgentInvocation invocation) {
        List<ChatMessage> messages = invocation.getMessages();
        int lastAssistant = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).getRole() == Role.ASSISTANT) {
                lastAssistant = i;
            }
        }
        return messages.subList(lastAssistant + 1, messages.size());
    }
}
