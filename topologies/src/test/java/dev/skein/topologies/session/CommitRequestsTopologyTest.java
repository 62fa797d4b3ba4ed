package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.Dispatch;
import dev.skein.schemas.kafka.KafkaConnection;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Requested commits (docs/dispatch.md, "Requested commits"): which passes of the session topology
 * ask Kafka Streams to end the transaction, which leave it open for a speculative request's answer,
 * and the punctuator that commits what waited. The requests are counted by the topology's metric
 * {@code commits-requested-total{reason}}, incremented exactly where {@code context.commit()} is
 * called; the wall clock is the driver's.
 */
class CommitRequestsTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration SPACING = Duration.ofMillis(5);
    private static final Duration GRACE = Duration.ofMillis(8);

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    private final SessionTopologyConfig config =
            TestSessionConfig.builder().turnTimeout(Duration.ofSeconds(30)).build();
    private final CompletionLedger ledger = new CompletionLedger();
    private TopologyTestDriver driver;
    private CompletionLedger.TurnsInput turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestInputTopic<String, ToolResult> results;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private CompletionLedger.ResponsesOutput responses;

    @AfterEach
    void stop() {
        try {
            ledger.assertEveryTurnCompletedOnce(driver, config);
        } finally {
            driver.close();
        }
    }

    @Test
    void aSpeculativeSimpleTurnRequestsOneCommitForTheInvocationAndTheCompletion() throws Exception {
        start(speculative(Dispatch.BY_TOOL));

        AgentInvocation invocation = startTurn(ADDRESS, "t1");
        assertThat(requested("output")).isZero();

        steps.pipeInput(ADDRESS, answer(invocation, "hi"));
        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(requested("output")).isEqualTo(1);
        assertThat(requested("speculative-grace")).isZero();
    }

    @Test
    void aToolTurnWithASpeculativeCallIsOneTransactionFromTheTurnToItsCompletion() throws Exception {
        start(speculative(Dispatch.BY_TOOL));

        AgentInvocation first = startTurn(ADDRESS, "t1");
        steps.pipeInput(ADDRESS, calls(first, new ToolCall("c1", "calculator", "{\"expression\":\"12*7\"}")));
        ToolRequest request = toolRequests.readValue();
        assertThat(request.getSideEffects()).isFalse();
        results.pipeInput(ADDRESS, SessionEvents.okResult(request, "84"));
        AgentInvocation second = invocations.readValue();
        assertThat(requested("output")).isZero();

        steps.pipeInput(ADDRESS, answer(second, "84"));
        assertThat(responses.readValue().getAnswer()).isEqualTo("84");
        assertThat(requested("output")).isEqualTo(1);
    }

    @Test
    void aCallWithSideEffectsOnAByToolTierIsCommittedAtOnce() throws Exception {
        start(speculative(Dispatch.BY_TOOL));

        AgentInvocation first = startTurn(ADDRESS, "t1");
        steps.pipeInput(ADDRESS, calls(first, new ToolCall("c1", "deploy", "{\"n\":1}")));
        ToolRequest request = toolRequests.readValue();
        assertThat(request.getSideEffects()).isTrue();
        assertThat(requested("output")).isEqualTo(1);

        results.pipeInput(ADDRESS, SessionEvents.okResult(request, "done"));
        steps.pipeInput(ADDRESS, answer(invocations.readValue(), "deployed"));
        assertThat(responses.readValue().getAnswer()).isEqualTo("deployed");
        // The completion comes within the spacing of the request before it: the punctuator commits it.
        assertThat(requested("output")).isEqualTo(1);
        driver.advanceWallClockTime(SPACING);
        assertThat(requested("output")).isEqualTo(2);
    }

    @Test
    void anInvocationOnCommittedAgentDispatchIsCommittedAtOnce() throws Exception {
        start(new CommitRequests(true, SPACING, GRACE, Dispatch.COMMITTED, Map.of("small", Dispatch.BY_TOOL)));

        startTurn(ADDRESS, "t1");
        assertThat(requested("output")).isEqualTo(1);
    }

    @Test
    void speculativeOutputLeftUnansweredIsCommittedAfterTheGraceAndThePunctuatorThenStops() throws Exception {
        start(speculative(Dispatch.BY_TOOL));

        AgentInvocation invocation = startTurn(ADDRESS, "t1");
        driver.advanceWallClockTime(GRACE.minusMillis(3));
        assertThat(requested("speculative-grace")).isZero();
        driver.advanceWallClockTime(Duration.ofMillis(3));
        assertThat(requested("speculative-grace")).isEqualTo(1);
        driver.advanceWallClockTime(GRACE.multipliedBy(10));
        assertThat(requested("speculative-grace")).isEqualTo(1);

        // The answer after the grace still completes the turn, with a request of its own.
        steps.pipeInput(ADDRESS, answer(invocation, "slow model"));
        assertThat(responses.readValue().getAnswer()).isEqualTo("slow model");
        assertThat(requested("output")).isEqualTo(1);
    }

    @Test
    void completionsCloserThanTheSpacingShareOneRequestAndThePunctuatorCommitsTheRest() throws Exception {
        start(speculative(Dispatch.BY_TOOL));
        AgentInvocation one = startTurn("acme/s1", "t1");
        AgentInvocation two = startTurn("acme/s2", "t2");
        AgentInvocation three = startTurn("acme/s3", "t3");

        steps.pipeInput("acme/s1", answer(one, "one"));
        steps.pipeInput("acme/s2", answer(two, "two"));
        steps.pipeInput("acme/s3", answer(three, "three"));
        assertThat(responses.readValuesToList()).hasSize(3);
        assertThat(requested("output")).isEqualTo(1);

        driver.advanceWallClockTime(SPACING.minusMillis(1));
        assertThat(requested("output")).isEqualTo(1);
        // The punctuator looks every 2 ms (half the spacing): the first look after the spacing, at 6 ms.
        driver.advanceWallClockTime(Duration.ofMillis(2));
        assertThat(requested("output")).isEqualTo(2);
        driver.advanceWallClockTime(SPACING.multipliedBy(10));
        assertThat(requested("output")).isEqualTo(2);
    }

    @Test
    void offTheTopologyRequestsNoCommit() throws Exception {
        start(CommitRequests.OFF);

        AgentInvocation invocation = startTurn(ADDRESS, "t1");
        steps.pipeInput(ADDRESS, answer(invocation, "hi"));
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(requested("output") + requested("speculative-grace")).isZero();
    }

    @Test
    void aTurnThatTimesOutInTheDeadlinePunctuatorIsCommitted() throws Exception {
        start(speculative(Dispatch.BY_TOOL));
        startTurn(ADDRESS, "t1");
        driver.advanceWallClockTime(GRACE);
        assertThat(requested("speculative-grace")).isEqualTo(1);

        driver.advanceWallClockTime(config.turnTimeout());
        TurnCompleted timedOut = responses.readValue();
        assertThat(timedOut.getStatus()).isEqualTo(TurnStatus.FAILED);
        assertThat(requested("output")).isEqualTo(1);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private CommitRequests speculative(Dispatch small) {
        return new CommitRequests(true, SPACING, GRACE, Dispatch.SPECULATIVE, Map.of("small", small));
    }

    private void start(CommitRequests commits) throws Exception {
        Properties props = SessionStreamsConfig.properties(
                KafkaConnection.to("unused:9092"),
                "test",
                Files.createTempDirectory("commit-requests-test"),
                topics,
                1,
                Map.of());
        driver = new TopologyTestDriver(
                SessionTopology.build(topics, config, new SessionPartitions(1), commits), props, START);
        turns = ledger.turns(input(topics.turns.name(), topics.turns.valueSerde()));
        steps = input(topics.agentSteps.name(), topics.agentSteps.valueSerde());
        results = input(topics.toolResults.name(), topics.toolResults.valueSerde());
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
        TestInputTopic<String, ToolDefinition> catalog =
                input(topics.toolCatalog.name(), topics.toolCatalog.valueSerde());
        catalog.pipeInput("calculator", SessionEvents.sideEffectFreeCalculator());
        catalog.pipeInput("deploy", SessionEvents.tool("deploy", 0.5, false, false));
        input(topics.workers.name(), topics.workers.valueSerde())
                .pipeInput("worker-1", SessionEvents.worker("worker-1", "small", 2, START.toEpochMilli()));
    }

    private AgentInvocation startTurn(String address, String turnId) {
        TurnRequested turn = SessionEvents.turn(turnId, "hello");
        turn.setSessionId(address.substring(address.indexOf('/') + 1));
        turns.pipeInput(address, turn);
        return invocations.readValue();
    }

    private double requested(String reason) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> metric : driver.metrics().entrySet()) {
            MetricName name = metric.getKey();
            if (CommitPacer.NAME.equals(name.name())
                    && reason.equals(name.tags().get("reason"))) {
                total += ((Number) metric.getValue().metricValue()).doubleValue();
            }
        }
        return total;
    }

    private <V> TestInputTopic<String, V> input(String name, Serde<V> serde) {
        return driver.createInputTopic(name, Serdes.String().serializer(), serde.serializer(), START, Duration.ZERO);
    }

    private static AgentStep answer(AgentInvocation invocation, String content) {
        AgentStep step = SessionEvents.answer(invocation.getTurnId(), invocation.getStep(), content);
        step.setSessionId(invocation.getSessionId());
        step.setDispatchId(invocation.getDispatchId());
        return step;
    }

    private static AgentStep calls(AgentInvocation invocation, ToolCall... calls) {
        AgentStep step = SessionEvents.toolCalls(invocation.getTurnId(), invocation.getStep(), calls);
        step.setDispatchId(invocation.getDispatchId());
        return step;
    }
}
