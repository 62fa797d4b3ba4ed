package dev.skein.integration.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.SkeinUpProcess;
import dev.skein.integration.tracing.OtlpReceiver.ReceivedSpan;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One tool turn across three processes (core, agents, worker), each exporting its spans over
 * OTLP/HTTP to a receiver in the test: the turn is one trace, continuing the client's traceparent,
 * every hop parented on the one before it across the processes, with the GenAI attributes of an
 * OpenAI-compatible agent (a local server that speaks the protocol, with token usage).
 */
@Tag("tracing")
class TracesAcrossProcessesIT {

    private static final String CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CLIENT_SPAN = "b7ad6b7169203331";
    private static final String KEY_ENV = "SKEIN_TRACING_IT_OPENAI_KEY";
    private static final String CHUNK = "\"object\":\"chat.completion.chunk\",\"created\":1753190700,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_34a54ae93c\"";
    private static final String TOOL_CALL_STREAM = """
            data: {"id":"chatcmpl-t1",%1$s,"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_trace1","type":"function","function":{"name":"calculator","arguments":"{\\"expression\\":\\"6*7\\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-t1",%1$s,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}

            data: {"id":"chatcmpl-t1",%1$s,"choices":[],"usage":{"prompt_tokens":143,"completion_tokens":17,"total_tokens":160}}

            data: [DONE]

            """.formatted(CHUNK);
    private static final String ANSWER_STREAM = """
            data: {"id":"chatcmpl-t2",%1$s,"choices":[{"index":0,"delta":{"role":"assistant","content":"6*7 is 42"},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-t2",%1$s,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

            data: {"id":"chatcmpl-t2",%1$s,"choices":[],"usage":{"prompt_tokens":171,"completion_tokens":6,"total_tokens":177}}

            data: [DONE]

            """.formatted(CHUNK);

