package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.app.process.ChildJvm;
import dev.skein.workers.mcp.UncheckedOutputs;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.HdrHistogram.Histogram;

/**
 * {@code skein bench mcp}: what MCP costs a tool call, both ways, beside the built-in
 * {@code calculator}. One node in this JVM (auth off: {@code bench auth} measures that) imports
 * the tool {@code multiply} of two MCP servers the bench starts itself with the MCP Java SDK's
 * server side, one over stdio (a child JVM the worker starts) and one over Streamable HTTP (an
 * embedded Tomcat). The same calculation, 6 * 7, is then timed five ways, one call at a time and
 * the five alternating so that all see the same machine: a turn of the demo agent calling the
 * built-in calculator, the same turn calling {@code multiply} over stdio and over HTTP (MCP in),
 * {@code tools/call calculator} on Skein's {@code /mcp} with the SDK's client, and the calculation
 * asked as a turn over {@code /v1} (MCP out). Every call is a fresh session, as {@code /mcp}'s are.
 */
final class McpBench {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int WARMUP = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    record Options(int calls, Path out, Optional<String> bootstrapServers) {}

    /**
     * @param builtinTurn {@code use tool calculator} as a turn over {@code /v1}
     * @param stdioTurn the same turn calling the imported {@code multiply} over stdio
     * @param httpTurn the same turn calling it over Streamable HTTP
     * @param mcpToolsCall {@code tools/call calculator} over Skein's {@code /mcp}
     * @param apiTurn "what is 6*7" as a turn over {@code /v1} (the demo agent calls calculator)
     */
    record Report(
            int calls,
            Latency builtinTurn,
            Latency stdioTurn,
            Latency httpTurn,
            Latency mcpToolsCall,
            Latency apiTurn) {}

    private final Options options;
    private final PrintStream console;

    McpBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    Report run() throws Exception {
        Path work = Files.createTempDirectory("skein-mcp-bench");
        LocalKafka kafka = null;
        try (BenchMcpServer.Http remote = BenchMcpServer.http()) {
            String bootstrap = options.bootstrapServers().orElse(null);
            if (bootstrap == null) {
                kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                bootstrap = kafka.bootstrapServers();
            }
            List<String> stdio = ChildJvm.command(List.of("-Xmx128m"), BenchMcpServer.class.getName(), List.of());
            Map<String, Object> servers = Map.of(
                    "skein.mcp.servers",
                    List.of(
                            Map.of(
                                    "name",
                                    "bench-stdio",
                                    "command",
                                    stdio,
                                    "tier",
                                    "small",
                                    "rename",
                                    Map.of("multiply", "stdio_multiply")),
                            Map.of(
                                    "name",
                                    "bench-http",
                                    "url",
                                    remote.url(),
                                    "tier",
                                    "small",
                                    "rename",
                                    Map.of("multiply", "http_multiply"))));
            String prefix = "mcp-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            try (BenchNode node = BenchNode.start(bootstrap, prefix, work.resolve("node"), servers);
                    McpSyncClient mcp = client(node.httpPort())) {
                return measure(node.httpPort(), mcp);
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    private Report measure(int port, McpSyncClient mcp) throws Exception {
        awaitImported(port);
        mcp.initialize();
        Histogram builtin = Latency.histogram();
        Histogram stdio = Latency.histogram();
        Histogram http = Latency.histogram();
        Histogram mcpCall = Latency.histogram();
        Histogram api = Latency.histogram();
        console.printf(
                "MCP: %d calls of 6*7 each way: built-in, stdio, Streamable HTTP, /mcp, /v1 ...%n", options.calls());
        ch.qos.logback.classic.Level logLevel = SkeinBench.quietPerTurnLogs(ch.qos.logback.classic.Level.WARN);
        try {
            for (int i = -WARMUP; i < options.calls(); i++) {
                // The first ones warm every path (JIT, connections, the servers' first calls): not counted.
                // calculator is cacheable: "+0*n", with an n of its own for each call, makes every
                // call's arguments new, so every call runs on the worker (the imported tools are not
                // cacheable), none is answered from the result cache.
                int n = 3 * (i + WARMUP);
                String expression = "6*7+0*" + n;
                record(i, builtin, turn(port, "use tool calculator {\"expression\":\"" + expression + "\"}"));
                record(i, stdio, turn(port, "use tool stdio_multiply {\"a\":6,\"b\":7}"));
                record(i, http, turn(port, "use tool http_multiply {\"a\":6,\"b\":7}"));
                record(i, mcpCall, call(mcp, "6*7+0*" + (n + 1)));
                record(i, api, turn(port, "what is 6*7+0*" + (n + 2)));
            }
        } finally {
            SkeinBench.quietPerTurnLogs(logLevel);
        }
        return new Report(
                options.calls(),
                Latency.of(builtin),
                Latency.of(stdio),
                Latency.of(http),
                Latency.of(mcpCall),
                Latency.of(api));
    }

    private static McpSyncClient client(int port) {
        return McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port)
                        .endpoint("/mcp")
                        .build())
                .requestTimeout(Duration.ofSeconds(60))
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .build();
    }

