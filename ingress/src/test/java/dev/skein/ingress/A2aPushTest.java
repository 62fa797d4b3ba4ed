package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.skein.events.ActiveTurn;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Push notifications: the config operations of both bindings, and delivery to a webhook server this
 * test runs (on loopback, which {@code allow-private-addresses} lets through here), with its token
 * and authentication, retried on 5xx, never redirected; and the SSRF checks with the default.
 */
class A2aPushTest {

    private static final long T0 = 1_780_000_000_000L;
    private static final RecordingGateway gateway = new RecordingGateway();
    private static final InMemorySessionEvents events = new InMemorySessionEvents();
    private static final FakeHistory history = new FakeHistory();
    private static final Map<SessionAddress, SessionView> sessions = new ConcurrentHashMap<>();
    private static final A2aPushStore store = A2aPushStore.inMemory();
    /** What the webhook got: path, headers of note, body. */
    private static final List<JsonObject> received = new CopyOnWriteArrayList<>();
    /** How many of the next requests to /flaky the webhook fails with 503. */
    private static final AtomicInteger failures = new AtomicInteger();

    private static HttpServer webhook;
    private static SkeinIngress ingress;
    private static A2aTestCalls a2a;

    @BeforeAll
    static void start() throws Exception {
        // Creating a serde marks the generated classes trusted, which building them with defaults needs.
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            received.add(new JsonObject()
                    .put("path", path)
                    .put("authorization", exchange.getRequestHeaders().getFirst("Authorization"))
                    .put("token", exchange.getRequestHeaders().getFirst("X-A2A-Notification-Token"))
                    .put("contentType", exchange.getRequestHeaders().getFirst("Content-Type"))
                    .put(
                            "body",
                            new JsonObject(
                                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))));
            int status = 200;
            if (path.equals("/flaky") && failures.getAndDecrement() > 0) {
                status = 503;
            } else if (path.equals("/moved")) {
                exchange.getResponseHeaders().add("Location", "/elsewhere");
                status = 302;
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        webhook.start();
        history.reads = address -> Optional.ofNullable(sessions.get(address));
        A2aPushSettings push = new A2aPushSettings(
                true,
                true,
                Duration.ofSeconds(2),
                Duration.ofSeconds(5),
                4,
                Duration.ofMillis(50),
                Duration.ofMillis(100));
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .a2a(new A2aSettings(true, List.of("demo"), "demo", null, Map.of()))
                                .build(),
                        gateway,
                        events,
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(history)
                .a2a(new A2aFeatures(push, store, A2aCardSigner.NONE))
                .build();
        a2a = new A2aTestCalls(ingress.start(), null);
    }

    @AfterAll
    static void stop() {
        ingress.close();
        webhook.stop(0);
    }

    @BeforeEach
    void reset() {
        gateway.reset();
        events.reset();
        sessions.clear();
        received.clear();
        store.all().forEach(c -> store.delete(c.tenant(), c.taskId(), c.id()));
        running("trip", "t1");
    }

    @Test
    void theCardOffersPushNotifications() throws Exception {
        JsonObject card =
                new JsonObject(a2a.get("/a2a/demo/.well-known/agent-card.json").body());
        assertThat(card.getJsonObject("capabilities").getBoolean("pushNotifications"))
                .isTrue();
    }

    @Test
    void configsAreCreatedReadListedAndDeletedWithoutShowingTheirCredentials() throws Exception {
        JsonObject created = a2a.rpc("demo", "CreateTaskPushNotificationConfig", config("trip~t1", "/hook", "c1"))
                .getJsonObject("result");
        assertThat(created.getString("id")).isEqualTo("c1");
        assertThat(created.getString("url")).isEqualTo(hook("/hook"));
        assertThat(created.getJsonObject("authentication").getString("scheme")).isEqualTo("Bearer");
        assertThat(created.encode()).doesNotContain("hook-secret");

        var got = a2a.get("/a2a/demo/rest/tasks/trip~t1/pushNotificationConfigs/c1");
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(got.body()).getString("token")).isEqualTo("tok-1");
        JsonObject listed = a2a.rpc(
                        "demo", "ListTaskPushNotificationConfigs", new JsonObject().put("taskId", "trip~t1"))
                .getJsonObject("result");
        assertThat(listed.getJsonArray("configs")).hasSize(1);
        assertThat(listed.getString("nextPageToken")).isEmpty();

