package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The A2A 1.0 routes against in-memory collaborators: what reaches the gateway, and the protocol's
 * answer to every malformed request (a JSON-RPC error with the code the specification gives, and
 * nothing submitted).
 */
class A2aRoutesTest {

    private static final RecordingGateway gateway = new RecordingGateway();
    private static final InMemorySessionEvents events = new InMemorySessionEvents();
    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static SkeinIngress ingress;
    private static int port;

    @BeforeAll
    static void start() {
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .maxMessageBytes(1_000)
                                .a2a(new A2aSettings(true, List.of("demo", "helper"), "demo", null, Map.of()))
                                .build(),
                        gateway,
                        events,
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
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
    void cardsNameTheAgentsAndTheirInterfaces() throws Exception {
        JsonObject card = new JsonObject(get("/.well-known/agent-card.json").body());
        assertThat(card.getString("name")).isEqualTo("demo");
        JsonArray interfaces = card.getJsonArray("supportedInterfaces");
        assertThat(interfaces.getJsonObject(0).getString("url")).isEqualTo(base() + "/a2a/demo");
        assertThat(interfaces.getJsonObject(0).getString("protocolBinding")).isEqualTo("JSONRPC");
        assertThat(interfaces.getJsonObject(1).getString("url")).isEqualTo(base() + "/a2a/demo/rest");
        assertThat(card.getJsonArray("skills").size()).isEqualTo(2);
        assertThat(card.containsKey("securitySchemes")).isFalse();
        JsonObject helper =
                new JsonObject(get("/a2a/helper/.well-known/agent-card.json").body());
        assertThat(helper.getString("name")).isEqualTo("helper");
        assertThat(get("/a2a/nobody/.well-known/agent-card.json").statusCode()).isEqualTo(404);
        assertThat(post("/a2a/nobody", rpc("SendMessage", send("hi"))).statusCode())
                .isEqualTo(404);
    }

    @Test
    void aMessageIsATurnOfTheContextsSession() throws Exception {
        gateway.onTurn = turn -> events.publish(completed(turn, "[demo] hello"));

        JsonObject reply = new JsonObject(
                post("/a2a/helper", rpc("SendMessage", send("hi there"))).body());

        JsonObject task = reply.getJsonObject("result").getJsonObject("task");
        assertThat(task.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(task.getJsonArray("artifacts")
                        .getJsonObject(0)
                        .getJsonArray("parts")
                        .getJsonObject(0)
                        .getString("text"))
                .isEqualTo("[demo] hello");
        TurnRequested turn = gateway.turns.getFirst();
        assertThat(turn.getSessionId()).isEqualTo("ctx-1");
        assertThat(turn.getAgent()).isEqualTo("helper");
        assertThat(turn.getMessage()).isEqualTo("hi there");
        assertThat(task.getString("id")).isEqualTo("ctx-1~" + turn.getTurnId());
    }

    @Test
    void aStreamCarriesTheTaskTheTokensTheAnswerAndTheFinalStatus() throws Exception {
        gateway.onTurn = turn -> {
            events.publish(delta(turn, "Hel"));
            events.publish(delta(turn, "lo"));
            events.publish(completed(turn, "Hello"));
        };

        HttpResponse<String> response = post("/a2a/demo", rpc("SendStreamingMessage", send("hi")));

        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<JsonObject> results = new ArrayList<>();
        for (String event : response.body().split("\n\n")) {
            results.add(new JsonObject(event.substring("data: ".length())).getJsonObject("result"));
        }
        assertThat(results)
                .extracting(r -> r.fieldNames().iterator().next())
                .containsExactly(
                        "task", "statusUpdate", "artifactUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate");
        assertThat(results.get(3).getJsonObject("artifactUpdate").getBoolean("append"))
                .isTrue();
        JsonObject whole = results.get(4).getJsonObject("artifactUpdate");
        assertThat(whole.getBoolean("append")).isFalse();
        assertThat(whole.getBoolean("lastChunk")).isTrue();
        assertThat(results.getLast()
                        .getJsonObject("statusUpdate")
                        .getJsonObject("status")
                        .getString("state"))
                .isEqualTo("TASK_STATE_COMPLETED");
    }

    static Stream<Arguments> malformed() {
        String goodMessage = "{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"hi\"}]}";
        return Stream.of(
                Arguments.of("not JSON", "{", -32700),
                Arguments.of("empty body", "", -32700),
                Arguments.of("a batch", "[" + rpc("GetTask", "{\"id\":\"a~b\"}") + "]", -32600),
                Arguments.of("JSON-RPC 1.0", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"GetTask\"}", -32600),
                Arguments.of("method not a string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", -32600),
                Arguments.of("id an object", "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"GetTask\"}", -32600),
                Arguments.of(
                        "duplicate keys",
                        "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}",
                        -32700),
                Arguments.of(
                        "params an array",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":[]}",
                        -32602),
                Arguments.of("no message", rpc("SendMessage", "{}"), -32602),
                Arguments.of("message a string", rpc("SendMessage", "{\"message\":\"hi\"}"), -32602),
                Arguments.of(
                        "0.3 role",
                        rpc("SendMessage", "{\"message\":" + goodMessage.replace("ROLE_USER", "user") + "}"),
                        -32602),
                Arguments.of(
                        "agent role",
                        rpc("SendMessage", "{\"message\":" + goodMessage.replace("ROLE_USER", "ROLE_AGENT") + "}"),
                        -32602),
                Arguments.of(
                        "no messageId",
                        rpc("SendMessage", "{\"message\":" + goodMessage.replace("\"messageId\":\"m\",", "") + "}"),
                        -32602),
                Arguments.of(
                        "no parts",
                        rpc("SendMessage", "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[]}}"),
                        -32602),
                Arguments.of(
                        "text a number",
                        rpc(
                                "SendMessage",
                                "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":5}]}}"),
                        -32602),
                Arguments.of(
                        "a file part",
                        rpc(
                                "SendMessage",
                                "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"url\":\"https://x/y.pdf\"}]}}"),
                        -32005),
                Arguments.of(
                        "blank text",
                        rpc(
                                "SendMessage",
                                "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"  \"}]}}"),
                        -32602),
                Arguments.of(
                        "too long",
                        rpc(
                                "SendMessage",
                                "{\"message\":" + goodMessage.replace("\"hi\"", "\"" + "a".repeat(1_001) + "\"") + "}"),
                        -32602),
                Arguments.of(
                        "contextId with a slash",
                        rpc(
                                "SendMessage",
                                "{\"message\":"
                                        + goodMessage.replace("{\"messageId\"", "{\"contextId\":\"../x\",\"messageId\"")
                                        + "}"),
                        -32602),
                Arguments.of(
                        "contextId a number",
                        rpc(
                                "SendMessage",
                                "{\"message\":"
                                        + goodMessage.replace("{\"messageId\"", "{\"contextId\":7,\"messageId\"")
                                        + "}"),
                        -32602),
                Arguments.of(
                        "an invalid tenant",
                        rpc("SendMessage", "{\"tenant\":\"../other\",\"message\":" + goodMessage + "}"),
                        -32602),
                Arguments.of(
                        "push notifications",
                        rpc(
                                "SendMessage",
                                "{\"message\":" + goodMessage
                                        + ",\"configuration\":{\"taskPushNotificationConfig\":{\"url\":\"https://x\"}}}"),
                        -32003),
                Arguments.of(
                        "returnImmediately a string",
                        rpc(
                                "SendMessage",
                                "{\"message\":" + goodMessage + ",\"configuration\":{\"returnImmediately\":\"yes\"}}"),
                        -32602),
                Arguments.of(
                        "a taskId Skein never gave",
                        rpc(
                                "SendMessage",
                                "{\"message\":"
                                        + goodMessage.replace("{\"messageId\"", "{\"taskId\":\"nope\",\"messageId\"")
                                        + "}"),
                        -32001),
                Arguments.of("GetTask without id", rpc("GetTask", "{}"), -32602),
                Arguments.of("GetTask of an unknown task", rpc("GetTask", "{\"id\":\"s~t\"}"), -32001),
                Arguments.of(
                        "GetTask with a negative historyLength",
                        rpc("GetTask", "{\"id\":\"s~t\",\"historyLength\":-1}"),
                        -32602),
                Arguments.of("CancelTask of an unknown task", rpc("CancelTask", "{\"id\":\"s~t\"}"), -32001),
                Arguments.of("a 0.3 method", rpc("message/send", "{\"message\":" + goodMessage + "}"), -32009),
                Arguments.of("an unknown method", rpc("Frobnicate", "{}"), -32601),
                Arguments.of("SubscribeToTask of an unknown task", rpc("SubscribeToTask", "{\"id\":\"s~t\"}"), -32001),
                Arguments.of("push config", rpc("CreateTaskPushNotificationConfig", "{}"), -32003));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRequestsGetTheSpecificationsErrorAndSubmitNothing(String what, String body, int code)
            throws Exception {
        HttpResponse<String> response = post("/a2a/demo", body);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject error = new JsonObject(response.body()).getJsonObject("error");
        assertThat(error.getInteger("code")).as(error.encode()).isEqualTo(code);
        assertThat(error.getString("message")).isNotBlank();
        assertThat(gateway.turns).isEmpty();
        assertThat(gateway.commands).isEmpty();
    }

