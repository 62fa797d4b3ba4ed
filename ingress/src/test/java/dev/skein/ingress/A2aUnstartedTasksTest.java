package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ActiveTurn;
import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A task whose turn has no message in the history yet (queued behind the session's active turn) or
 * ever (rejected): {@code GetTask} reads it as SUBMITTED or REJECTED, not as a task that does not
 * exist.
 */
class A2aUnstartedTasksTest {

    private static final RecordingGateway gateway = new RecordingGateway();
    private static final InMemorySessionEvents events = new InMemorySessionEvents();
    private static final FakeHistory history = new FakeHistory();
    private static SkeinIngress ingress;
    private static A2aTestCalls a2a;

    @BeforeAll
    static void start() {
        // Creating a serde marks the generated classes trusted, which building them with defaults needs.
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .a2a(new A2aSettings(true, List.of("demo"), "demo", null, Map.of()))
                                .build(),
                        gateway,
                        events,
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(history)
                .build();
        a2a = new A2aTestCalls(ingress.start(), null);
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    @BeforeEach
    void reset() {
        gateway.reset();
        events.reset();
    }

    @Test
    void aTaskQueuedBehindTheActiveTurnIsSubmitted() throws Exception {
        JsonObject sent = a2a.rpc(
                "demo",
                "SendMessage",
                A2aTestCalls.message("busy", null, "second question")
                        .put("configuration", new JsonObject().put("returnImmediately", true)));
        String taskId = sent.getJsonObject("result").getJsonObject("task").getString("id");
        TurnRequested queued = gateway.turns.getFirst();
        history.reads = address -> Optional.of(session(address, "first-turn", List.of(queued), List.of()));

        JsonObject got = a2a.rpc("demo", "GetTask", new JsonObject().put("id", taskId));
        assertThat(got.containsKey("error")).as(got.encode()).isFalse();
        JsonObject task = got.getJsonObject("result");

        assertThat(A2aTestCalls.state(task)).isEqualTo("TASK_STATE_SUBMITTED");
        assertThat(A2aTestCalls.statusText(task)).contains("queued behind turn first-turn");
    }

    @Test
    void aRejectedTaskIsRejectedWithItsReason() throws Exception {
        String reason = "session default/busy is busy with turn first-turn and the double-texting policy is reject";
        gateway.onTurn = turn -> events.publish(rejected(turn, reason));
        JsonObject answered = a2a.rpc("demo", "SendMessage", A2aTestCalls.message("busy", null, "again"))
                .getJsonObject("result")
                .getJsonObject("task");
        assertThat(A2aTestCalls.state(answered)).isEqualTo("TASK_STATE_REJECTED");
        String turnId = gateway.turns.getFirst().getTurnId();
        history.reads = address -> Optional.of(session(address, "first-turn", List.of(), List.of(turnId)));

        JsonObject task = a2a.rpc("demo", "GetTask", new JsonObject().put("id", answered.getString("id")))
                .getJsonObject("result");

        assertThat(A2aTestCalls.state(task)).isEqualTo("TASK_STATE_REJECTED");
        assertThat(A2aTestCalls.statusText(task)).isEqualTo(reason);
    }

    @Test
    void aRejectionThisInstanceDidNotSeeIsStillRejectedAndATurnNobodyKnowsIsNotFound() throws Exception {
        history.reads = address -> Optional.of(session(address, null, List.of(), List.of("gone")));

        JsonObject task = a2a.rpc("demo", "GetTask", new JsonObject().put("id", "busy~gone"))
                .getJsonObject("result");
        JsonObject unknown = a2a.rpc("demo", "GetTask", new JsonObject().put("id", "busy~never"));

        assertThat(A2aTestCalls.state(task)).isEqualTo("TASK_STATE_REJECTED");
        assertThat(unknown.getJsonObject("error").getInteger("code")).isEqualTo(-32001);
    }

    private static SessionView session(
            SessionAddress address, String activeTurn, List<TurnRequested> queued, List<String> finished) {
        long now = System.currentTimeMillis();
        SessionMeta.Builder meta = SessionMeta.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setStatus(activeTurn == null ? SessionStatus.IDLE : SessionStatus.AWAITING_AGENT)
                .setQueuedTurns(new ArrayList<>(queued))
                .setRecentTurnIds(new ArrayList<>(finished))
                .setCreatedAtMs(now)
                .setUpdatedAtMs(now);
        if (activeTurn != null) {
            meta.setActiveTurn(ActiveTurn.newBuilder()
                    .setTurnId(activeTurn)
                    .setAgent("demo")
                    .setStep(0)
                    .setRequestedAtMs(now)
                    .setStartedAtMs(now)
                    .setDeadlineMs(now + 60_000)
                    .setAgentAttempt(1)
                    .setToolCallCount(0)
                    .setPendingCalls(new ArrayList<>())
                    .build());
        }
        return new SessionView(meta.build(), List.of());
    }

    private static TurnCompleted rejected(TurnRequested turn, String reason) {
        return TurnCompleted.newBuilder()
                .setTenant(turn.getTenant())
                .setSessionId(turn.getSessionId())
                .setTurnId(turn.getTurnId())
                .setStatus(TurnStatus.REJECTED)
                .setError(reason)
                .setAgent(turn.getAgent())
                .setSteps(0)
                .setToolCalls(0)
                .setRequestedAtMs(turn.getRequestedAtMs())
                .setCompletedAtMs(turn.getRequestedAtMs() + 1)
                .build();
    }
}
