package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.AgentDelta;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.DeltaKind;
import dev.skein.events.Role;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SkeinIngressTest {

    private static final String TENANT = "X-Skein-Tenant";
    private static final int MAX_MESSAGE_BYTES = 64;

    private static final RecordingGateway gateway = new RecordingGateway();
    private static final InMemorySessionEvents events = new InMemorySessionEvents();
    private static final FakeHistory history = new FakeHistory();
    private static volatile Supplier<Health> health;
    private static SkeinIngress ingress;
    private static HttpClient http;
    private static int port;

    @BeforeAll
    static void start() {
        // Avro builders resolve record defaults by class name, which Avro 1.12 allows only for
        // trusted packages; AvroSerde registers Skein's, as it does in production.
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        IngressConfig config = TestIngressConfig.builder()
                .maxMessageBytes(MAX_MESSAGE_BYTES)
                .waits(Duration.ofSeconds(2), Duration.ofSeconds(5))
                .build();
        ingress = SkeinIngress.builder(config, gateway, events, () -> health.get())
                .history(history)
                .build();
        port = ingress.start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        http.close();
        ingress.close();
    }

    @BeforeEach
    void reset() {
        gateway.reset();
        events.reset();
        history.reads = address -> Optional.empty();
        health = () -> new Health(Map.of("kafka", Health.Component.up("connected")));
    }

    @Test
    void postTurnAnswers202AndSubmitsTheTurn() throws Exception {
        long before = System.currentTimeMillis();
        HttpResponse<String> response = send(
                "POST",
                "/v1/sessions/s1/turns",
                "{\"message\":\"hello\",\"agent\":\"helper\",\"timeoutMs\":5000}",
                TENANT,
                "acme");
        long after = System.currentTimeMillis();

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("session")).isEqualTo("acme/s1");
        assertThat(body.getString("status")).isEqualTo("ACCEPTED");
        assertThat(gateway.turns).hasSize(1);
        TurnRequested turn = gateway.turns.get(0);
        assertThat(turn.getTurnId()).isEqualTo(body.getString("turnId")).matches("[0-9a-f-]{36}");
        assertThat(turn.getTenant()).isEqualTo("acme");
        assertThat(turn.getSessionId()).isEqualTo("s1");
        assertThat(turn.getMessage()).isEqualTo("hello");
        assertThat(turn.getAgent()).isEqualTo("helper");
        assertThat(turn.getTimeoutMs()).isEqualTo(5000L);
        assertThat(turn.getRequestedAtMs()).isBetween(before, after);
        assertThat(events.waiters).as("no waiter without ?wait").isEmpty();
    }

    @Test
    void postTurnUsesTheDefaultTenantAndTheClientsTurnId() throws Exception {
        HttpResponse<String> response =
                send("POST", "/v1/sessions/s2/turns", "{\"message\":\"hi\",\"turnId\":\"t-1\"}");

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(new JsonObject(response.body()).getString("turnId")).isEqualTo("t-1");
        assertThat(gateway.turns).singleElement().satisfies(turn -> {
            assertThat(turn.getTenant()).isEqualTo("default");
            assertThat(turn.getTurnId()).isEqualTo("t-1");
            assertThat(turn.getAgent()).isNull();
            assertThat(turn.getTimeoutMs()).isNull();
        });
    }

    @Test
    void waitingAnswersWithTheCompletion() throws Exception {
        // Published during submit, before the submit future completes: only a waiter registered
        // before submitting sees it.
        gateway.onTurn = turn -> events.publish(completion(turn, TurnStatus.COMPLETED, "Paris", null));

        HttpResponse<String> response =
                send("POST", "/v1/sessions/s3/turns?wait=true", "{\"message\":\"capital of France?\"}", TENANT, "acme");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("turnId")).isEqualTo(gateway.turns.get(0).getTurnId());
        assertThat(body.getString("session")).isEqualTo("acme/s3");
        assertThat(body.getString("status")).isEqualTo("COMPLETED");
        assertThat(body.getString("answer")).isEqualTo("Paris");
        assertThat(body.getString("agent")).isEqualTo("helper");
        assertThat(body.getInteger("steps")).isEqualTo(2);
        assertThat(body.getInteger("toolCalls")).isEqualTo(1);
        assertThat(body.getLong("latencyMs")).isEqualTo(1234L);
        assertThat(body.containsKey("error")).isTrue();
        assertThat(body.getString("error")).isNull();
        assertThat(events.waiters).isEmpty();
    }

    @Test
    void aFailedTurnIsStill200WithItsError() throws Exception {
        gateway.onTurn = turn -> events.publish(completion(turn, TurnStatus.FAILED, null, "tool weather timed out"));

        HttpResponse<String> response = send("POST", "/v1/sessions/s4/turns?wait=3", "{\"message\":\"weather?\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("status")).isEqualTo("FAILED");
        assertThat(body.getString("error")).isEqualTo("tool weather timed out");
    }

    @Test
    void waitingTooLongAnswers504AndForgetsTheWaiter() throws Exception {
        HttpResponse<String> response =
                send("POST", "/v1/sessions/s5/turns?wait=0.3", "{\"message\":\"slow\",\"turnId\":\"slow-1\"}");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(error(response))
                .isEqualTo("turn slow-1 did not complete within 0.3s; it is still running: "
                        + "GET /v1/sessions/s5/history or stream /v1/sessions/s5/stream");
        assertThat(gateway.turns).hasSize(1);
        assertThat(events.waiters).isEmpty();
    }

    @Test
    void aCompletionOfAnotherTenantDoesNotAnswerTheWait() throws Exception {
        gateway.onTurn = turn -> events.publish(completion(
                TurnRequested.newBuilder(turn).setTenant("other").build(), TurnStatus.COMPLETED, "secret", null));

        HttpResponse<String> response = send(
                "POST", "/v1/sessions/s6/turns?wait=0.3", "{\"message\":\"hi\",\"turnId\":\"same\"}", TENANT, "acme");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).doesNotContain("secret");
    }

    @Test
    void gatewayFailureIs503WithTheCause() throws Exception {
        gateway.failure = new IllegalStateException("Topic skein.turns not present in metadata after 10000 ms.");

        HttpResponse<String> response =
                send("POST", "/v1/sessions/s7/turns?wait=true", "{\"message\":\"hi\",\"turnId\":\"t-7\"}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(error(response))
                .isEqualTo("could not submit turn t-7 of session default/s7: "
                        + "Topic skein.turns not present in metadata after 10000 ms.; it was not accepted, retry");
        assertThat(events.waiters)
                .as("the waiter of a turn that was not submitted is dropped")
                .isEmpty();
    }

    @Test
    void historyHasMessagesWithToolCalls() throws Exception {
        SessionAddress address = new SessionAddress("acme", "h1");
        history.reads = a -> a.equals(address) ? Optional.of(sessionWithHistory()) : Optional.empty();

        HttpResponse<String> response = send("GET", "/v1/sessions/h1/history", null, TENANT, "acme");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("session")).isEqualTo("acme/h1");
        assertThat(body.getString("status")).isEqualTo("IDLE");
        JsonArray messages = body.getJsonArray("messages");
        assertThat(messages).hasSize(3);
        JsonObject user = messages.getJsonObject(0);
        assertThat(user.getLong("sequence")).isEqualTo(0L);
        assertThat(user.getString("role")).isEqualTo("user");
        assertThat(user.getString("content")).isEqualTo("weather in Paris?");
        assertThat(user.getString("turnId")).isEqualTo("t1");
        assertThat(user.getString("timestamp")).isEqualTo("2025-01-01T00:00:00Z");
        assertThat(user.getJsonArray("toolCalls")).isEmpty();
        JsonObject call = messages.getJsonObject(1).getJsonArray("toolCalls").getJsonObject(0);
        assertThat(messages.getJsonObject(1).getString("role")).isEqualTo("assistant");
        assertThat(messages.getJsonObject(1).getString("agent")).isEqualTo("helper");
        assertThat(call.getString("id")).isEqualTo("c1");
        assertThat(call.getString("name")).isEqualTo("weather");
        assertThat(call.getJsonObject("arguments")).isEqualTo(new JsonObject().put("city", "Paris"));
        JsonObject tool = messages.getJsonObject(2);
        assertThat(tool.getString("role")).isEqualTo("tool");
        assertThat(tool.getString("toolCallId")).isEqualTo("c1");
        assertThat(tool.getString("toolName")).isEqualTo("weather");
        assertThat(tool.getString("toolStatus")).isEqualTo("OK");
        assertThat(tool.getString("worker")).isEqualTo("cpu-1");
    }

    @Test
    void historyOfAnUnknownSessionIs404() throws Exception {
        HttpResponse<String> response = send("GET", "/v1/sessions/nope/history", null);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(error(response)).isEqualTo("session default/nope not found");
    }

    @Test
    void historyNotReadyIs503WithTheReadersMessage() throws Exception {
        history.reads = a -> {
            throw new IllegalStateException("store session-messages is not ready: the instance is rebalancing");
        };

        HttpResponse<String> response = send("GET", "/v1/sessions/h2/history", null);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(error(response))
                .isEqualTo("history of session default/h2 is not available right now: "
                        + "store session-messages is not ready: the instance is rebalancing");
    }

    @Test
    void aBugInTheReaderIs500WithoutDetails() throws Exception {
        history.reads = a -> {
            throw new NullPointerException("meta is null");
        };

        HttpResponse<String> response = send("GET", "/v1/sessions/h3/history", null);

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(error(response))
                .isEqualTo("reading the history of session default/h3 failed; the server log has the details");
    }

    @Test
    void approvingDenyingAndCancellingProduceTheirCommandsWithIdsAndReason() throws Exception {
        assertThat(send("POST", "/v1/sessions/c1/tool-calls/call-7/approve", null, TENANT, "acme")
                        .statusCode())
                .isEqualTo(202);
        assertThat(send(
                                "POST",
                                "/v1/sessions/c1/tool-calls/call-8/deny",
                                "{\"reason\":\"not on a Friday\"}",
                                TENANT,
                                "acme")
                        .statusCode())
                .isEqualTo(202);
        assertThat(send("POST", "/v1/sessions/c1/turns/t-3/cancel", null, TENANT, "acme")
                        .statusCode())
                .isEqualTo(202);
        HttpResponse<String> badReason =
                send("POST", "/v1/sessions/c1/tool-calls/call-9/deny", "{\"reason\":3}", TENANT, "acme");

        assertThat(badReason.statusCode()).isEqualTo(400);
        assertThat(error(badReason)).isEqualTo("'reason' must be a string");
        assertThat(gateway.commands)
                .extracting(SessionCommand::getKind)
                .containsExactly(CommandKind.APPROVE_TOOL_CALL, CommandKind.DENY_TOOL_CALL, CommandKind.CANCEL_TURN);
        assertThat(gateway.commands.get(0).getCallId()).isEqualTo("call-7");
        assertThat(gateway.commands.get(1).getReason()).isEqualTo("not on a Friday");
        assertThat(gateway.commands.get(2).getTurnId()).isEqualTo("t-3");
    }

    @Test
    void deleteHistoryProducesAClearCommand() throws Exception {
        HttpResponse<String> response = send("DELETE", "/v1/sessions/d1/history", null, TENANT, "acme");

        assertThat(response.statusCode()).isEqualTo(202);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("session")).isEqualTo("acme/d1");
        assertThat(body.getString("status")).isEqualTo("ACCEPTED");
        assertThat(gateway.commands).singleElement().satisfies(command -> {
            assertThat(command.getKind()).isEqualTo(CommandKind.CLEAR_HISTORY);
            assertThat(command.getTenant()).isEqualTo("acme");
            assertThat(command.getSessionId()).isEqualTo("d1");
            assertThat(command.getCommandId()).isEqualTo(body.getString("commandId"));
        });
    }

    @Test
    void deleteSessionProducesADeleteCommandForTheCallersTenantAndABadIdIsRefused() throws Exception {
        HttpResponse<String> response = send("DELETE", "/v1/sessions/d2", null, TENANT, "acme");
        HttpResponse<String> badId = send("DELETE", "/v1/sessions/no%20spaces", null, TENANT, "acme");

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(new JsonObject(response.body()).getString("command")).isEqualTo("DELETE_SESSION");
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(gateway.commands).singleElement().satisfies(command -> {
            assertThat(command.getKind()).isEqualTo(CommandKind.DELETE_SESSION);
            assertThat(command.getTenant()).isEqualTo("acme");
            assertThat(command.getSessionId()).isEqualTo("d2");
        });
    }

    static Stream<Arguments> refusals() {
        String tooLong = "x".repeat(MAX_MESSAGE_BYTES + 1);
        return Stream.of(
                Arguments.of(
                        "POST", "/v1/sessions/s/turns", "{\"message\":", null, 400, "request body is not valid JSON"),
                Arguments.of("POST", "/v1/sessions/s/turns", "", null, 400, "request body is empty"),
                Arguments.of(
                        "POST", "/v1/sessions/s/turns", "[\"hello\"]", null, 400, "request body must be a JSON object"),
                Arguments.of("POST", "/v1/sessions/s/turns", "{\"agent\":\"a\"}", null, 400, "'message' is missing"),
                Arguments.of("POST", "/v1/sessions/s/turns", "{\"message\":\"  \"}", null, 400, "'message' is blank"),
                Arguments.of(
                        "POST", "/v1/sessions/s/turns", "{\"message\":42}", null, 400, "'message' must be a string"),
                Arguments.of(
                        "POST", "/v1/sessions/s/turns", "{\"mesage\":\"hi\"}", null, 400, "unknown field 'mesage'"),
                Arguments.of(
                        "POST",
                        "/v1/sessions/s/turns",
                        "{\"message\":\"hi\",\"turnId\":\"a/b\"}",
                        null,
                        400,
                        "turnId 'a/b' is invalid"),
                Arguments.of(
                        "POST",
                        "/v1/sessions/s/turns",
                        "{\"message\":\"hi\",\"timeoutMs\":-1}",
                        null,
                        400,
                        "'timeoutMs' must be a positive whole number"),
                Arguments.of(
                        "POST",
                        "/v1/sessions/s/turns?wait=soon",
                        "{\"message\":\"hi\"}",
                        null,
                        400,
                        "wait must be true, false or a number of seconds"),
                Arguments.of(
                        "POST",
                        "/v1/sessions/bad%20id/turns",
                        "{\"message\":\"hi\"}",
                        null,
                        400,
                        "session id 'bad id' is invalid"),
                Arguments.of("GET", "/v1/sessions/s/history", null, "acme corp", 400, "tenant 'acme corp' is invalid"),
                Arguments.of(
                        "POST",
                        "/v1/sessions/s/turns",
                        "{\"message\":\"" + tooLong + "\"}",
                        null,
                        413,
                        "'message' is 65 bytes; the limit is 64 bytes"),
                Arguments.of(
                        "POST",
                        "/v1/sessions/s/turns",
                        "{\"message\":\"" + "y".repeat(10_000) + "\"}",
                        null,
                        413,
                        "messages are limited to 64 bytes"),
                Arguments.of("GET", "/v1/sessions/s/stream", null, null, 400, "is a WebSocket"),
                Arguments.of("GET", "/v1/nowhere", null, null, 404, "no route GET /v1/nowhere"),
                Arguments.of(
                        "PUT",
                        "/v1/sessions/s/turns",
                        "{}",
                        null,
                        405,
                        "method PUT is not allowed on /v1/sessions/s/turns"));
    }

    @ParameterizedTest(name = "{0} {1} -> {4}")
    @MethodSource("refusals")
    void refusalsAreJsonWithAMessage(String method, String path, String body, String tenant, int status, String message)
            throws Exception {
        HttpResponse<String> response =
                tenant == null ? send(method, path, body) : send(method, path, body, TENANT, tenant);

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(response)).contains(message);
        assertThat(gateway.turns).isEmpty();
    }

    @Test
    void webSocketStreamsEventsAndAcceptsTurns() throws Exception {
        SessionAddress address = new SessionAddress("acme", "w1");
        Frames frames = new Frames();
        WebSocket socket = http.newWebSocketBuilder()
                .header(TENANT, "acme")
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/sessions/w1/stream"), frames)
                .get(5, TimeUnit.SECONDS);
        try {
            assertThat(frames.next().getString("type")).isEqualTo("subscribed");

            events.publish(delta("acme", "other", "not for you"));
            events.publish(delta("acme", "w1", "Hel"));
            TurnRequested earlier = TurnRequested.newBuilder()
                    .setTenant("acme")
                    .setSessionId("w1")
                    .setTurnId("t-ws")
                    .setMessage("m")
                    .setRequestedAtMs(1_000)
                    .build();
            events.publish(completion(earlier, TurnStatus.COMPLETED, "Hello", null));

            JsonObject delta = frames.next();
            assertThat(delta.getString("type")).isEqualTo("delta");
            assertThat(delta.getString("kind")).isEqualTo("TEXT");
            assertThat(delta.getString("text")).isEqualTo("Hel");
            assertThat(delta.getString("session")).isEqualTo("acme/w1");
            JsonObject completed = frames.next();
            assertThat(completed.getString("type")).isEqualTo("completed");
            assertThat(completed.getString("turnId")).isEqualTo("t-ws");
            assertThat(completed.getString("answer")).isEqualTo("Hello");

            socket.sendText("{\"message\":\"over the socket\",\"turnId\":\"ws-1\"}", true)
                    .get(5, TimeUnit.SECONDS);
            JsonObject accepted = frames.next();
            assertThat(accepted.getString("type")).isEqualTo("accepted");
            assertThat(accepted.getString("turnId")).isEqualTo("ws-1");
            assertThat(gateway.turns).singleElement().satisfies(turn -> {
                assertThat(turn.getTenant()).isEqualTo("acme");
                assertThat(turn.getSessionId()).isEqualTo("w1");
                assertThat(turn.getMessage()).isEqualTo("over the socket");
            });

            socket.sendText("not json", true).get(5, TimeUnit.SECONDS);
            JsonObject error = frames.next();
            assertThat(error.getString("type")).isEqualTo("error");
            assertThat(error.getString("error")).contains("not valid JSON");

            socket.sendText("{\"message\":\"still open?\"}", true).get(5, TimeUnit.SECONDS);
            assertThat(frames.next().getString("type")).isEqualTo("accepted");
            assertThat(gateway.turns).hasSize(2);
            assertThat(socket.isInputClosed()).isFalse();
        } finally {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (events.subscribers(address) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(events.subscribers(address)).as("unsubscribed on close").isZero();
    }

    @Test
    void healthIsUpWhenEveryComponentIs() throws Exception {
        HttpResponse<String> response = send("GET", "/health", null);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("status")).isEqualTo("UP");
        assertThat(body.getJsonObject("components").getJsonObject("kafka"))
                .isEqualTo(new JsonObject().put("status", "UP").put("detail", "connected"));
    }

    @Test
    void healthIs503WhenAComponentIsDown() throws Exception {
        health = () -> new Health(Map.of(
                "kafka", Health.Component.up("connected"),
                "streams", Health.Component.down("state REBALANCING")));

        HttpResponse<String> response = send("GET", "/health", null);

        assertThat(response.statusCode()).isEqualTo(503);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("status")).isEqualTo("DOWN");
        assertThat(body.getJsonObject("components").getJsonObject("streams").getString("detail"))
                .isEqualTo("state REBALANCING");
    }

    @Test
    void aTakenPortFailsTheStartWithTheAddress() {
        IngressConfig config = TestIngressConfig.builder().port(port).build();
        try (SkeinIngress second = SkeinIngress.builder(config, gateway, events, () -> health.get())
                .history(history)
                .build()) {
            assertThatThrownBy(second::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ingress cannot listen on 127.0.0.1:" + port);
        }
    }

    // --- helpers ---

    private static HttpResponse<String> send(String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String error(HttpResponse<String> response) {
        return new JsonObject(response.body()).getString("error");
    }

    private static TurnCompleted completion(TurnRequested turn, TurnStatus status, String answer, String error) {
        return TurnCompleted.newBuilder()
                .setTenant(turn.getTenant())
                .setSessionId(turn.getSessionId())
                .setTurnId(turn.getTurnId())
                .setStatus(status)
                .setAnswer(answer)
                .setError(error)
                .setAgent("helper")
                .setSteps(2)
                .setToolCalls(1)
                .setRequestedAtMs(turn.getRequestedAtMs())
                .setCompletedAtMs(turn.getRequestedAtMs() + 1234)
                .build();
    }

    private static AgentDelta delta(String tenant, String session, String text) {
        return AgentDelta.newBuilder()
                .setTenant(tenant)
                .setSessionId(session)
                .setTurnId("t-ws")
                .setStep(0)
                .setKind(DeltaKind.TEXT)
                .setText(text)
                .setTimestampMs(1_000)
                .build();
    }

    private static SessionView sessionWithHistory() {
        long at = 1_735_689_600_000L; // 2025-01-01T00:00:00Z
        SessionMeta meta = SessionMeta.newBuilder()
                .setTenant("acme")
                .setSessionId("h1")
                .setNextSequence(3)
                .setStatus(SessionStatus.IDLE)
                .setCreatedAtMs(at)
                .setUpdatedAtMs(at)
                .build();
        ChatMessage user = ChatMessage.newBuilder()
                .setSequence(0)
                .setRole(Role.USER)
                .setContent("weather in Paris?")
                .setTurnId("t1")
                .setTimestampMs(at)
                .build();
        ChatMessage assistant = ChatMessage.newBuilder()
                .setSequence(1)
                .setRole(Role.ASSISTANT)
                .setAgent("helper")
                .setToolCalls(List.of(new ToolCall("c1", "weather", "{\"city\":\"Paris\"}")))
                .setTurnId("t1")
                .setTimestampMs(at)
                .build();
        ChatMessage tool = ChatMessage.newBuilder()
                .setSequence(2)
                .setRole(Role.TOOL)
                .setContent("{\"celsius\":21}")
                .setToolCallId("c1")
                .setToolName("weather")
                .setToolStatus(ToolStatus.OK)
                .setWorker("cpu-1")
                .setTurnId("t1")
                .setTimestampMs(at)
                .build();
        return new SessionView(meta, List.of(user, assistant, tool));
    }

    /** Collects whole text messages from the socket. */
    private static final class Frames implements WebSocket.Listener {
        private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        JsonObject next() throws InterruptedException {
            String message = messages.poll(5, TimeUnit.SECONDS);
            assertThat(message).as("a frame within 5 s").isNotNull();
            return new JsonObject(message);
        }
    }
}
