package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ActiveTurn;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.PendingCall;
import dev.skein.events.Role;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonArray;
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
 * A task that holds tool calls for approval is answered by an A2A message with its taskId and an
 * {@code {"approve": [...]}} / {@code {"deny": [...]}} data part: the approve and deny commands of
 * its running turn, no new turn.
 */
class A2aApprovalTest {

    private static final long T0 = 1_780_000_000_000L;
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
        history.reads = address -> address.sessionId().equals("ops") ? Optional.of(holding(address)) : Optional.empty();
    }

    @Test
    void theStatusMessageSaysHowToApprove() throws Exception {
        JsonObject task =
                a2a.rpc("demo", "GetTask", new JsonObject().put("id", "ops~t1")).getJsonObject("result");
        assertThat(A2aTestCalls.state(task)).isEqualTo("TASK_STATE_INPUT_REQUIRED");
        assertThat(A2aTestCalls.statusText(task))
                .contains("{\"approve\": [\"call_1\"]}")
                .contains("call_2");
    }

    @Test
    void approveAndDenyBecomeTheCommandsOfTheRunningTurn() throws Exception {
        JsonObject answer = a2a.rpc(
                "demo",
                "SendMessage",
                decision(new JsonObject()
                        .put("approve", new JsonArray().add("call_1"))
                        .put("deny", new JsonArray().add("call_2"))
                        .put("reason", "not that one")));

        assertThat(answer.containsKey("error")).as(answer.encode()).isFalse();
        assertThat(gateway.turns).isEmpty();
        assertThat(gateway.commands)
                .extracting(SessionCommand::getKind, SessionCommand::getCallId, SessionCommand::getTurnId)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(CommandKind.APPROVE_TOOL_CALL, "call_1", "t1"),
                        org.assertj.core.groups.Tuple.tuple(CommandKind.DENY_TOOL_CALL, "call_2", "t1"));
        assertThat(gateway.commands.get(1).getReason()).isEqualTo("not that one");
        assertThat(answer.getJsonObject("result").getJsonObject("task").getString("id"))
                .isEqualTo("ops~t1");
    }

    @Test
    void aCallTheTaskDoesNotHoldOrATaskHoldingNoneIsRefusedAndNothingIsSent() throws Exception {
        JsonObject unknown = a2a.rpc(
                "demo", "SendMessage", decision(new JsonObject().put("approve", new JsonArray().add("call_9"))));
        assertThat(unknown.getJsonObject("error").getInteger("code")).isEqualTo(-32602);
        assertThat(unknown.getJsonObject("error").getString("message")).contains("call_1", "call_2");

        JsonObject empty = a2a.rpc("demo", "SendMessage", decision(new JsonObject().put("approve", new JsonArray())));
        assertThat(empty.getJsonObject("error").getInteger("code")).isEqualTo(-32602);

        JsonObject notHeld = a2a.rpc(
                "demo",
                "SendMessage",
                A2aTestCalls.message(null, "ops~other", "x")
                        .put(
                                "message",
                                withData(
                                        A2aTestCalls.message(null, "ops~other", "x")
                                                .getJsonObject("message"),
                                        new JsonObject().put("approve", new JsonArray().add("call_1")))));
        assertThat(notHeld.getJsonObject("error").getInteger("code")).isEqualTo(-32001);

        JsonObject noTask = a2a.rpc(
                "demo",
                "SendMessage",
                new JsonObject()
                        .put(
                                "message",
                                withData(
                                        A2aTestCalls.message("ops", null, "x").getJsonObject("message"),
                                        new JsonObject().put("approve", new JsonArray().add("call_1")))));
        assertThat(noTask.getJsonObject("error").getInteger("code")).isEqualTo(-32602);
        assertThat(gateway.commands).isEmpty();
        assertThat(gateway.turns).isEmpty();
    }

    private static JsonObject decision(JsonObject data) {
        JsonObject params = A2aTestCalls.message(null, "ops~t1", "my decision");
        withData(params.getJsonObject("message"), data);
        return params.put("configuration", new JsonObject().put("returnImmediately", true));
    }

    private static JsonObject withData(JsonObject message, JsonObject data) {
        message.getJsonArray("parts").add(new JsonObject().put("data", data));
        return message;
    }

    private static SessionView holding(SessionAddress address) {
        List<PendingCall> calls = new ArrayList<>();
        for (String id : List.of("call_1", "call_2")) {
            calls.add(PendingCall.newBuilder()
                    .setCallId(id)
                    .setTool("shell")
                    .setArgumentsJson("{}")
                    .setAwaitingApproval(true)
                    .build());
        }
        SessionMeta meta = SessionMeta.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setQueuedTurns(new ArrayList<>())
                .setRecentTurnIds(new ArrayList<>())
                .setNextSequence(1)
                .setStatus(SessionStatus.AWAITING_TOOLS)
                .setActiveTurn(ActiveTurn.newBuilder()
                        .setTurnId("t1")
                        .setAgent("demo")
                        .setStep(1)
                        .setAgentAttempt(1)
                        .setToolCallCount(2)
                        .setPendingCalls(calls)
                        .setRequestedAtMs(T0)
                        .setStartedAtMs(T0)
                        .setDeadlineMs(T0 + 60_000)
                        .build())
                .setCreatedAtMs(T0)
                .setUpdatedAtMs(T0)
                .build();
        ChatMessage user = ChatMessage.newBuilder()
                .setSequence(0)
                .setRole(Role.USER)
                .setContent("clean up")
                .setTurnId("t1")
                .setToolCalls(new ArrayList<>())
                .setTimestampMs(T0)
                .build();
        return new SessionView(meta, List.of(user));
    }
}
