package dev.skein.integration.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.ingress.auth.ApiKeys;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.workers.mcp.UncheckedOutputs;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The MCP Java SDK's client against Skein's {@code /mcp} on a node with authentication on: it lists
 * Skein's tools, calls {@code calculator} (which runs on the node's worker: its duration timer
 * counts it), asks the demo agent and reads that session's history as a resource; without a
 * credential it gets nowhere.
 */
@Tag("mcp")
class McpServerIT {

    private static final String USER_KEY = "skein_mcpuser00001_" + "a".repeat(64);
    private static final String OPERATOR_KEY = "skein_mcpoperator1_" + "b".repeat(64);
    private static SkeinNode node;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        node = SkeinNode.start(
                TestNodes.config(
                        "mcp-out",
                        Map.of(
                                "skein.auth.enabled",
                                true,
                                // GET /mcp's heartbeat, soon enough for a test to see one.
                                "skein.event-streams.heartbeat",
                                "1s",
                                "skein.auth.api-keys-topic",
                                false,
                                "skein.auth.api-keys",
                                List.of(
                                        Map.of(
                                                "id",
                                                "mcpuser00001",
                                                "sha256",
                                                ApiKeys.sha256(USER_KEY),
                                                "tenant",
                                                "acme",
                                                "roles",
                                                List.of("user")),
                                        Map.of(
                                                "id", "mcpoperator1",
                                                "sha256", ApiKeys.sha256(OPERATOR_KEY),
                                                "roles", List.of("operator"))))),
                Set.of(Role.values()),
                false);
        base = "http://127.0.0.1:" + node.httpPort().orElseThrow();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    private static McpSyncClient client(String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder();
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return McpClient.sync(HttpClientStreamableHttpTransport.builder(base)
                        .endpoint("/mcp")
                        .requestBuilder(request)
                        .build())
                .requestTimeout(Duration.ofSeconds(60))
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .build();
    }

    @Test
    void theSdkClientListsAndCallsToolsAsksAnAgentAndReadsAHistory() throws Exception {
        try (McpSyncClient client = client(USER_KEY)) {
            client.initialize();
            List<McpSchema.Tool> tools = client.listTools().tools();
            List<String> names = tools.stream().map(McpSchema.Tool::name).toList();
            assertThat(names).contains("calculator", "ask_demo", "remember");
            // readOnlyHint says what Skein's own dispatch relies on: the calculator only computes;
            // remember writes a memory; asking an agent adds to a session.
            Map<String, Boolean> readOnly = tools.stream()
                    .collect(Collectors.toMap(
                            McpSchema.Tool::name, t -> t.annotations().readOnlyHint()));
            assertThat(readOnly)
                    .containsEntry("calculator", true)
                    .containsEntry("remember", false)
                    .containsEntry("ask_demo", false);

            double before = calculatorCalls();
            McpSchema.CallToolResult sum =
                    client.callTool(new McpSchema.CallToolRequest("calculator", Map.of("expression", "6*7")));
            assertThat(sum.isError()).isFalse();
            assertThat(text(sum)).contains("42");
            // Run on the worker: its duration timer for calculator counted one more call.
            assertThat(calculatorCalls()).isEqualTo(before + 1);

            McpSchema.CallToolResult bad =
                    client.callTool(new McpSchema.CallToolRequest("calculator", Map.of("expression", 7)));
            assertThat(bad.isError()).as(text(bad)).isTrue();

            McpSchema.CallToolResult asked = client.callTool(new McpSchema.CallToolRequest(
                    "ask_demo", Map.of("session", "mcp-chat", "message", "hello from an MCP host")));
            assertThat(asked.isError()).isFalse();
            assertThat(text(asked)).startsWith("[demo agent]");

            McpSchema.ReadResourceResult history =
                    client.readResource(new McpSchema.ReadResourceRequest("skein://sessions/mcp-chat/history"));
            String json = ((McpSchema.TextResourceContents) history.contents().getFirst()).text();
            assertThat(json).contains("hello from an MCP host").contains("[demo agent]");

            // The tenant's sessions are listed as resources; another tenant's are not.
            McpSchema.ListResourcesResult listed = client.listResources();
            assertThat(listed.resources())
                    .extracting(McpSchema.Resource::uri)
                    .contains("skein://sessions/mcp-chat/history");
            assertThat(listed.nextCursor()).isNull();
        }
        try (McpSyncClient other = client(OPERATOR_KEY)) {
            other.initialize();
            assertThat(other.listResources().resources())
                    .extracting(McpSchema.Resource::uri)
                    .doesNotContain("skein://sessions/mcp-chat/history");
        }
    }