    private static final Queue<String> script = new ConcurrentLinkedQueue<>();
    private static final List<SkeinUpProcess> processes = new ArrayList<>();
    private static OtlpReceiver receiver;
    private static HttpServer provider;
    private static Path logs;
    private static int httpPort;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        receiver = new OtlpReceiver();
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/", TracesAcrossProcessesIT::answer);
        provider.start();
        logs = Files.createTempDirectory("skein-tracing-it");
        String name = KafkaFixture.uniqueName("tracing");
        Path config = logs.resolve("skein.conf");
        Files.writeString(config, """
                skein {
                  topics.prefix = "%1$s."
                  streams.application-id = "%1$s"
                  agents.share-group = "%1$s-agents"
                  worker.heartbeat-interval = 1s
                  session.default-agent = mock-openai
                  agents.definitions.mock-openai {
                    kind = openai
                    base-url = "http://127.0.0.1:%2$d/v1"
                    model = gpt-4o-mini
                    api-key-env = %3$s
                  }
                  tracing {
                    enabled = true
                    endpoint = "%4$s"
                    schedule-delay = 200ms
                  }
                }
                """.formatted(name, provider.getAddress().getPort(), KEY_ENV, receiver.endpoint()));
        httpPort = SkeinUpProcess.freePort();
        client = new SkeinClient(httpPort);
        start("core", config, "--port", String.valueOf(httpPort));
        start("agents", config);
        start("worker", config, "--worker-id", "trace-worker");
        awaitReady();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (SkeinUpProcess process : processes.reversed()) {
            process.close();
        }
        if (provider != null) {
            provider.stop(0);
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    @Test
    void aToolTurnIsOneTraceParentedAcrossTheProcessesWithTheGenAiAttributes() {
        script.add(TOOL_CALL_STREAM);
        script.add(ANSWER_STREAM);

        SkeinClient.Response response = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/sessions/traced/turns?wait=60"))
                        .header("content-type", "application/json")
                        .header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"What is 6*7?\"}")));

        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        JsonNode answer = response.body();
        assertThat(answer.path("answer").asText()).isEqualTo("6*7 is 42");
        assertThat(answer.path("traceId").asText()).isEqualTo(CLIENT_TRACE);

        // Every process exports in batches; the turn span ends in the core once it saw the completion.
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(receiver.spans(CLIENT_TRACE))
                        .extracting(ReceivedSpan::name)
                        .contains(
                                "turn",
                                "topology TurnRequested",
                                "chat gpt-4o-mini",
                                "topology AgentStep",
                                "execute_tool calculator",
                                "topology ToolResult")
                        .filteredOn(n -> n.equals("topology AgentStep") || n.equals("chat gpt-4o-mini"))
                        .hasSize(4));
        assertThat(receiver.problems()).isEmpty();
        List<ReceivedSpan> trace = receiver.spans(CLIENT_TRACE);

        ReceivedSpan turn = only(trace, "turn");
        assertThat(turn.service()).isEqualTo("skein-core");
        assertThat(turn.parentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(turn.attribute("skein.turn.status")).isEqualTo("COMPLETED");

        ReceivedSpan turnPass = only(trace, "topology TurnRequested");
        assertThat(turnPass.parentSpanId()).isEqualTo(turn.spanId());
        List<ReceivedSpan> steps = trace.stream()
                .filter(s -> s.name().equals("chat gpt-4o-mini"))
                .sorted((a, b) -> Long.compare((Long) a.attribute("skein.step"), (Long) b.attribute("skein.step")))
                .toList();
        ReceivedSpan firstStep = steps.get(0);
        ReceivedSpan lastStep = steps.get(1);
        assertThat(firstStep.parentSpanId()).isEqualTo(turnPass.spanId());
        assertThat(firstStep.attributes())
                .containsEntry("gen_ai.operation.name", "chat")
                .containsEntry("gen_ai.system", "openai")
                .containsEntry("gen_ai.request.model", "gpt-4o-mini")
                .containsEntry("gen_ai.usage.input_tokens", 143L)
                .containsEntry("gen_ai.usage.output_tokens", 17L)
                .containsEntry("gen_ai.response.finish_reasons", List.of("tool_calls"));

        ReceivedSpan stepPass = passOf(trace, "topology AgentStep", firstStep);
        ReceivedSpan tool = only(trace, "execute_tool calculator");
        assertThat(tool.parentSpanId()).isEqualTo(stepPass.spanId());
        assertThat(tool.attributes())
                .containsEntry("gen_ai.tool.name", "calculator")
                .containsEntry("skein.tier", "small")
                .containsEntry("skein.worker", "trace-worker")
                .containsEntry("skein.delivery", 1L)
                .containsEntry("skein.attempts", 1L)
                .containsEntry("skein.cached", false)
                .containsKey("skein.queue_wait_ms");

        ReceivedSpan resultPass = only(trace, "topology ToolResult");
        assertThat(resultPass.parentSpanId()).isEqualTo(tool.spanId());
        assertThat(lastStep.parentSpanId()).isEqualTo(resultPass.spanId());
        assertThat(lastStep.attributes())
                .containsEntry("gen_ai.usage.input_tokens", 171L)
                .containsEntry("gen_ai.usage.output_tokens", 6L)
                .containsEntry("gen_ai.response.finish_reasons", List.of("stop"));
        passOf(trace, "topology AgentStep", lastStep);

        // The logs written inside a span name it: the worker's line about the call.
        assertThat(logs.resolve("worker.log"))
                .content()
                .containsPattern("trace_id=" + CLIENT_TRACE + " span_id=" + tool.spanId() + " - .*calculator");

        // Each span came from the process that did the work (each names itself: SKEIN_TRACING_SERVICE_NAME).
        assertThat(Map.of(
                        "skein-core", List.of(turn, turnPass, stepPass, resultPass),
                        "skein-agents", steps,
                        "skein-worker", List.of(tool)))
                .allSatisfy((service, spans) ->
                        assertThat(spans).extracting(ReceivedSpan::service).containsOnly(service));
    }

    private static ReceivedSpan only(List<ReceivedSpan> trace, String name) {
        List<ReceivedSpan> named =
                trace.stream().filter(s -> s.name().equals(name)).toList();
        assertThat(named).as(name).hasSize(1);
        return named.getFirst();
    }

    private static ReceivedSpan passOf(List<ReceivedSpan> trace, String name, ReceivedSpan parent) {
        List<ReceivedSpan> children = trace.stream()
                .filter(s -> s.name().equals(name) && s.parentSpanId().equals(parent.spanId()))
                .toList();
        assertThat(children).as(name + " under " + parent.name()).hasSize(1);
        return children.getFirst();
    }

    private static void start(String role, Path config, String... flags) throws IOException {
        processes.add(SkeinUpProcess.role(role, logs.resolve(role), logs.resolve(role + ".log"))
                .config(config)
                .arguments("--bootstrap-servers", KafkaFixture.bootstrapServers())
                .arguments(flags)
                // The product's logging (logback.xml, with trace_id and span_id in its pattern), not the tests'.
                .jvmOptions("-Dlogback.configurationFile=logback.xml")
                .env(KEY_ENV, "sk-trace-it")
                .env("SKEIN_TRACING_SERVICE_NAME", "skein-" + role)
                .start());
    }

    private static void awaitReady() {
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(500))
                // Until the core listens; a process that died fails the assertion below instead.
                .ignoreExceptionsMatching(e -> e.getCause() instanceof java.net.ConnectException)
                .untilAsserted(() -> {
                    for (SkeinUpProcess process : processes) {
                        assertThat(process.process().isAlive())
                                .as("every process runs (logs in " + logs + ")")
                                .isTrue();
                    }
                    JsonNode workers = client.send(
                                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/workers"))
                                            .GET())
                            .body();
                    assertThat(workers.toString()).contains("trace-worker");
                    assertThat(client.send(HttpRequest.newBuilder(
                                                    URI.create("http://127.0.0.1:" + httpPort + "/v1/tools"))
                                            .GET())
                                    .body()
                                    .toString())
                            .contains("\"calculator\"");
                });
    }

    /** The provider: answers each request with the next scripted stream. */
    private static void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String next = script.poll();
            byte[] reply = (next != null ? next : "{\"error\":{\"message\":\"no scripted reply left\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", next != null ? "text/event-stream" : "application/json");
            exchange.sendResponseHeaders(next != null ? 200 : 500, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        }
    }
}
