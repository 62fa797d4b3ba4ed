package dev.skein.bench;

import dev.skein.app.process.ParentWatch;
import dev.skein.workers.mcp.UncheckedOutputs;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;

/**
 * The MCP server that {@code skein bench mcp} imports from, built with the MCP Java SDK's server
 * side: one tool, {@code multiply} ({@code a * b} of two integers), the same calculation the
 * built-in {@code calculator} is timed with, so the rows differ only by the path. Over stdio as a
 * child JVM ({@link #main}), or in this JVM over Streamable HTTP on an embedded Tomcat ({@link
 * #http}: the SDK's HTTP server transport is a servlet).
 */
public final class BenchMcpServer {

    private BenchMcpServer() {}

    /** The stdio server: JSON-RPC on stdin and stdout until stdin closes or the bench is gone. */
    public static void main(String[] args) throws Exception {
        // stdout belongs to the protocol: anything logged goes to stderr, which the worker logs.
        PrintStream protocol = System.out;
        System.setOut(System.err);
        ParentWatch.exitWithParent();
        McpServer.sync(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), System.in, protocol))
                .serverInfo("skein-bench-stdio", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .tools(List.of(multiply()))
                .build();
        Thread.currentThread().join();
    }

    /** A running Streamable HTTP server; close stops it. */
    public record Http(Tomcat tomcat, McpSyncServer server, int port) implements AutoCloseable {
        public String url() {
            return "http://127.0.0.1:" + port + "/mcp";
        }

        @Override
        public void close() throws Exception {
            server.close();
            tomcat.stop();
            tomcat.destroy();
        }
    }

    /** The Streamable HTTP server on a free port of 127.0.0.1, at {@code /mcp}. */
    public static Http http() throws Exception {
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint("/mcp")
                .build();
        McpSyncServer server = McpServer.sync(transport)
                .serverInfo("skein-bench-http", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .tools(List.of(multiply()))
                .build();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("skein-bench-tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
        context.addServletMappingDecoded("/*", "mcp");
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.start();
        return new Http(tomcat, server, tomcat.getConnector().getLocalPort());
    }

    private static SyncToolSpecification multiply() {
        Map<String, Object> integer = Map.of("type", "integer");
        Map<String, Object> schema = Map.of(
                "type", "object", "properties", Map.of("a", integer, "b", integer), "required", List.of("a", "b"));
        return new SyncToolSpecification(
                McpSchema.Tool.builder()
                        .name("multiply")
                        .description("a * b of two integers")
                        .inputSchema(schema)
                        .build(),
                (exchange, request) -> {
                    long a = ((Number) request.arguments().get("a")).longValue();
                    long b = ((Number) request.arguments().get("b")).longValue();
                    return McpSchema.CallToolResult.builder()
                            .content(List.of(new McpSchema.TextContent(Long.toString(a * b))))
                            .isError(false)
                            .build();
                });
    }
}
