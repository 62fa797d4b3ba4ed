package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Per-agent tool lists through the production topology: an agent is offered only the catalog's
 * tools its list names (by name or glob), others keep every tool, and a call of a tool the agent
 * was not offered is answered with an error it can read, never dispatched.
 */
class AgentToolsTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    // demo keeps the default (every tool); "support" gets calculator and the memory tools r*.
    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .agentTools(new AgentTools(List.of("*"), Map.of("support", List.of("calculator", "re*"))))
            .build();
    private final CompletionLedger ledger = new CompletionLedger();
    private SessionTopologyFixture session;
    private CompletionLedger.TurnsInput turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private CompletionLedger.ResponsesOutput responses;

    @BeforeEach
    void start() {
        session = new SessionTopologyFixture(config, START);
        turns = ledger.turns(session.input(session.topics.turns));
        steps = session.input(session.topics.agentSteps);
        invocations = session.output(session.topics.agentRequests);
        toolRequests = session.output(session.topics.tools("small"));
        responses = ledger.responses(session.output(session.topics.responses));
        for (String tool : List.of("calculator", "noop", "recall", "remember", "sleep")) {
            session.addTools(SessionEvents.tool(tool, 0.5, false, false));
        }
        session.addWorker(SessionEvents.worker("w1", "small", 1, START.toEpochMilli()));
    }

    @AfterEach
    void stop() {
        session.closeAfterChecking(ledger);
    }

    @Test
    void anAgentIsOfferedOnlyTheToolsItsListNames() {
        turns.pipeInput(ADDRESS, withAgent(turn("t1", "hi"), "support"));
        assertThat(invocations.readValue().getTools())
                .extracting(ToolDefinition::getName)
                .containsExactlyInAnyOrder("calculator", "recall", "remember");
        steps.pipeInput(ADDRESS, answer("t1", 0, "hello"));
        responses.readValue();

        // An agent without a list of its own keeps every tool, as before lists existed.
        turns.pipeInput(ADDRESS, withAgent(turn("t2", "hi"), "demo"));
        assertThat(invocations.readValue().getTools())
                .extracting(ToolDefinition::getName)
                .containsExactlyInAnyOrder("calculator", "noop", "recall", "remember", "sleep");
        steps.pipeInput(ADDRESS, answer("t2", 0, "hello"));
        responses.readValue();
    }

    @Test
    void aCallOfAToolTheAgentWasNotOfferedGetsAnErrorItCanRead() {
        turns.pipeInput(ADDRESS, withAgent(turn("t1", "wait a bit"), "support"));
        invocations.readValue();
        steps.pipeInput(ADDRESS, supportStep(toolCalls("t1", 0, new ToolCall("c1", "sleep", "{\"ms\":1}"))));

        // Never dispatched: the agent is invoked again at once with the refusal as the call's result.
        assertThat(toolRequests.isEmpty()).isTrue();
        AgentInvocation next = invocations.readValue();
        ChatMessage result = next.getMessages().getLast();
        assertThat(result.getRole()).isEqualTo(Role.TOOL);
        assertThat(result.getToolStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(result.getContent())
                .contains("tool 'sleep' is not offered to agent 'support'")
                .contains("its tools: calculator, re*")
                .contains("available tools: calculator, recall, remember");

        // A tool it was offered is dispatched as usual.
        steps.pipeInput(ADDRESS, supportStep(toolCalls("t1", 1, new ToolCall("c2", "calculator", "{\"n\":1}"))));
        ToolRequest request = toolRequests.readValue();
        assertThat(request.getTool()).isEqualTo("calculator");
        assertThat(request.getCallId()).isEqualTo("c2");
    }

    @Test
    void anUnknownToolIsRefusedListingOnlyWhatTheAgentIsOffered() {
        turns.pipeInput(ADDRESS, withAgent(turn("t1", "go"), "support"));
        invocations.readValue();
        steps.pipeInput(ADDRESS, supportStep(toolCalls("t1", 0, new ToolCall("c1", "teleport", "{}"))));
        assertThat(invocations.readValue().getMessages().getLast().getContent())
                .isEqualTo("unknown tool 'teleport'; available tools: calculator, recall, remember");
        steps.pipeInput(ADDRESS, supportStep(answer("t1", 1, "cannot")));
        TurnCompleted completed = responses.readValue();
        assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
    }

    @Test
    void patternsMatchNamesAndGlobsAndBadOnesAreRefusedNamingTheKey() {
        assertThat(AgentTools.matches("mcp_files_*", "mcp_files_read")).isTrue();
        assertThat(AgentTools.matches("mcp_files_*", "mcp_git_log")).isFalse();
        assertThat(AgentTools.matches("re?all", "recall")).isTrue();
        assertThat(AgentTools.matches("calculator", "calculator_v2")).isFalse();
        assertThat(AgentTools.matches("*", "anything")).isTrue();
        assertThat(new AgentTools(List.of(), Map.of()).offers("demo", "calculator"))
                .isFalse();
        assertThatThrownBy(() -> new AgentTools(List.of("*"), Map.of("support", List.of("Calc.*"))))
                .hasMessageContaining("skein.agents.definitions.support.tools")
                .hasMessageContaining("'Calc.*' is not a tool name or glob");
    }

    private static dev.skein.events.TurnRequested withAgent(dev.skein.events.TurnRequested turn, String agent) {
        turn.setAgent(agent);
        return turn;
    }

    private static AgentStep supportStep(AgentStep step) {
        step.setAgent("support");
        return step;
    }
}