    // A worker offers an imported tool once it has connected to the server and listed its tools.
    private void awaitImported(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                String stdio = tryTurn(port, "use tool stdio_multiply {\"a\":6,\"b\":7}");
                String http = tryTurn(port, "use tool http_multiply {\"a\":6,\"b\":7}");
                if (answers42(stdio) && answers42(http)) {
                    return;
                }
                last = stdio + " / " + http;
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the imported MCP tools did not answer within 120 s: " + last);
    }

    private static void record(int i, Histogram into, long nanos) {
        if (i >= 0) {
            into.recordValue(nanos);
        }
    }

    private static long call(McpSyncClient mcp, String expression) {
        long start = System.nanoTime();
        McpSchema.CallToolResult result =
                mcp.callTool(new McpSchema.CallToolRequest("calculator", Map.of("expression", expression)));
        long nanos = System.nanoTime() - start;
        String text = !result.content().isEmpty() && result.content().getFirst() instanceof McpSchema.TextContent t
                ? t.text()
                : "";
        if (Boolean.TRUE.equals(result.isError()) || !text.matches("(?s).*\\b42(\\.0)?\\b.*")) {
            throw new IllegalStateException("tools/call calculator over /mcp answered " + result);
        }
        return nanos;
    }

    private static long turn(int port, String message) throws IOException, InterruptedException {
        long start = System.nanoTime();
        String body = tryTurn(port, message);
        long nanos = System.nanoTime() - start;
        if (!answers42(body)) {
            throw new IllegalStateException("the turn '" + message + "' answered " + body);
        }
        return nanos;
    }

    // "200 {json}": a completed turn whose answer is 42 (the status code alone is not enough:
    // a tool error is a completed turn too, and a session id may hold the digits 42).
    private static boolean answers42(String response) {
        if (!response.startsWith("200 ")) {
            return false;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode turn = JSON.readTree(response.substring(4));
            return turn.path("status").asText().equals("COMPLETED")
                    && turn.path("answer").asText().matches("(?s).*\\b42(\\.0)?\\b.*");
        } catch (IOException e) {
            return false;
        }
    }

    private static String tryTurn(int port, String message) throws IOException, InterruptedException {
        String json = "{\"message\":" + JSON.writeValueAsString(message) + "}";
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions/mcpb-" + UUID.randomUUID()
                                + "/turns?wait=30s"))
                        .header("content-type", "application/json")
                        .timeout(Duration.ofSeconds(40))
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    void write(Report report) throws IOException {
        Files.createDirectories(options.out());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.out().resolve("mcp.json").toFile(), report);
        console.println();
        console.printf("| 6*7, %d calls each, one at a time | p50 ms | p99 ms |%n", report.calls());
        console.println("|---|---:|---:|");
        row("MCP in: a turn calling the built-in calculator", report.builtinTurn());
        row("MCP in: the same turn calling an imported tool over stdio", report.stdioTurn());
        row("MCP in: the same turn calling an imported tool over Streamable HTTP", report.httpTurn());
        row("MCP out: tools/call calculator over /mcp (the SDK's client)", report.mcpToolsCall());
        row("MCP out: the calculation as a turn over POST /v1 (?wait)", report.apiTurn());
    }

    private void row(String path, Latency latency) {
        console.printf("| %s | %.1f | %.1f |%n", path, latency.p50(), latency.p99());
    }
}
