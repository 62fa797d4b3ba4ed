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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
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

    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .turnTimeout(Duration.ofSeconds(30))
            .maxQueuedTurns(1)
            .build();
    private SessionTopologyFixture session;
    private TestInputTopic<String, TurnRequested> turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestOutputTopic<String, AgentDelta> deltas;
    private TestOutputTopic<String, TurnCompleted> responses;

    @BeforeEach
    void start() {
        session = new SessionTopologyFixture(config, Instant.parse("2026-01-01T00:00:00Z"));
        turns = session.input(session.topics.turns);
        steps = session.input(session.topics.agentSteps);
        deltas = session.output(session.topics.deltas);
        responses = session.output(session.topics.responses);
    }

    @AfterEach
    void stop() {
        session.close();
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
