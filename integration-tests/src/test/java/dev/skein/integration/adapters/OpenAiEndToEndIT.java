package dev.skein.integration.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.openai.OpenAiAgentFactory;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A whole node on a real broker whose agent is the OpenAI-compatible adapter, pointed at a local
 * server that answers in the chat completions protocol: first a streamed call of the built-in
 * calculator, then a streamed answer. The session's history must be what the provider saw.
 *
 * <p>The protocol server is the JDK's own {@link HttpServer}: this module's tests do not have
 * okhttp's MockWebServer, and the scripted exchange needs nothing more.
 */
@Tag("adapters")
class OpenAiEndToEndIT {

    private static final String AGENT = "mock-openai";
    private static final String KEY_ENV = "SKEIN_E2E_OPENAI_KEY";
    private static final String KEY = "sk-e2e-7d41";
    private static final String SYSTEM_PROMPT =
            "You are Skein's end-to-end test agent. Use the calculator for arithmetic.";
    private static final String CALL_ID = "call_e2e6x7Qm2LwP9sVb3KtN8rYd";
    private static final String CHUNK = "\"object\":\"chat.completion.chunk\",\"created\":1753190700,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_34a54ae93c\"";

    /** A streamed call of the calculator with {"expression":"6*7"}, its arguments in two fragments. */
    private static final String TOOL_CALL_STREAM = """
            data: {"id":"chatcmpl-e2e1",%1$s,"choices":[{"index":0,"delta":{"role":"assistant","content":null},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-e2e1",%1$s,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"%2$s","type":"function","function":{"name":"calculator","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-e2e1",%1$s,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"expression\\":"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-e2e1",%1$s,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"6*7\\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-e2e1",%1$s,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}

            data: {"id":"chatcmpl-e2e1",%1$s,"choices":[],"usage":{"prompt_tokens":143,"completion_tokens":17,"total_tokens":160}}

            data: [DONE]

            """.formatted(CHUNK, CALL_ID);

    /** The streamed final answer "6*7 is 42". */
    private static final String ANSWER_STREAM = """
            data: {"id":"chatcmpl-e2e2",%1$s,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-e2e2",%1$s,"choices":[{"index":0,"delta":{"content":"6*7"},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-e2e2",%1$s,"choices":[{"index":0,"delta":{"content":" is 42"},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-e2e2",%1$s,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

            data: {"id":"chatcmpl-e2e2",%1$s,"choices":[],"usage":{"prompt_tokens":171,"completion_tokens":6,"total_tokens":177}}

            data: [DONE]

            """.formatted(CHUNK);

    private record Recorded(String method, String path, String authorization, JsonNode body) {}

    private static final Queue<String> script = new ConcurrentLinkedQueue<>();
    private static final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private static HttpServer provider;
    private static SkeinNode node;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/", OpenAiEndToEndIT::answer);
        provider.start();
        String baseUrl = "http://127.0.0.1:" + provider.getAddress().getPort() + "/v1";

        String name = KafkaFixture.uniqueName("e2e-openai");
        Path dataDir = Files.createTempDirectory("skein-e2e-openai");
        String agent = "skein.agents.definitions." + AGENT + ".";
        SkeinConfig config = SkeinConfig.load(
                Optional.empty(),
                Map.ofEntries(
                        Map.entry("skein.kafka.bootstrap-servers", KafkaFixture.bootstrapServers()),
                        Map.entry("skein.data-dir", dataDir.toString()),
                        Map.entry("skein.topics.prefix", name + "."),
                        Map.entry("skein.streams.application-id", name),
                        Map.entry("skein.agents.share-group", name + "-agents"),
                        Map.entry("skein.http.port", 0),
                        Map.entry(agent + "kind", "openai"),
                        Map.entry(agent + "base-url", baseUrl),
                        Map.entry(agent + "model", "gpt-4o-mini"),
                        Map.entry(agent + "api-key-env", KEY_ENV),
                        Map.entry(agent + "system-prompt", SYSTEM_PROMPT),
                        Map.entry("skein.session.default-agent", AGENT)),
                Map.of(KEY_ENV, KEY));
        assertThat(config.agents())
                .filteredOn(a -> a.name().equals(AGENT))
                .singleElement()
                .extracting(AgentSpec::kind)
                .isEqualTo(OpenAiAgentFactory.KIND);

