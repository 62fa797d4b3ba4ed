package dev.skein.integration.mcp;

import dev.skein.workers.mcp.UncheckedOutputs;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;

/**
 * An MCP server built with the MCP Java SDK's server side, for Skein's MCP client to import:
 * {@code echo} answers its text, {@code fail} answers an error result, {@code halt} kills the
 * process mid-call (stdio: the server disappears), {@code grow} adds the tool {@code late_echo} and
 * notifies the list change. {@code echo} is annotated {@code readOnlyHint: true}, {@code fail}
 * {@code readOnlyHint: false}, the others not at all. Run as a child process for stdio ({@link #main}), or in-process over
 * Streamable HTTP on an embedded Tomcat ({@link #http}).
 */
public final class TestMcpServer {

    private TestMcpServer() {}

    /** The stdio server: reads JSON-RPC from stdin until it closes. */
    public static void main(String[] args) throws Exception {
        // stdout is the protocol's: logs (logback's console appender) go to stderr, which Skein logs.
        java.io.PrintStream protocol = System.out;
        System.setOut(System.err);
        // The worker that started it may die without closing its stdin: stop with the test's JVM.
        dev.skein.app.process.ParentWatch.exitWithParent();
        AtomicReference<McpSyncServer> server = new AtomicReference<>();
        server.set(McpServer.sync(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), System.in, protocol))
                .serverInfo("test-mcp-stdio", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .tools(tools(server, true))
                .build());
        Thread.currentThread().join();
    }

    /** A running HTTP server; close stops it. */
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

    /** The Streamable HTTP server on a free port, at /mcp. */
    public static Http http() throws Exception {
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint("/mcp")
                .build();
        AtomicReference<McpSyncServer> server = new AtomicReference<>();
        server.set(McpServer.sync(transport)
                .serverInfo("test-mcp-http", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .tools(tools(server, false))
                .build());
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(java.nio.file.Files.createTempDirectory("tomcat").toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
        context.addServletMappingDecoded("/*", "mcp");
        tomcat.getConnector();
        tomcat.start();
        return new Http(tomcat, server.get(), tomcat.getConnector().getLocalPort());
    }

    private static List<SyncToolSpecification> tools(AtomicReference<McpSyncServer> server, boolean canHalt) {
        Map<String, Object> textSchema = Map.of(
                "type", "object", "properties", Map.of("text", Map.of("type", "string")), "required", List.of("text"));
        Map<String, Object> noArguments = Map.of("type", "object");
        SyncToolSpecification echo = tool(
                "echo",
                "Answers its text",
                textSchema,
                readOnly(true),
                (exchange, request) -> text("echo: " + request.arguments().get("text"), false));
        SyncToolSpecification fail = tool(
                "fail",
                "Always fails",
                noArguments,
                readOnly(false),
                (exchange, request) -> text("the disk is full", true));
        SyncToolSpecification grow = tool("grow", "Adds the tool late_echo", noArguments, (exchange, request) -> {
            server.get()
                    .addTool(tool(
                            "late_echo",
                            "Answers its text, added late",
                            textSchema,
                            (e, r) -> text("late: " + r.arguments().get("text"), false)));
            server.get().notifyToolsListChanged();
            return text("added late_echo", false);
        });
        SyncToolSpecification halt = tool("halt", "Kills the server mid-call", noArguments, (exchange, request) -> {
            Runtime.getRuntime().halt(3);
            return text("unreachable", false);
        });
        return canHalt ? List.of(echo, fail, grow, halt) : List.of(echo, fail, grow);
    }

    private static McpSchema.ToolAnnotations readOnly(boolean hint) {
        return McpSchema.ToolAnnotations.builder().readOnlyHint(hint).build();
    }

    private static SyncToolSpecification tool(
            String name,
            String description,
            Map<String, Object> schema,
            java.util.function.BiFunction<
                            io.modelcontextprotocol.server.McpSyncServerExchange,
                            McpSchema.CallToolRequest,
                            McpSchema.CallToolResult>
                    handler) {
        return tool(name, description, schema, null, handler);
    }

    private static SyncToolSpecification tool(
            String name,
            String description,
            Map<String, Object> schema,
            McpSchema.ToolAnnotations annotations,
            java.util.function.BiFunction<
                            io.modelcontextprotocol.server.McpSyncServerExchange,
                            McpSchema.CallToolRequest,
                            McpSchema.CallToolResult>
                    handler) {
        return new SyncToolSpecification(
                McpSchema.Tool.builder()
                        .name(name)
                        .description(description)
                        .inputSchema(schema)
                        .annotations(annotations)
                        .build(),
                handler);
    }

    private static McpSchema.CallToolResult text(String text, boolean error) {
        return McpSchema.CallToolResult.builder()
                .content(List.of(new McpSchema.TextContent(text)))
                .isError(error)
                .build();
    }
}
