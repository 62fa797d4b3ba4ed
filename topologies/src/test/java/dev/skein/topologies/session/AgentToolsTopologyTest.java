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
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.KafkaConnection;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
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

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    // demo keeps the default (every tool); "support" gets calculator and the memory tools r*.
    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .agentTools(new AgentTools(List.of("*"), Map.of("support", List.of("calculator", "re*"))))
            .build();
    private final CompletionLedger ledger = new CompletionLedger();
    private TopologyTestDriver driver;
    private CompletionLedger.TurnsInput turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private CompletionLedger.ResponsesOutput responses;

    @BeforeEach
    void start() throws Exception {
        Properties props = SessionStreamsConfig.properties(
                KafkaConnection.to("unused:9092"),
                "test",
                Files.createTempDirectory("agent-tools-test"),
                topics,
                1,
                Map.of());
        driver = new TopologyTestDriver(SessionTopology.build(topics, config, new SessionPartitions(1)), props, START);
        turns = ledger.turns(driver.createInputTopic(
                topics.turns.name(),
                Serdes.String().serializer(),
                topics.turns.valueSerde().serializer()));
        steps = driver.createInputTopic(
                topics.agentSteps.name(),
                Serdes.String().serializer(),
                topics.agentSteps.valueSerde().serializer());
        invocations = driver.createOutputTopic(
                topics.agentRequests.name(),
                Serdes.String().deserializer(),
                topics.agentRequests.valueSerde().deserializer());
        toolRequests = driver.createOutputTopic(
                topics.tools("small").name(),
                Serdes.String().deserializer(),
                topics.tools("small").valueSerde().deserializer());
        responses = ledger.responses(driver.createOutputTopic(
                topics.responses.name(),
                Serdes.String().deserializer(),
                topics.responses.valueSerde().deserializer()));
        TestInputTopic<String, ToolDefinition> catalog = driver.createInputTopic(
                topics.toolCatalog.name(),
                Serdes.String().serializer(),
                topics.toolCatalog.valueSerde().serializer());
        for (String tool : List.of("calculator", "noop", "recall", "remember", "sleep")) {
            catalog.pipeInput(tool, SessionEvents.tool(tool, 0.5, false, false));
        }
        driver.createInputTopic(
                        topics.workers.name(),
                        Serdes.String().serializer(),
                        topics.workers.valueSerde().serializer())
                .pipeInput("w1", SessionEvents.worker("w1", "small", 1, START.toEpochMilli()));
    }

    @AfterEach
    void stop() {
        try {
            ledger.assertEveryTurnCompletedOnce(driver, config);
        } finally {
            driver.close();
        }
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