        // The node builds the configured agent itself, with the factory ServiceLoader finds for
        // kind "openai": the path a deployment takes.
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false, List.of());
        client = new SkeinClient(node.httpPort().orElseThrow());
        // The calculator must be in the catalog before the turn, or the session answers its call
        // as an unknown tool.
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> client.send(HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + node.httpPort().orElseThrow() + "/v1/tools"))
                                .GET())
                        .body()
                        .toString()
                        .contains("\"calculator\""));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        if (provider != null) {
            provider.stop(0);
        }
    }

    /** The provider: records each request and answers with the next scripted stream. */
    private static void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Recorded(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    SkeinClient.JSON.readTree(body)));
            String next = script.poll();
            byte[] reply = (next != null
                            ? next
                            : "{\"error\":{\"message\":\"no scripted reply left\",\"type\":\"server_error\",\"param\":null,\"code\":null}}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", next != null ? "text/event-stream" : "application/json");
            exchange.sendResponseHeaders(next != null ? 200 : 500, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        }
    }

    @Test
    void aTurnThatUsesAToolCompletesAndTheHistoryIsWhatTheProviderSaw() throws Exception {
        script.add(TOOL_CALL_STREAM);
        script.add(ANSWER_STREAM);

        SkeinClient.Response response = client.postTurn("openai-e2e", "What is 6*7?", true);

        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        assertThat(response.body().path("status").asText()).isEqualTo("COMPLETED");
        assertThat(response.body().path("answer").asText()).isEqualTo("6*7 is 42");

        JsonNode history = client.history("openai-e2e").body().path("messages");
        assertThat(StreamSupport.stream(history.spliterator(), false)
                        .map(m -> m.path("role").asText()))
                .containsExactly("user", "assistant", "tool", "assistant");
        assertThat(history.get(0).path("content").asText()).isEqualTo("What is 6*7?");
        assertThat(history.get(1).path("toolCalls")).hasSize(1);
        assertThat(history.get(1).path("toolCalls").get(0).path("id").asText()).isEqualTo(CALL_ID);
        assertThat(history.get(1).path("toolCalls").get(0).path("name").asText())
                .isEqualTo("calculator");
        assertThat(history.get(1).path("toolCalls").get(0).path("arguments"))
                .isEqualTo(SkeinClient.JSON.readTree("{\"expression\":\"6*7\"}"));
        assertThat(history.get(2).path("toolCallId").asText()).isEqualTo(CALL_ID);
        assertThat(history.get(2).path("content").asText()).isEqualTo("42");
        assertThat(history.get(2).path("worker").asText()).isNotBlank();
        assertThat(history.get(3).path("content").asText()).isEqualTo("6*7 is 42");

        assertThat(requests).hasSize(2);
        for (Recorded request : requests) {
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.path()).isEqualTo("/v1/chat/completions");
            assertThat(request.authorization()).isEqualTo("Bearer " + KEY);
            assertThat(request.body().path("model").asText()).isEqualTo("gpt-4o-mini");
            assertThat(request.body().path("stream").asBoolean()).isTrue();
            assertThat(request.body()
                            .path("stream_options")
                            .path("include_usage")
                            .asBoolean())
                    .isTrue();
            JsonNode calculator = StreamSupport.stream(
                            request.body().path("tools").spliterator(), false)
                    .filter(t -> t.path("function").path("name").asText().equals("calculator"))
                    .findFirst()
                    .orElseThrow();
            assertThat(calculator.path("type").asText()).isEqualTo("function");
            assertThat(calculator.path("function").path("parameters").path("required"))
                    .isEqualTo(SkeinClient.JSON.readTree("[\"expression\"]"));
        }
        JsonNode first = requests.get(0).body().path("messages");
        assertThat(first).isEqualTo(SkeinClient.JSON.readTree("""
                [{"role":"system","content":"%s"},{"role":"user","content":"What is 6*7?"}]""".formatted(SYSTEM_PROMPT)));

        // The second request carries the call and its result exactly as the session recorded them.
        JsonNode second = requests.get(1).body().path("messages");
        assertThat(second).isEqualTo(SkeinClient.JSON.readTree("""
                [{"role":"system","content":"%s"},
                 {"role":"user","content":"What is 6*7?"},
                 {"role":"assistant","tool_calls":[{"id":"%s","type":"function",
                   "function":{"name":"calculator","arguments":"{\\"expression\\":\\"6*7\\"}"}}]},
                 {"role":"tool","tool_call_id":"%s","content":"42"}]""".formatted(SYSTEM_PROMPT, CALL_ID, CALL_ID)));
        ArrayNode sawAfterSystemPrompt = second.deepCopy();
        sawAfterSystemPrompt.remove(0);
        assertThat(asProviderMessages(history.get(0), history.get(1), history.get(2)))
                .isEqualTo(sawAfterSystemPrompt);
    }

    /** History messages in the chat completions format, to compare with what the provider received. */
    private static ArrayNode asProviderMessages(JsonNode... history) {
        ArrayNode messages = SkeinClient.JSON.createArrayNode();
        for (JsonNode message : history) {
            ObjectNode converted =
                    messages.addObject().put("role", message.path("role").asText());
            switch (message.path("role").asText()) {
                case "assistant" -> {
                    ArrayNode calls = converted.putArray("tool_calls");
                    for (JsonNode call : message.path("toolCalls")) {
                        calls.addObject()
                                .put("id", call.path("id").asText())
                                .put("type", "function")
                                .putObject("function")
                                .put("name", call.path("name").asText())
                                .put("arguments", call.path("arguments").toString());
                    }
                }
                case "tool" ->
                    converted
                            .put("tool_call_id", message.path("toolCallId").asText())
                            .put("content", message.path("content").asText());
                default -> converted.put("content", message.path("content").asText());
            }
        }
        return messages;
    }
}