    @Test
    void invalidUtf8AndAnotherVersionAreRefused() throws Exception {
        byte[] bytes = rpc("GetTask", "{\"id\":\"\u00e9~t\"}").getBytes(StandardCharsets.UTF_8);
        bytes[bytes.length - 8] = (byte) 0xff;
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(base() + "/a2a/demo"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(new JsonObject(response.body()).getJsonObject("error").getInteger("code"))
                .isEqualTo(-32700);

        HttpResponse<String> old = http.send(
                HttpRequest.newBuilder(URI.create(base() + "/a2a/demo"))
                        .header("A2A-Version", "0.3")
                        .POST(HttpRequest.BodyPublishers.ofString(rpc("GetTask", "{\"id\":\"s~t\"}")))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(new JsonObject(old.body()).getJsonObject("error").getInteger("code"))
                .isEqualTo(-32009);
    }

    @Test
    void theHttpJsonBindingAnswersGoogleRpcStatus() throws Exception {
        HttpResponse<String> missing = get("/a2a/demo/rest/tasks/s~t");
        assertThat(missing.statusCode()).isEqualTo(404);
        JsonObject error = new JsonObject(missing.body()).getJsonObject("error");
        assertThat(error.getString("status")).isEqualTo("NOT_FOUND");
        assertThat(error.getJsonArray("details").getJsonObject(0).getString("reason"))
                .isEqualTo("TASK_NOT_FOUND");

        HttpResponse<String> list = get("/a2a/demo/rest/nothing/here");
        assertThat(list.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(list.body())
                        .getJsonObject("error")
                        .getJsonArray("details")
                        .getJsonObject(0)
                        .getString("reason"))
                .isEqualTo("UNSUPPORTED_OPERATION");

        HttpResponse<String> bad = post("/a2a/demo/rest/message:send", "{\"message\": 1}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(bad.body()).getJsonObject("error").getString("status"))
                .isEqualTo("INVALID_ARGUMENT");
        assertThat(gateway.turns).isEmpty();

        gateway.onTurn = turn -> events.publish(completed(turn, "ok"));
        HttpResponse<String> sent = post("/a2a/demo/rest/message:send", send("hi"));
        assertThat(sent.statusCode()).isEqualTo(200);
        assertThat(sent.headers().firstValue("Content-Type").orElse("")).isEqualTo("application/a2a+json");
        assertThat(new JsonObject(sent.body())
                        .getJsonObject("task")
                        .getJsonObject("status")
                        .getString("state"))
                .isEqualTo("TASK_STATE_COMPLETED");
    }

    private static String send(String text) {
        return new JsonObject()
                .put(
                        "message",
                        new JsonObject()
                                .put("messageId", "m-1")
                                .put("contextId", "ctx-1")
                                .put("role", "ROLE_USER")
                                .put("parts", new JsonArray().add(new JsonObject().put("text", text))))
                .encode();
    }

    private static String rpc(String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":\"r-1\",\"method\":\"" + method + "\",\"params\":" + params + "}";
    }

    private static TurnCompleted completed(TurnRequested turn, String answer) {
        return TurnCompleted.newBuilder()
                .setTenant(turn.getTenant())
                .setSessionId(turn.getSessionId())
                .setTurnId(turn.getTurnId())
                .setStatus(TurnStatus.COMPLETED)
                .setAnswer(answer)
                .setAgent(turn.getAgent())
                .setRequestedAtMs(turn.getRequestedAtMs())
                .setCompletedAtMs(turn.getRequestedAtMs() + 5)
                .build();
    }

    private static AgentDelta delta(TurnRequested turn, String text) {
        return AgentDelta.newBuilder()
                .setTenant(turn.getTenant())
                .setSessionId(turn.getSessionId())
                .setTurnId(turn.getTurnId())
                .setStep(0)
                .setKind(DeltaKind.TEXT)
                .setText(text)
                .setTimestampMs(1)
                .build();
    }

    private static String base() {
        return "http://127.0.0.1:" + port;
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(base() + path))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(base() + path))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .header("A2A-Version", "1.0")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
