package dev.skein.integration.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.topologies.context.MessageTokens;
import dev.skein.topologies.context.Tokenizer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Recalled memories in the context window, on a whole node over a real broker: a fact alice
 * remembered in one session reaches the model's request in a new session of hers, after the
 * summary and within the budget, and never reaches bob's, another tenant's alice's, or a turn
 * without a user; the decision trace names the memories injected.
 */
@Tag("memory")
class MemoryInjectionIT {

    private static final String FACT = "Alice's favourite colour is green";
    private static final String QUESTION = "which colour does she like best?";
    private static final int INPUT_TOKENS = 4_000 - 500;
    private static final Pattern REMEMBERED = Pattern.compile("\"remembered\"\\s*:\\s*\"([^\"]+)\"");

    /** What the model was sent, by turn id. */
    private static final Map<String, AgentInvocation> received = new ConcurrentHashMap<>();

    private static SkeinNode node;
    private static SkeinClient client;
    private static String base;

    /** A model that records its request and answers "ok". */
    private static final AgentAdapter RECORDER = new AgentAdapter() {
        @Override
        public String name() {
            return "recorder";
        }

        @Override
        public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) {
            received.put(invocation.getTurnId(), invocation);
            return new AgentReply.Answer("ok");
        }
    };

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config(
                "memory-injection",
                Map.of(
                        "skein.agents.context.max-tokens",
                        4_000,
                        "skein.agents.context.reserve-for-answer",
                        500,
                        "skein.agents.context.memory-share",
                        0.25,
                        "skein.agents.context.tokenizer",
                        "cl100k_base"));
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false, List.of(RECORDER));
        base = "http://127.0.0.1:" + node.httpPort().orElseThrow();
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aRememberedFactReachesTheModelInAnotherSessionOfTheSameUserOnly() throws Exception {
        var remembered = SkeinClient.JSON
                .createObjectNode()
                .put("message", "use tool remember {\"text\":\"" + FACT + "\"}")
                .put("user", "alice");
        JsonNode answer = turn("acme", "s1", remembered);
        // The demo agent answers with the tool's output in its text: ... {"remembered":"<id>"} ...
        Matcher found = REMEMBERED.matcher(answer.path("answer").asText());
        assertThat(found.find()).as(answer.path("answer").asText()).isTrue();
        String id = found.group(1);

        AgentInvocation alice = ask("acme", "s2", "alice", "t-alice");
        List<ChatMessage> memories = alice.getMessages().stream()
                .filter(m -> m.getContent() != null && m.getContent().contains(FACT))
                .toList();
        assertThat(memories).hasSize(1);
        ChatMessage injected = memories.getFirst();
        assertThat(injected.getRole()).isEqualTo(dev.skein.events.Role.SYSTEM);
        // Before the history: the question is after it, last.
        assertThat(alice.getMessages().indexOf(injected))
                .isLessThan(alice.getMessages().size() - 1);
        assertThat(alice.getMessages().getLast().getContent()).isEqualTo(QUESTION);
        // Within the budget, as counted by the agent's tokenizer and as the invocation says.
        int sent = alice.getMessages().stream()
                        .mapToInt(m -> MessageTokens.count(m, Tokenizer.CL100K_BASE))
                        .sum()
                + MessageTokens.tools(alice.getTools(), Tokenizer.CL100K_BASE);
        assertThat(sent).isEqualTo(alice.getContextTokens()).isLessThanOrEqualTo(INPUT_TOKENS);
        assertThat(alice.getMemoryRecall().getUserId()).isEqualTo("alice");

        // The decision trace names what was injected.
        JsonNode step = agentStep("s2", "t-alice");
        assertThat(step.path("detail").path("memories").asText()).isEqualTo(id);

        for (String[] other : new String[][] {{"acme", "s3", "bob"}, {"globex", "s4", "alice"}, {"acme", "s5", null}}) {
            AgentInvocation invocation = ask(other[0], other[1], other[2], "t-" + other[0] + "-" + other[1]);
            assertThat(invocation.getMessages())
                    .as("tenant %s user %s", other[0], other[2])
                    .noneMatch(m -> m.getContent() != null && m.getContent().contains("green"));
        }
        // Asked for and none found: an empty list, not a missing one.
        JsonNode bob = agentStep("s3", "t-acme-s3").path("detail");
        assertThat(bob.has("memories")).isTrue();
        assertThat(bob.path("memories").asText()).isEmpty();
        assertThat(bob.has("memoryProblem")).isFalse();
    }

    /** A turn of the recorder agent; returns what the model received. */
    private static AgentInvocation ask(String tenant, String session, String user, String turnId) {
        var body = SkeinClient.JSON
                .createObjectNode()
                .put("message", QUESTION)
                .put("agent", "recorder")
                .put("turnId", turnId);
        if (user != null) {
            body.put("user", user);
        }
        turn(tenant, session, body);
        return received.get(turnId);
    }

    private static JsonNode turn(String tenant, String session, JsonNode body) {
        SkeinClient.Response response = client.send(request(tenant, "/v1/sessions/" + session + "/turns?wait=60")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        assertThat(response.body().path("status").asText())
                .as(response.body().toString())
                .isEqualTo("COMPLETED");
        return response.body();
    }

    /** The agent-step event of the turn's decision trace. */
    private static JsonNode agentStep(String session, String turnId) {
        return await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> {
                            SkeinClient.Response trace = client.send(
                                    request("acme", "/v1/sessions/" + session + "/turns/" + turnId + "/trace")
                                            .GET());
                            for (JsonNode event : trace.body().path("events")) {
                                if (event.path("kind").asText().equals("agent-step")) {
                                    return event;
                                }
                            }
                            return null;
                        },
                        event -> event != null);
    }

    private static HttpRequest.Builder request(String tenant, String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("X-Skein-Tenant", tenant);
    }
}