    @Test
    void aCallWithAProgressTokenGetsProgressFromItsDeltas() {
        List<McpSchema.ProgressNotification> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpRequest.Builder request = HttpRequest.newBuilder().header("Authorization", "Bearer " + USER_KEY);
        try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base)
                        .endpoint("/mcp")
                        .requestBuilder(request)
                        .build())
                .requestTimeout(Duration.ofSeconds(60))
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .progressConsumer(progress::add)
                .build()) {
            client.initialize();
            McpSchema.CallToolResult sum = client.callTool(new McpSchema.CallToolRequest(
                    "calculator", Map.of("expression", "2^10"), Map.of("progressToken", "p-1")));
            assertThat(text(sum)).contains("1024");
            assertThat(progress).isNotEmpty();
            assertThat(progress).allSatisfy(p -> assertThat(p.progressToken()).isEqualTo("p-1"));
            assertThat(progress.stream().map(McpSchema.ProgressNotification::message))
                    .anySatisfy(m -> assertThat(m).contains("calculator"));
        }
    }

    @Test
    void withoutACredentialNothingIsServed() throws Exception {
        try (McpSyncClient anonymous = client(null)) {
            assertThatThrownBy(anonymous::initialize).isInstanceOf(RuntimeException.class);
        }
        HttpResponse<String> raw = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base + "/mcp"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(401);
        assertThat(raw.body()).contains("error").doesNotContain("calculator");
    }

    /** A figure, not a benchmark: medians of 10 calls of calculator over MCP and over /v1. */
    @Test
    void latencyOfACallThroughMcpBesideTheSameCallOverTheApi() throws Exception {
        try (McpSyncClient client = client(USER_KEY)) {
            client.initialize();
            client.callTool(new McpSchema.CallToolRequest("calculator", Map.of("expression", "1+1")));
            List<Long> mcp = new java.util.ArrayList<>();
            List<Long> api = new java.util.ArrayList<>();
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < 10; i++) {
                long start = System.nanoTime();
                assertThat(text(client.callTool(
                                new McpSchema.CallToolRequest("calculator", Map.of("expression", "6*7")))))
                        .contains("42");
                mcp.add((System.nanoTime() - start) / 1_000_000);
                start = System.nanoTime();
                HttpResponse<String> turn = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/v1/sessions/lat-" + i + "/turns?wait=30"))
                                .header("Authorization", "Bearer " + USER_KEY)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"what is 6*7\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(turn.body()).contains("42");
                api.add((System.nanoTime() - start) / 1_000_000);
            }
            java.util.Collections.sort(mcp);
            java.util.Collections.sort(api);
            System.out.printf(
                    "MCP out, calculator p50 of 10 (ms): tools/call over /mcp %d, a turn over /v1 %d%n",
                    mcp.get(5), api.get(5));
        }
    }

    @Test
    void malformedRequestsGetClearErrors() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> broken = post(http, "{\"jsonrpc\":\"2.0\",\"id\":1,");
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(broken.body()).contains("-32700").contains("not JSON");
        HttpResponse<String> batch = post(http, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
        assertThat(batch.statusCode()).isEqualTo(400);
        assertThat(batch.body()).contains("-32600");
        HttpResponse<String> badCursor =
                post(http, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"resources/list\",\"params\":{\"cursor\":7}}");
        assertThat(badCursor.body()).contains("-32602").contains("cursor");
        HttpResponse<String> forgedCursor = post(
                http, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"resources/list\",\"params\":{\"cursor\":\"../x\"}}");
        assertThat(forgedCursor.body()).contains("-32602").contains("\"id\":10");
        HttpResponse<String> unknown = post(http, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"prompts/list\"}");
        assertThat(unknown.body()).contains("-32601").contains("\"id\":7");
        HttpResponse<String> noTool =
                post(http, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}");
        assertThat(noTool.body()).contains("-32602").contains("no tool named 'nope'");
        HttpResponse<String> notSse = http.send(
                HttpRequest.newBuilder(URI.create(base + "/mcp"))
                        .header("Authorization", "Bearer " + USER_KEY)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(notSse.statusCode()).isEqualTo(406);
        assertThat(notSse.body()).contains("error").contains("text/event-stream");
    }

    @Test
    void getMcpIsAnAuthenticatedStreamWithHeartbeats() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> anonymous = http.send(
                HttpRequest.newBuilder(URI.create(base + "/mcp"))
                        .header("Accept", "text/event-stream")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<java.util.stream.Stream<String>> stream = http.send(
                HttpRequest.newBuilder(URI.create(base + "/mcp"))
                        .header("Authorization", "Bearer " + USER_KEY)
                        .header("Accept", "application/json, text/event-stream")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        // The opening comment, then one a second (skein.event-streams.heartbeat = 1s here).
        long start = System.nanoTime();
        List<String> comments;
        try (java.util.stream.Stream<String> lines = stream.body()) {
            comments = lines.filter(line -> line.startsWith(":")).limit(3).toList();
        }
        assertThat(comments).containsOnly(": heartbeat");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    private static HttpResponse<String> post(HttpClient http, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + "/mcp"))
                        .header("Authorization", "Bearer " + USER_KEY)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String text(McpSchema.CallToolResult result) {
        return ((McpSchema.TextContent) result.content().getFirst()).text();
    }

    private static double calculatorCalls() throws Exception {
        String metrics = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                .header("Authorization", "Bearer " + OPERATOR_KEY)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher m = Pattern.compile(
                        "skein_worker_task_duration_seconds_count\\{[^}]*tool=\"calculator\"[^}]*} ([0-9.eE+]+)")
                .matcher(metrics);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }
}
