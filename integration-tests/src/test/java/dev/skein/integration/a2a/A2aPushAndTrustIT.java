package dev.skein.integration.a2a;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.a2a.A2aAgentFactory;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.integration.fixtures.A2aSpecClient;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.SkeinUpProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Against {@code skein up} with a card signing key and push notifications allowed to loopback: a
 * task held for approval is pushed to a webhook this test runs, approved by an A2A message (the
 * {@code approve} data part), and its final state pushed; Skein's own {@code a2a} adapter verifies
 * the node's signed card with the node's public key, and refuses it with another; a config made
 * before a restart is still there after it, and the restarted node delivers the task's end.
 */
@Tag("a2a")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class A2aPushAndTrustIT {

    private final A2aSpecClient a2a = new A2aSpecClient(null);
    private final List<JsonNode> pushed = new CopyOnWriteArrayList<>();
    private final List<String> tokens = new CopyOnWriteArrayList<>();
    private Path dataDir;
    private int httpPort;
    private ECKey cardKey;
    private HttpServer webhook;
    private SkeinUpProcess skein;
    private int kafkaPort;

    @BeforeAll
    void start() throws Exception {
        dataDir = Files.createTempDirectory("skein-a2a-push");
        webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/hook", exchange -> {
            pushed.add(SkeinClient.JSON.readTree(
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            tokens.add(String.valueOf(exchange.getRequestHeaders().getFirst("X-A2A-Notification-Token")));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhook.start();
        cardKey = new ECKeyGenerator(Curve.P_256).keyID("it-card-key").generate();
        Files.writeString(dataDir.resolve("card-key.jwk"), cardKey.toJSONString());
        Files.writeString(
                dataDir.resolve("trusted.jwks"),
                "{\"keys\":[" + cardKey.toPublicJWK().toJSONString() + "]}");
        httpPort = SkeinUpProcess.freePort();
        kafkaPort = SkeinUpProcess.freePort();
        skein = skeinUp(kafkaPort);
    }

    @AfterAll
    void stop() throws InterruptedException {
        stopSkein();
        if (webhook != null) {
            webhook.stop(0);
        }
    }

    private void stopSkein() throws InterruptedException {
        if (skein != null) {
            skein.close();
        }
    }

    @Test
    @Order(1)
    void aHeldTaskIsPushedApprovedOverA2aAndItsEndPushed() {
        String rpc = base() + "/a2a/demo";
        String context = "push-" + UUID.randomUUID();
        ObjectNode params =
                A2aSpecClient.sendParams(A2aSpecClient.message("how many primes below 1000?", context, null), true);
        ((ObjectNode) params.path("configuration"))
                .putObject("taskPushNotificationConfig")
                .put("url", "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook")
                .put("token", "it-token");
        String taskId =
                a2a.result(rpc, "SendMessage", params).path("task").path("id").asText();

        await().atMost(Duration.ofSeconds(60))
                .until(() -> pushed.stream()
                        .anyMatch(p -> "TASK_STATE_INPUT_REQUIRED"
                                .equals(p.path("statusUpdate")
                                        .path("status")
                                        .path("state")
                                        .asText())));
        assertThat(tokens).allMatch("it-token"::equals);
        JsonNode task =
                a2a.result(rpc, "GetTask", SkeinClient.JSON.createObjectNode().put("id", taskId));
        String text = task.path("status")
                .path("message")
                .path("parts")
                .get(0)
                .path("text")
                .asText();
        assertThat(text).contains("{\"approve\": [\"");
        String callId = text.substring(text.indexOf("{\"approve\": [\"") + 14).split("\"")[0];

        ObjectNode approval = A2aSpecClient.message("go ahead", context, taskId);
        ((com.fasterxml.jackson.databind.node.ArrayNode) approval.path("parts"))
                .addObject()
                .putObject("data")
                .putArray("approve")
                .add(callId);
        JsonNode answered = a2a.result(rpc, "SendMessage", A2aSpecClient.sendParams(approval, false))
                .path("task");
        assertThat(answered.path("status").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(answered.path("artifacts").toString()).contains("168");

        await().atMost(Duration.ofSeconds(30))
                .until(() -> pushed.stream()
                        .anyMatch(p -> "TASK_STATE_COMPLETED"
                                .equals(p.path("task")
                                        .path("status")
                                        .path("state")
                                        .asText())));
        JsonNode last = pushed.getLast().path("task");
        assertThat(last.path("id").asText()).isEqualTo(taskId);
        assertThat(last.path("artifacts").toString()).contains("168");
        // The configs of a finished task are gone.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> a2a.result(
                                rpc,
                                "ListTaskPushNotificationConfigs",
                                SkeinClient.JSON.createObjectNode().put("taskId", taskId))
                        .path("configs")
                        .isEmpty());
    }

    @Test
    @Order(3)
    void aConfigSurvivesARestartAndTheRestartedNodeDeliversTheEnd() throws Exception {
        String rpc = base() + "/a2a/demo";
        String context = "restart-" + UUID.randomUUID();
        JsonNode held = a2a.result(
                        rpc,
                        "SendMessage",
                        A2aSpecClient.sendParams(
                                A2aSpecClient.message("how many primes below 2000?", context, null), false))
                .path("task");
        assertThat(held.path("status").path("state").asText()).isEqualTo("TASK_STATE_INPUT_REQUIRED");
        String taskId = held.path("id").asText();
        ObjectNode config = SkeinClient.JSON
                .createObjectNode()
                .put("taskId", taskId)
                .put("id", "survivor")
                .put("url", "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook");
        a2a.result(rpc, "CreateTaskPushNotificationConfig", config);

        stopSkein();
        skein = skeinUp(kafkaPort);
        pushed.clear();

        JsonNode listed = a2a.result(
                rpc,
                "ListTaskPushNotificationConfigs",
                SkeinClient.JSON.createObjectNode().put("taskId", taskId));
        assertThat(listed.path("configs").get(0).path("id").asText()).isEqualTo("survivor");
        String text = held.path("status")
                .path("message")
                .path("parts")
                .get(0)
                .path("text")
                .asText();
        String callId = text.substring(text.indexOf("{\"approve\": [\"") + 14).split("\"")[0];
        ObjectNode approval = A2aSpecClient.message("yes", context, taskId);
        ((com.fasterxml.jackson.databind.node.ArrayNode) approval.path("parts"))
                .addObject()
                .putObject("data")
                .putArray("approve")
                .add(callId);
        a2a.result(rpc, "SendMessage", A2aSpecClient.sendParams(approval, true));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> pushed.stream()
                        .anyMatch(p -> taskId.equals(p.path("task").path("id").asText())
                                && "TASK_STATE_COMPLETED"
                                        .equals(p.path("task")
                                                .path("status")
                                                .path("state")
                                                .asText())));
        assertThat(pushed.getLast().path("task").path("artifacts").toString()).contains("303");
    }

    @Test
    @Order(2)
    void theAdapterVerifiesTheNodesSignedCardAndRefusesAnotherKey() throws Exception {
        AgentReply trusted = peer(dataDir.resolve("trusted.jwks")).decide(invocation(), delta -> {});
        assertThat(trusted).isInstanceOf(AgentReply.Answer.class);
        assertThat(((AgentReply.Answer) trusted).content()).contains("20");

        Path other = Files.writeString(
                dataDir.resolve("other.jwks"),
                "{\"keys\":["
                        + new ECKeyGenerator(Curve.P_256)
                                .keyID("it-card-key")
                                .generate()
                                .toPublicJWK()
                                .toJSONString() + "]}");
        AgentReply refused = peer(other).decide(invocation(), delta -> {});
        assertThat(refused)
                .isInstanceOfSatisfying(
                        AgentReply.Failure.class,
                        failure -> assertThat(failure.message()).contains("not signed by a key of trusted-card-keys"));
    }

    private dev.skein.adapters.AgentAdapter peer(Path keys) {
        return new A2aAgentFactory()
                .create(
                        new AgentSpec(
                                "peer",
                                "a2a",
                                Map.of("base-url", base() + "/a2a/demo", "trusted-card-keys", keys.toString()),
                                "",
                                Duration.ofSeconds(60),
                                List.of()),
                        Map.of());
    }

    private static AgentInvocation invocation() {
        return AgentInvocation.newBuilder()
                .setTenant("default")
                .setSessionId("peer-" + UUID.randomUUID())
                .setTurnId("t-1")
                .setStep(0)
                .setAttempt(1)
                .setAgent("peer")
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setSequence(0)
                        .setRole(Role.USER)
                        .setContent("what is 4*5?")
                        .setToolCalls(List.of())
                        .setTurnId("t-1")
                        .setTimestampMs(0)
                        .build()))
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();
    }

    private String base() {
        return "http://127.0.0.1:" + httpPort;
    }

    private SkeinUpProcess skeinUp(int kafkaPort) throws IOException {
        Path config = dataDir.resolve("skein.conf");
        Files.writeString(config, "skein.agents.definitions { demo { kind = demo } }\n");
        return SkeinUpProcess.up(dataDir)
                .config(config)
                .port(httpPort)
                .embeddedKafkaPort(kafkaPort)
                .env("SKEIN_SESSION_APPROVALS_TOOLS", "[count_primes]")
                .env("SKEIN_A2A_PUSH_ALLOW_PRIVATE_ADDRESSES", "true")
                .env(
                        "SKEIN_A2A_SIGNING_KEY_PATH",
                        dataDir.resolve("card-key.jwk").toString())
                // A signed card names the URL it is served at (never the Host header of a request).
                .env("SKEIN_A2A_PUBLIC_URL", "http://127.0.0.1:" + httpPort)
                .start()
                .awaitHealthy(Duration.ofSeconds(120));
    }
}
