package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.turn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentDelta;
import dev.skein.events.AgentStep;
import dev.skein.events.DeltaKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.KafkaConnection;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * The topology writes each turn's start and end to {@code skein.deltas}, so that a session's
 * stream is one partition of one topic: a started turn gets exactly one TURN_STARTED before its
 * agent runs and one TURN_COMPLETED carrying the completion it also writes to responses; a turn
 * that never starts gets only its TURN_COMPLETED.
 */
class SessionStreamMarkersTest {

    private static final String ADDRESS = "acme/s1";

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .turnTimeout(Duration.ofSeconds(30))
            .maxQueuedTurns(1)
            .build();
    private TopologyTestDriver driver;
    private TestInputTopic<String, TurnRequested> turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestOutputTopic<String, AgentDelta> deltas;
    private TestOutputTopic<String, TurnCompleted> responses;
    private Path stateDir;

    @BeforeEach
    void start() throws Exception {
        stateDir = Files.createTempDirectory("session-markers-test");
        Properties props = SessionStreamsConfig.properties(
                KafkaConnection.to("unused:9092"), "test", stateDir, topics, 1, Map.of());
        driver = new TopologyTestDriver(
                SessionTopology.build(topics, config, new SessionPartitions(1)),
                props,
                Instant.parse("2026-01-01T00:00:00Z"));
        turns = driver.createInputTopic(
                topics.turns.name(),
                Serdes.String().serializer(),
                topics.turns.valueSerde().serializer());
        steps = driver.createInputTopic(
                topics.agentSteps.name(),
                Serdes.String().serializer(),
                topics.agentSteps.valueSerde().serializer());
        deltas = driver.createOutputTopic(
                topics.deltas.name(),
                Serdes.String().deserializer(),
                topics.deltas.valueSerde().deserializer());
        responses = driver.createOutputTopic(
                topics.responses.name(),
                Serdes.String().deserializer(),
                topics.responses.valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void aStartedTurnIsFramedByOneStartAndOneCompletionOnTheDeltasTopic() {
        turns.pipeInput(ADDRESS, turn("t1", "hello"));
        steps.pipeInput(ADDRESS, answer("t1", 0, "hi there"));

        List<AgentDelta> written = deltas.readValuesToList();
        assertThat(written)
                .extracting(AgentDelta::getKind, AgentDelta::getTurnId, AgentDelta::getAgent)
                .containsExactly(
                        tuple(DeltaKind.TURN_STARTED, "t1", "demo"), tuple(DeltaKind.TURN_COMPLETED, "t1", "demo"));
        TurnCompleted completion = written.get(1).getCompletion();
        assertThat(completion).isEqualTo(responses.readValue());
        assertThat(completion.getAnswer()).isEqualTo("hi there");
        assertThat(written.getFirst().getCompletion()).isNull();
    }

    @Test
    void aQueuedTurnStartsWhenItRunsAndARejectedOneOnlyCompletes() {
        turns.pipeInput(ADDRESS, turn("t1", "one"));
        turns.pipeInput(ADDRESS, turn("t2", "two")); // queued (the queue holds one)
        turns.pipeInput(ADDRESS, turn("t3", "three")); // rejected: the queue is full
        steps.pipeInput(ADDRESS, answer("t1", 0, "first"));
        steps.pipeInput(ADDRESS, answer("t2", 0, "second"));

        assertThat(deltas.readValuesToList())
                .extracting(AgentDelta::getKind, AgentDelta::getTurnId)
                .containsExactly(
                        tuple(DeltaKind.TURN_STARTED, "t1"),
                        tuple(DeltaKind.TURN_COMPLETED, "t3"),
                        tuple(DeltaKind.TURN_COMPLETED, "t1"),
                        tuple(DeltaKind.TURN_STARTED, "t2"),
                        tuple(DeltaKind.TURN_COMPLETED, "t2"));
        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus)
                .containsExactly(
                        tuple("t3", TurnStatus.REJECTED),
                        tuple("t1", TurnStatus.COMPLETED),
                        tuple("t2", TurnStatus.COMPLETED));
    }
}
