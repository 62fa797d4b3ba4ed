package dev.skein.integration.a2a;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.adapters.AgentAdapter;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Skein's agents over A2A 1.0, as a client written from the specification sees them: {@code skein
 * up} in its own process (the demo agent; {@code count_primes} held for approval, so that a task
 * stays open until it is cancelled), then SIGKILLed and started again between two messages of one
 * context.
 */
@Tag("a2a")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class A2aServerIT {

    private final A2aSpecClient a2a = new A2aSpecClient(null);
    private Path dataDir;
    private int httpPort;
    private int kafkaPort;
    private SkeinUpProcess skein;
    private String rpcUrl;
    private String restUrl;

    @BeforeAll
    void start() throws Exception {
        dataDir = Files.createTempDirectory("skein-a2a");
        httpPort = SkeinUpProcess.freePort();
        kafkaPort = SkeinUpProcess.freePort();
        skein = skeinUp();
        JsonNode card = a2a.card(base() + "/.well-known/agent-card.json").body();
        rpcUrl = A2aSpecClient.interfaceUrl(card, "JSONRPC");
        restUrl = A2aSpecClient.interfaceUrl(card, "HTTP+JSON");
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (skein != null) {
            skein.close();
        }
    }

    @Test
    @Order(1)
    void cardsDescribeEveryAgentWithItsInterfaces() {
        A2aSpecClient.Reply wellKnown = a2a.card(base() + "/.well-known/agent-card.json");
        assertThat(wellKnown.status()).isEqualTo(200);
        JsonNode card = wellKnown.body();
        assertThat(card.path("name").asText()).isEqualTo("demo");
        assertThat(card.path("capabilities").path("streaming").asBoolean()).isTrue();
        assertThat(card.path("skills").findValuesAsText("id")).containsExactly("demo", "helper");
        assertThat(rpcUrl).isEqualTo(base() + "/a2a/demo");
        assertThat(restUrl).isEqualTo(base() + "/a2a/demo/rest");
        JsonNode own =
                a2a.card(base() + "/a2a/demo/.well-known/agent-card.json").body();
        assertThat(own.path("name").asText()).isEqualTo("demo");
        assertThat(own.path("supportedInterfaces")).isEqualTo(card.path("supportedInterfaces"));
        // Authentication is off on this node: the card declares no scheme.
        assertThat(own.has("securitySchemes")).isFalse();
        assertThat(a2a.card(base() + "/a2a/nobody/.well-known/agent-card.json").status())
                .isEqualTo(404);
    }

    @Test
    @Order(2)
    void sendsAMessageAndContinuesItsContext() {
        String context = "ctx-" + UUID.randomUUID();
        JsonNode first = a2a.result(
                        rpcUrl,
                        "SendMessage",
                        A2aSpecClient.sendParams(A2aSpecClient.message("what is 12*7?", context, null), false))
                .path("task");
        assertThat(first.path("contextId").asText()).isEqualTo(context);
        assertThat(first.path("status").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(first.path("artifacts")
                        .get(0)
                        .path("parts")
                        .get(0)
                        .path("text")
                        .asText())
                .contains("84");

        JsonNode second = a2a.result(
                        rpcUrl,
                        "SendMessage",
                        A2aSpecClient.sendParams(A2aSpecClient.message("and 2+3?", context, null), false))
                .path("task");
        assertThat(second.path("id").asText()).isNotEqualTo(first.path("id").asText());
        assertThat(second.path("artifacts")
                        .get(0)
                        .path("parts")
                        .get(0)
                        .path("text")
                        .asText())
                .contains("5");
        // One session holds both: the context is Skein's session.
        JsonNode history = new SkeinClient(httpPort).history(context).body().path("messages");
        assertThat(SkeinClient.roles(history))
                .containsExactly("user", "assistant", "tool", "assistant", "user", "assistant", "tool", "assistant");

        JsonNode got = a2a.result(rpcUrl, "GetTask", a2aId(first.path("id").asText()));
        assertThat(got.path("status").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(got.path("history").get(0).path("role").asText()).isEqualTo("ROLE_USER");

        // The HTTP+JSON binding reads the same task.
        A2aSpecClient.Reply rest =
                a2a.restGet(restUrl, "/tasks/" + first.path("id").asText());
        assertThat(rest.status()).isEqualTo(200);
        assertThat(rest.body().path("artifacts")).isEqualTo(got.path("artifacts"));
    }

    @Test
    @Order(3)
    void streamsATaskFromSubmittedToCompleted() {
        List<JsonNode> events = a2a.stream(
                rpcUrl,
                A2aSpecClient.sendParams(A2aSpecClient.message("hello there, stream please", null, null), false));
        assertThat(events.getFirst().path("task").path("status").path("state").asText())
                .isEqualTo("TASK_STATE_SUBMITTED");
        JsonNode last = events.getLast().path("statusUpdate");
        assertThat(last.path("status").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
        JsonNode answer = events.get(events.size() - 2).path("artifactUpdate");
        assertThat(answer.path("lastChunk").asBoolean()).isTrue();
        assertThat(answer.path("artifact").path("parts").get(0).path("text").asText())
                .startsWith("[demo agent]");

        List<JsonNode> rest = a2a.restStream(
                restUrl, A2aSpecClient.sendParams(A2aSpecClient.message("what is 6*7?", null, null), false));
        assertThat(rest.getLast()
                        .path("statusUpdate")
                        .path("status")
                        .path("state")
                        .asText())
                .isEqualTo("TASK_STATE_COMPLETED");
    }

    @Test
    @Order(4)
    void aTaskHeldForApprovalNeedsInputAndIsCancelled() {
        JsonNode held = a2a.result(
                        rpcUrl,
                        "SendMessage",
                        A2aSpecClient.sendParams(
                                A2aSpecClient.message("how many primes below 1000?", null, null), false))
                .path("task");
        assertThat(held.path("status").path("state").asText()).isEqualTo("TASK_STATE_INPUT_REQUIRED");
        assertThat(held.path("status")
                        .path("message")
                        .path("parts")
                        .get(0)
                        .path("text")
                        .asText())
                .contains("count_primes");

        JsonNode cancelled =
                a2a.result(rpcUrl, "CancelTask", a2aId(held.path("id").asText()));
        assertThat(cancelled.path("status").path("state").asText()).isEqualTo("TASK_STATE_CANCELED");
        assertThat(a2a.result(rpcUrl, "GetTask", a2aId(held.path("id").asText()))
                        .path("status")
                        .path("state")
                        .asText())
                .isEqualTo("TASK_STATE_CANCELED");
        A2aSpecClient.Reply again =
                a2a.rpc(rpcUrl, "CancelTask", a2aId(held.path("id").asText()));
        assertThat(again.body().path("error").path("code").asInt()).isEqualTo(-32002);
    }

    @Test
    @Order(5)
    void refusesWhatTheSpecificationSaysToRefuse() {
        assertThat(a2a.rpc(rpcUrl, "GetTask", a2aId("never~existed"))
                        .body()
                        .path("error")
                        .path("code")
                        .asInt())
                .isEqualTo(-32001);
        assertThat(a2a.rpc(rpcUrl, "message/send", a2aId("x"))
                        .body()
                        .path("error")
                        .path("code")
                        .asInt())
                .isEqualTo(-32009);
        assertThat(a2a.rpc(rpcUrl, "NoSuchMethod", null)
                        .body()
                        .path("error")
                        .path("code")
                        .asInt())
                .isEqualTo(-32601);
        A2aSpecClient.Reply badRole = a2a.rpc(
                rpcUrl,
                "SendMessage",
                A2aSpecClient.sendParams(
                        (com.fasterxml.jackson.databind.node.ObjectNode)
                                A2aSpecClient.message("hi", null, null).put("role", "user"),
                        false));
        assertThat(badRole.body().path("error").path("code").asInt()).isEqualTo(-32602);
        A2aSpecClient.Reply restMissing = a2a.restGet(restUrl, "/tasks/never~existed");
        assertThat(restMissing.status()).isEqualTo(404);
        assertThat(restMissing
                        .body()
                        .path("error")
                        .path("details")
                        .get(0)
                        .path("reason")
                        .asText())
                .isEqualTo("TASK_NOT_FOUND");
    }

    /**
     * Skein's own A2A client adapter, here in the test's process, discovers the card of
     * {@code demo} on the node and speaks JSON-RPC 1.0 to it: both ends of the protocol, each
     * written from the specification, agree. (Not through an agent of the same node: one agent
     * runner calling an agent that the same runner must serve waits for itself, see
     * docs/protocols.md.)
     */
    @Test
    @Order(6)
    void skeinsA2aAdapterTalksToSkeinsA2aServer() throws Exception {
        AgentAdapter peer = new A2aAgentFactory()
                .create(
                        new AgentSpec(
                                "peer",
                                "a2a",
                                Map.of("base-url", base() + "/a2a/demo"),
                                "",
                                Duration.ofSeconds(60),
                                List.of()),
                        Map.of());
        List<String> deltas = new ArrayList<>();
        AgentInvocation invocation = AgentInvocation.newBuilder()
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

        AgentReply reply = peer.decide(invocation, deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Answer.class);
        assertThat(((AgentReply.Answer) reply).content())
                .startsWith("[demo agent]")
                .contains("20");
        assertThat(String.join("", deltas)).contains("20");
    }

    @Test
    @Order(7)
    void aContextSurvivesASigkillBetweenTwoMessages() throws Exception {
        String context = "durable-" + UUID.randomUUID();
        JsonNode first = a2a.result(
                        rpcUrl,
                        "SendMessage",
                        A2aSpecClient.sendParams(A2aSpecClient.message("what is 9*9?", context, null), false))
                .path("task");
        assertThat(first.path("status").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");

        skein.kill9(); // nothing is flushed or closed
        skein = skeinUp();

        // The task is read from the session Kafka kept, not from the memory of the process that died.
        JsonNode before = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> a2a.rpc(rpcUrl, "GetTask", a2aId(first.path("id").asText()))
                                .body(),
                        b -> b.has("result"))
                .path("result");
        assertThat(before.path("status").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(before.path("artifacts")
                        .get(0)
                        .path("parts")
                        .get(0)
                        .path("text")
                        .asText())
                .contains("81");

        JsonNode second = a2a.result(
                        rpcUrl,
                        "SendMessage",
                        A2aSpecClient.sendParams(A2aSpecClient.message("what is 1+1?", context, null), false))
                .path("task");
        assertThat(second.path("contextId").asText()).isEqualTo(context);
        assertThat(second.path("status").path("state").asText()).isEqualTo("TASK_STATE_COMPLETED");
        JsonNode history = new SkeinClient(httpPort).history(context).body().path("messages");
        assertThat(SkeinClient.roles(history))
                .containsExactly("user", "assistant", "tool", "assistant", "user", "assistant", "tool", "assistant");
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode a2aId(String id) {
        return SkeinClient.JSON.createObjectNode().put("id", id);
    }

    private String base() {
        return "http://127.0.0.1:" + httpPort;
    }

    private SkeinUpProcess skeinUp() throws IOException {
        Path config = dataDir.resolve("skein.conf");
        // A second agent, so that the well-known card lists more than one.
        Files.writeString(config, "skein.agents.definitions { demo { kind = demo }, helper { kind = demo } }\n");
        return SkeinUpProcess.up(dataDir)
                .config(config)
                .port(httpPort)
                .embeddedKafkaPort(kafkaPort)
                .env("SKEIN_SESSION_APPROVALS_TOOLS", "[count_primes]")
                .start()
                .awaitHealthy(Duration.ofSeconds(120));
    }
}
