package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.events.ActiveTurn;
import dev.skein.events.AgentDelta;
import dev.skein.events.ChatMessage;
import dev.skein.events.DeltaKind;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ListTasks, SubscribeToTask and the HTTP+JSON binding's {@code /{tenant}} prefix, with
 * authentication off (the named tenant is used, else the default one), over both bindings.
 */
class A2aTaskListAndSubscribeTest {

    private static final long T0 = 1_780_000_000_000L;
    private static final RecordingGateway gateway = new RecordingGateway();
    private static final InMemorySessionEvents events = new InMemorySessionEvents();
    private static final FakeHistory history = new FakeHistory();
    private static final Map<SessionAddress, SessionView> sessions = new ConcurrentHashMap<>();
    private static SkeinIngress ingress;
    private static A2aTestCalls a2a;

    @BeforeAll
    static void start() {
        // Creating a serde marks the generated classes trusted, which building them with defaults needs.
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        history.reads = address -> Optional.ofNullable(sessions.get(address));
        SessionDirectory.SessionLister lister = tenant -> sessions.values().stream()
                .map(SessionView::meta)
                .filter(meta -> meta.getTenant().equals(tenant));
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .a2a(new A2aSettings(true, List.of("demo"), "demo", null, Map.of()))
                                .build(),
                        gateway,
                        events,
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .sessions(ClusterReads.single(history, lister))
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
        sessions.clear();
        // Tenant default: "trip" has an answered task (t1, oldest) and a running one (t3);
        // "chat" has a failed one (t2). Tenant acme has one of its own.
        put(
                "default",
                "trip",
                "t3",
                List.of(user(0, "t1", T0, "book"), agent(1, "t1", T0 + 10, "booked", null)),
                List.of(user(2, "t3", T0 + 30, "and a hotel")));
        put(
                "default",
                "chat",
                null,
                List.of(user(0, "t2", T0 + 20, "hi"), agent(1, "t2", T0 + 21, "no", "FAILED")),
                List.of());
        put("acme", "secret", null, List.of(user(0, "a1", T0 + 40, "acme only")), List.of());
    }

    @Test
    void listTasksOrdersFiltersAndPagesTheTenantsTasks() throws Exception {
        JsonObject all = a2a.rpc("demo", "ListTasks", new JsonObject()).getJsonObject("result");
        assertThat(ids(all)).containsExactly("trip~t3", "chat~t2", "trip~t1");
        assertThat(all.getInteger("totalSize")).isEqualTo(3);
        assertThat(all.getString("nextPageToken")).isEmpty();
        assertThat(all.getJsonArray("tasks").getJsonObject(2).containsKey("artifacts"))
                .isFalse();

        JsonObject trip = a2a.rpc(
                        "demo",
                        "ListTasks",
                        new JsonObject().put("contextId", "trip").put("includeArtifacts", true))
                .getJsonObject("result");
        assertThat(ids(trip)).containsExactly("trip~t3", "trip~t1");
        assertThat(trip.getJsonArray("tasks")
                        .getJsonObject(1)
                        .getJsonArray("artifacts")
                        .encode())
                .contains("booked");

        JsonObject failed = a2a.rpc("demo", "ListTasks", new JsonObject().put("status", "TASK_STATE_FAILED"))
                .getJsonObject("result");
        assertThat(ids(failed)).containsExactly("chat~t2");

        JsonObject first = a2a.rpc(
                        "demo", "ListTasks", new JsonObject().put("pageSize", 2).put("historyLength", 0))
                .getJsonObject("result");
        assertThat(ids(first)).containsExactly("trip~t3", "chat~t2");
        assertThat(first.getJsonArray("tasks").getJsonObject(0).getJsonArray("history"))
                .isEmpty();
        HttpResponse<String> second =
                a2a.get("/a2a/demo/rest/tasks?pageSize=2&pageToken=" + first.getString("nextPageToken"));
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(ids(new JsonObject(second.body()))).containsExactly("trip~t1");
    }

    @Test
    void theTenantPrefixAndFieldChooseTheTenantWhenAuthenticationIsOff() throws Exception {
        HttpResponse<String> acme = a2a.get("/a2a/demo/rest/acme/tasks");
        assertThat(ids(new JsonObject(acme.body()))).containsExactly("secret~a1");
        JsonObject byField = a2a.rpc("demo", "ListTasks", new JsonObject().put("tenant", "acme"))
                .getJsonObject("result");
        assertThat(ids(byField)).containsExactly("secret~a1");
        assertThat(a2a.get("/a2a/demo/rest/acme/tasks/secret~a1").statusCode()).isEqualTo(200);
        assertThat(a2a.get("/a2a/demo/rest/tasks/secret~a1").statusCode()).isEqualTo(404);

        a2a.post(
                "/a2a/demo/rest/acme/message:send",
                A2aTestCalls.message("c9", null, "hello")
                        .put("configuration", new JsonObject().put("returnImmediately", true))
                        .encode());
        assertThat(gateway.turns.getFirst().getTenant()).isEqualTo("acme");

        HttpResponse<String> contradictory = a2a.post(
                "/a2a/demo/rest/acme/message:send",
                A2aTestCalls.message("c9", null, "x").put("tenant", "globex").encode());
        assertThat(contradictory.statusCode()).isEqualTo(400);
        assertThat(gateway.turns).hasSize(1);
    }