        assertThat(a2a.delete("/a2a/demo/rest/tasks/trip~t1/pushNotificationConfigs/c1")
                        .statusCode())
                .isEqualTo(200);
        assertThat(a2a.delete("/a2a/demo/rest/tasks/trip~t1/pushNotificationConfigs/c1")
                        .statusCode())
                .as("deleting is idempotent")
                .isEqualTo(200);
        assertThat(a2a.get("/a2a/demo/rest/tasks/trip~t1/pushNotificationConfigs/c1")
                        .statusCode())
                .isEqualTo(404);
        JsonObject unknown = a2a.rpc("demo", "CreateTaskPushNotificationConfig", config("trip~never", "/hook", "c2"));
        assertThat(unknown.getJsonObject("error").getInteger("code")).isEqualTo(-32001);
    }

    @Test
    void eachChangeOfStateIsPostedWithTheTokenAndTheCredentialsThenTheFinalTask() throws Exception {
        a2a.post(
                "/a2a/demo/rest/tasks/trip~t1/pushNotificationConfigs",
                config(null, "/hook", "c1").encode());

        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        JsonObject working = received.getFirst();
        assertThat(working.getString("authorization")).isEqualTo("Bearer hook-secret");
        assertThat(working.getString("token")).isEqualTo("tok-1");
        assertThat(working.getString("contentType")).isEqualTo("application/a2a+json");
        assertThat(working.getJsonObject("body")
                        .getJsonObject("statusUpdate")
                        .getJsonObject("status")
                        .getString("state"))
                .isEqualTo("TASK_STATE_WORKING");

        answered("trip", "t1", "booked");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
        JsonObject task = received.get(1).getJsonObject("body").getJsonObject("task");
        assertThat(task.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(task.getJsonArray("artifacts").encode()).contains("booked");
        await().atMost(Duration.ofSeconds(5)).until(() -> store.all().isEmpty());
        Thread.sleep(300); // a few more polls: nothing more is sent for a finished task
        assertThat(received).hasSize(2);
    }

    @Test
    void aFailingWebhookIsRetriedWithBackoffAndARedirectIsNotFollowed() throws Exception {
        failures.set(2);
        JsonObject message = A2aTestCalls.message("trip2", null, "go")
                .put(
                        "configuration",
                        new JsonObject()
                                .put("returnImmediately", true)
                                .put("taskPushNotificationConfig", config(null, "/flaky", "f1")));
        JsonObject sent =
                a2a.rpc("demo", "SendMessage", message).getJsonObject("result").getJsonObject("task");
        String turn = gateway.turns.getFirst().getTurnId();
        assertThat(sent.getString("id")).isEqualTo("trip2~" + turn);
        running("trip2", turn);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> received.stream()
                                .filter(r -> r.getString("path").equals("/flaky"))
                                .count()
                        == 3);

        a2a.rpc("demo", "CreateTaskPushNotificationConfig", config("trip~t1", "/moved", "m1"));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> received.stream().anyMatch(r -> r.getString("path").equals("/moved")));
        Thread.sleep(500);
        assertThat(received.stream().filter(r -> r.getString("path").equals("/moved")))
                .hasSize(1);
        assertThat(received.stream().noneMatch(r -> r.getString("path").equals("/elsewhere")))
                .isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://127.0.0.1:8080/hook",
                "http://localhost/hook",
                "http://[::1]/hook",
                "http://169.254.169.254/latest/meta-data",
                "http://10.1.2.3/",
                "http://172.16.0.1/",
                "http://192.168.1.1/",
                "http://100.64.0.1/",
                "http://0.0.0.0/",
                "http://[fd00::1]/",
                "file:///etc/passwd",
                "gopher://example.com/",
                "http://user:pw@example.com/",
                "not a url",
                "http:///nohost"
            })
    void internalAndNonHttpWebhooksAreRefusedByDefault(String url) {
        Vertx vertx = Vertx.vertx();
        try {
            A2aWebhooks strict = new A2aWebhooks(vertx, A2aPushSettings.OFF);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> strict.check(url))
                    .isInstanceOf(A2aError.class)
                    .satisfies(e -> assertThat(((A2aError) e).code()).isEqualTo(-32602));
        } finally {
            vertx.close();
        }
    }

    @Test
    void aConfigWithAnInternalWebhookIsRefusedBeforeTheMessageIsSubmitted() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            assertThat(A2aWebhooks.isInternal(InetAddress.getByName("8.8.8.8"))).isFalse();
            assertThat(A2aWebhooks.isInternal(InetAddress.getByName("2001:4860:4860::8888")))
                    .isFalse();
        } finally {
            vertx.close();
        }
        JsonObject bad = a2a.rpc(
                "demo",
                "SendMessage",
                A2aTestCalls.message("trip3", null, "go")
                        .put(
                                "configuration",
                                new JsonObject()
                                        .put("taskPushNotificationConfig", new JsonObject().put("url", "ftp://x/"))));
        assertThat(bad.getJsonObject("error").getInteger("code")).isEqualTo(-32602);
        assertThat(gateway.turns).isEmpty();
    }

    /** Hostile config fields: header injection, wrong types, sizes past the limits, bad ids. */
    static Stream<JsonObject> hostileConfigs() {
        String url = "http://127.0.0.1:1/hook";
        return Stream.of(
                new JsonObject().put("url", url).put("token", "t\r\nX-Injected: yes"),
                new JsonObject().put("url", url).put("token", "x".repeat(A2aPushConfig.MAX_TOKEN + 1)),
                new JsonObject().put("url", url).put("token", 7),
                new JsonObject().put("url", url).put("authentication", new JsonObject().put("scheme", "Bearer x")),
                new JsonObject().put("url", url).put("authentication", new JsonObject().put("scheme", "")),
                new JsonObject().put("url", url).put("authentication", "Bearer x"),
                new JsonObject()
                        .put("url", url)
                        .put(
                                "authentication",
                                new JsonObject().put("scheme", "Bearer").put("credentials", "a\nb")),
                new JsonObject().put("url", "http://127.0.0.1:1/" + "a".repeat(A2aPushConfig.MAX_URL)),
                new JsonObject().put("url", ""),
                new JsonObject().put("url", 5),
                new JsonObject(),
                new JsonObject().put("url", url).put("id", "../x"),
                new JsonObject().put("url", url).put("id", "a/b"),
                new JsonObject().put("url", url).put("taskId", "trip~other"));
    }

    @ParameterizedTest
    @MethodSource("hostileConfigs")
    void hostileConfigFieldsAreInvalidParamsAndNothingIsStored(JsonObject config) throws Exception {
        if (!config.containsKey("taskId")) {
            // On JSON-RPC the config's taskId names the task: only the REST path can contradict it.
            JsonObject answer = a2a.rpc(
                    "demo", "CreateTaskPushNotificationConfig", config.copy().put("taskId", "trip~t1"));
            assertThat(answer.getJsonObject("error").getInteger("code"))
                    .as(answer.encode())
                    .isEqualTo(-32602);
        }
        var rest = a2a.post("/a2a/demo/rest/tasks/trip~t1/pushNotificationConfigs", config.encode());
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(400);
        assertThat(store.all()).isEmpty();
    }

    private static JsonObject config(String taskId, String path, String id) {
        JsonObject config = new JsonObject()
                .put("id", id)
                .put("url", hook(path))
                .put("token", "tok-1")
                .put("authentication", new JsonObject().put("scheme", "Bearer").put("credentials", "hook-secret"));
        return taskId == null ? config : config.put("taskId", taskId);
    }

    private static String hook(String path) {
        return "http://127.0.0.1:" + webhook.getAddress().getPort() + path;
    }

    private static void running(String session, String turn) {
        SessionMeta meta = SessionMeta.newBuilder()
                .setQueuedTurns(new ArrayList<>())
                .setRecentTurnIds(new ArrayList<>())
                .setTenant("default")
                .setSessionId(session)
                .setNextSequence(1)
                .setStatus(SessionStatus.AWAITING_AGENT)
                .setActiveTurn(ActiveTurn.newBuilder()
                        .setTurnId(turn)
                        .setAgent("demo")
                        .setStep(0)
                        .setAgentAttempt(1)
                        .setToolCallCount(0)
                        .setPendingCalls(new ArrayList<>())
                        .setRequestedAtMs(T0)
                        .setStartedAtMs(T0)
                        .setDeadlineMs(T0 + 60_000)
                        .build())
                .setCreatedAtMs(T0)
                .setUpdatedAtMs(T0)
                .build();
        sessions.put(
                new SessionAddress("default", session),
                new SessionView(meta, List.of(message(0, Role.USER, turn, "go"))));
    }

    private static void answered(String session, String turn, String answer) {
        SessionMeta meta = SessionMeta.newBuilder()
                .setQueuedTurns(new ArrayList<>())
                .setRecentTurnIds(new ArrayList<>())
                .setTenant("default")
                .setSessionId(session)
                .setNextSequence(2)
                .setStatus(SessionStatus.IDLE)
                .setCreatedAtMs(T0)
                .setUpdatedAtMs(T0 + 10)
                .build();
        sessions.put(
                new SessionAddress("default", session),
                new SessionView(
                        meta, List.of(message(0, Role.USER, turn, "go"), message(1, Role.ASSISTANT, turn, answer))));
    }

    private static ChatMessage message(long sequence, Role role, String turn, String text) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(role)
                .setContent(text)
                .setTurnId(turn)
                .setToolCalls(new ArrayList<>())
                .setTimestampMs(T0 + sequence)
                .build();
    }
}
