package dev.skein.integration.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.process.ChildJvm;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.workers.mcp.UncheckedOutputs;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Skein importing the tools of two real MCP servers built with the MCP Java SDK: one over stdio (a
 * child JVM the worker starts) and one over Streamable HTTP (an embedded Tomcat), both for the
 * small tier. Turns of the demo agent call the imported tools on the node's worker; the history
 * shows call and result; error results, a server that dies mid-call and a list change are seen.
 */
@Tag("mcp")
class McpToolsInIT {

    private static TestMcpServer.Http httpServer;
    private static SkeinNode node;
    private static SkeinClient http;

    @BeforeAll
    static void start() throws Exception {
        httpServer = TestMcpServer.http();
        List<String> stdio = ChildJvm.command(List.of("-Xmx128m"), TestMcpServer.class.getName(), List.of());
        node = SkeinNode.start(
                TestNodes.config(
                        "mcp-in",
                        Map.of(
                                "skein.mcp.servers",
                                List.of(
                                        Map.of(
                                                "name", "local",
                                                "command", stdio,
                                                "tier", "small",
                                                "rename", Map.of("echo", "local_echo"),
                                                "timeout", "20s"),
                                        Map.of(
                                                "name",
                                                "remote",
                                                "url",
                                                httpServer.url(),
                                                "tier",
                                                "small",
                                                "tools",
                                                List.of("echo", "grow", "late_echo"),
                                                "rename",
                                                // Two servers' tools of one name would be one catalog entry.
                                                Map.of("echo", "remote_echo", "grow", "remote_grow"),
                                                "headers",
                                                Map.of("X-Test", "skein"))))),
                Set.of(Role.values()),
                false);
        http = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
        if (httpServer != null) {
            httpServer.close();
        }
    }

    @Test
    void turnsCallImportedToolsOverStdioAndHttpAndSeeErrorsDisappearanceAndListChanges() {
        // Both servers' tools are in the catalog with their schemas; "fail" of remote is not imported.
        JsonNode tools = await().atMost(Duration.ofSeconds(60))
                .until(
                        this::tools,
                        t -> t.toString().contains("remote_echo")
                                && t.toString().contains("local_echo"));
        assertThat(tools.toString()).contains("Answers its text").contains("\"required\"");
        assertThat(names(tools)).contains("local_echo", "fail", "grow", "halt", "remote_echo", "remote_grow");

        JsonNode viaStdio = turn("s-stdio", "use tool local_echo {\"text\":\"hello over stdio\"}");
        assertThat(viaStdio.toString()).contains("echo: hello over stdio");
        JsonNode history = http.awaitHistory("s-stdio", 4);
        assertThat(history.toString()).contains("local_echo").contains("echo: hello over stdio");

        JsonNode viaHttp = turn("s-http", "use tool remote_echo {\"text\":\"hello over http\"}");
        assertThat(viaHttp.toString()).contains("echo: hello over http");

        // Arguments are checked against the server's schema before dispatch.
        JsonNode invalid = turn("s-invalid", "use tool remote_echo {\"wrong\":1}");
        assertThat(invalid.toString()).containsIgnoringCase("text");

        JsonNode failed = turn("s-fail", "use tool fail {}");
        assertThat(failed.toString()).contains("the disk is full").contains("MCP tool fail of server local failed");

        // The stdio server dies mid-call: an error result, its tools withdrawn, then back after a reconnect.
        JsonNode halted = turn("s-halt", "use tool halt {}");
        assertThat(halted.toString()).contains("MCP server local went away during the call of halt");
        JsonNode again = await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> turn("s-again-" + System.nanoTime(), "use tool local_echo {\"text\":\"back\"}"),
                        r -> r.toString().contains("echo: back"));
        assertThat(again.toString()).contains("echo: back");

        // A list change on the HTTP server adds late_echo to /v1/tools, and it can be called; an MCP
        // host on Skein's own /mcp hears of it on its GET stream (notifications/tools/list_changed).
        List<List<McpSchema.Tool>> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (McpSyncClient host = McpClient.sync(HttpClientStreamableHttpTransport.builder(base())
                        .endpoint("/mcp")
                        .openConnectionOnStartup(true)
                        .build())
                .requestTimeout(Duration.ofSeconds(60))
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .toolsChangeConsumer(heard::add)
                .build()) {
            host.initialize();
            assertThat(host.getServerCapabilities().tools().listChanged()).isTrue();
            assertThat(turn("s-grow", "use tool remote_grow {}").toString()).contains("added late_echo");
            await().atMost(Duration.ofSeconds(30)).until(() -> names(tools()).contains("late_echo"));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> heard.stream()
                            .anyMatch(
                                    list -> list.stream().anyMatch(t -> t.name().equals("late_echo"))));
        }
        await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> turn("s-late-" + System.nanoTime(), "use tool late_echo {\"text\":\"x\"}"),
                        r -> r.toString().contains("late: x"));
    }

    /**
     * Not a benchmark (one node on a shared machine), a figure beside a built-in tool: the median
     * of 10 turns, each one call of the tool and the demo agent's answer.
     */
    @Test
    void latencyOfImportedToolsBesideABuiltInTool() {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> names(tools()).containsAll(List.of("local_echo", "remote_echo")));
        await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> turn("warm-" + System.nanoTime(), "use tool local_echo {\"text\":\"w\"}"),
                        r -> r.toString().contains("echo: w"));
        String builtin = median("use tool calculator {\"expression\":\"6*7\"}", "42");
        String stdio = median("use tool local_echo {\"text\":\"t\"}", "echo: t");
        String remote = median("use tool remote_echo {\"text\":\"t\"}", "echo: t");
        System.out.printf(
                "MCP in, turn latency p50 of 10 (ms): built-in calculator %s, MCP stdio %s, MCP Streamable HTTP %s%n",
                builtin, stdio, remote);
    }

    private String median(String message, String expected) {
        List<Long> millis = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            long start = System.nanoTime();
            assertThat(turn("lat-" + System.nanoTime(), message).toString()).contains(expected);
            millis.add((System.nanoTime() - start) / 1_000_000);
        }
        java.util.Collections.sort(millis);
        return String.valueOf(millis.get(millis.size() / 2));
    }

    private JsonNode turn(String session, String message) {
        SkeinClient.Response response = http.postTurn(session, message, true);
        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        return response.body();
    }

    private JsonNode tools() {
        return http.send(
                        HttpRequest.newBuilder(URI.create(base() + "/v1/tools")).GET())
                .body();
    }

    private static List<String> names(JsonNode tools) {
        JsonNode list = tools.has("tools") ? tools.get("tools") : tools;
        List<String> out = new java.util.ArrayList<>();
        list.forEach(t -> out.add(t.path("name").asText()));
        return out;
    }

    private static String base() {
        return "http://127.0.0.1:" + node.httpPort().orElseThrow();
    }
}