    @Test
    void aBadListRequestIsInvalidParams() throws Exception {
        for (JsonObject params : List.of(
                new JsonObject().put("pageSize", 0),
                new JsonObject().put("pageSize", 101),
                new JsonObject().put("status", "DONE"),
                new JsonObject().put("pageToken", "not-ours"),
                new JsonObject().put("contextId", "../x"),
                new JsonObject().put("statusTimestampAfter", "yesterday"))) {
            assertThat(a2a.rpc("demo", "ListTasks", params)
                            .getJsonObject("error")
                            .getInteger("code"))
                    .as(params.encode())
                    .isEqualTo(-32602);
        }
        assertThat(a2a.get("/a2a/demo/rest/tasks?limit=3").statusCode()).isEqualTo(400);
    }

    @Test
    void subscribingToARunningTaskStreamsItsEventsUntilItEnds() throws Exception {
        CompletableFuture<HttpResponse<String>> stream =
                CompletableFuture.supplyAsync(() -> uncheckedGet("/a2a/demo/rest/tasks/trip~t3:subscribe"));
        SessionAddress trip = new SessionAddress("default", "trip");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !events.listeners.getOrDefault(trip, List.of()).isEmpty());
        events.publish(text("t3", "Hotel "));
        events.publish(text("other", "not this task"));
        events.publish(completed("t3", "Hotel booked"));

        List<JsonObject> received = A2aTestCalls.events(stream.get().body(), false);

        assertThat(received.getFirst()
                        .getJsonObject("task")
                        .getJsonObject("status")
                        .getString("state"))
                .isEqualTo("TASK_STATE_WORKING");
        assertThat(received.toString()).doesNotContain("not this task");
        JsonObject last = received.getLast().getJsonObject("statusUpdate");
        assertThat(last.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(received.stream()
                        .filter(e -> e.containsKey("artifactUpdate"))
                        .toList())
                .extracting(e -> e.getJsonObject("artifactUpdate")
                        .getJsonObject("artifact")
                        .encode())
                .anySatisfy(artifact -> assertThat(artifact).contains("Hotel booked"));
    }

    @Test
    void subscribingToAFinishedTaskIsUnsupportedAndToAnUnknownOneNotFound() throws Exception {
        List<JsonObject> finished = a2a.rpcStream("demo", "SubscribeToTask", new JsonObject().put("id", "trip~t1"));
        assertThat(finished.getFirst().getJsonObject("error").getInteger("code"))
                .isEqualTo(-32004);
        HttpResponse<String> unknown = a2a.get("/a2a/demo/rest/tasks/trip~nope:subscribe");
        assertThat(unknown.statusCode()).isEqualTo(404);
    }

    private static HttpResponse<String> uncheckedGet(String path) {
        try {
            return a2a.get(path);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> ids(JsonObject listing) {
        List<String> ids = new ArrayList<>();
        listing.getJsonArray("tasks").forEach(t -> ids.add(((JsonObject) t).getString("id")));
        return ids;
    }

    private static void put(
            String tenant, String id, String active, List<ChatMessage> done, List<ChatMessage> running) {
        List<ChatMessage> messages = new ArrayList<>(done);
        messages.addAll(running);
        long updated = messages.getLast().getTimestampMs();
        SessionMeta.Builder meta = SessionMeta.newBuilder()
                .setQueuedTurns(new ArrayList<>())
                .setRecentTurnIds(new ArrayList<>())
                .setTenant(tenant)
                .setSessionId(id)
                .setNextSequence(messages.size())
                .setStatus(active == null ? SessionStatus.IDLE : SessionStatus.AWAITING_AGENT)
                .setCreatedAtMs(T0)
                .setUpdatedAtMs(updated);
        if (active != null) {
            meta.setActiveTurn(ActiveTurn.newBuilder()
                    .setTurnId(active)
                    .setAgent("demo")
                    .setStep(0)
                    .setAgentAttempt(1)
                    .setToolCallCount(0)
                    .setPendingCalls(new ArrayList<>())
                    .setRequestedAtMs(updated)
                    .setStartedAtMs(updated)
                    .setDeadlineMs(updated + 60_000)
                    .build());
        }
        sessions.put(new SessionAddress(tenant, id), new SessionView(meta.build(), messages));
    }

    private static ChatMessage user(long sequence, String turn, long at, String text) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(Role.USER)
                .setContent(text)
                .setTurnId(turn)
                .setTimestampMs(at)
                .build();
    }

    private static ChatMessage agent(long sequence, String turn, long at, String text, String outcome) {
        ChatMessage.Builder message = ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(Role.ASSISTANT)
                .setContent(text)
                .setTurnId(turn)
                .setToolCalls(new ArrayList<>())
                .setTimestampMs(at);
        if (outcome != null) {
            message.setOutcome(dev.skein.events.TurnOutcome.valueOf(outcome));
        }
        return message.build();
    }

    private static AgentDelta text(String turn, String text) {
        return AgentDelta.newBuilder()
                .setTenant("default")
                .setSessionId("trip")
                .setTurnId(turn)
                .setStep(0)
                .setKind(DeltaKind.TEXT)
                .setText(text)
                .setTimestampMs(T0 + 50)
                .build();
    }

    private static TurnCompleted completed(String turn, String answer) {
        return TurnCompleted.newBuilder()
                .setTenant("default")
                .setSessionId("trip")
                .setTurnId(turn)
                .setStatus(TurnStatus.COMPLETED)
                .setAnswer(answer)
                .setAgent("demo")
                .setRequestedAtMs(T0 + 30)
                .setCompletedAtMs(T0 + 60)
                .build();
    }
}
