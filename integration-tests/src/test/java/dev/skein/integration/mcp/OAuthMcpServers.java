package dev.skein.integration.mcp;

import dev.skein.workers.mcp.UncheckedOutputs;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * An OAuth 2.0 authorization server's token endpoint (RFC 6749 client credentials, on Vert.x) and,
 * behind it, an MCP server built with the MCP Java SDK (tool {@code echo}, on Tomcat) that accepts
 * only unexpired bearer tokens that endpoint issued and that were not revoked. We cannot reach a
 * real identity provider here; this one speaks the same protocol.
 */
final class OAuthMcpServers implements AutoCloseable {

    static final String CLIENT_ID = "skein-worker";
    static final String SECRET = "s3cret/+&=";

    /** One request the token endpoint received. */
    record TokenRequest(String clientAuth, Map<String, String> form) {}

    final List<TokenRequest> tokenRequests = new CopyOnWriteArrayList<>();
    final AtomicLong lifetimeSeconds = new AtomicLong(3600);
    final AtomicInteger rejected = new AtomicInteger();
    /** When set, the token endpoint refuses every client (as after the client was deleted). */
    final java.util.concurrent.atomic.AtomicBoolean refuseAll = new java.util.concurrent.atomic.AtomicBoolean();

    private final Map<String, Instant> issued = new ConcurrentHashMap<>();
    private final AtomicInteger counter = new AtomicInteger();
    private final Vertx vertx = Vertx.vertx();
    private final HttpServer tokenServer;
    private final Tomcat tomcat;
    private final McpSyncServer mcp;

    OAuthMcpServers() throws Exception {
        Router router = Router.router(vertx);
        router.post("/token").handler(BodyHandler.create().setBodyLimit(4096)).handler(ctx -> {
            Map<String, String> form = form(ctx.body().asString());
            String header = ctx.request().getHeader("Authorization");
            String id;
            String secret;
            String how;
            if (header != null && header.startsWith("Basic ")) {
                String[] pair = new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8)
                        .split(":", 2);
                id = decode(pair[0]);
                secret = pair.length > 1 ? decode(pair[1]) : "";
                how = "basic";
            } else {
                id = form.getOrDefault("client_id", "");
                secret = form.getOrDefault("client_secret", "");
                how = "body";
            }
            tokenRequests.add(new TokenRequest(how, form));
            ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store");
            if (!String.valueOf(ctx.request().getHeader("Content-Type")).startsWith("application/x-www-form-urlencoded")
                    || !"client_credentials".equals(form.get("grant_type"))) {
                ctx.response()
                        .setStatusCode(400)
                        .end(new JsonObject()
                                .put("error", "unsupported_grant_type")
                                .encode());
                return;
            }
            if (refuseAll.get() || !CLIENT_ID.equals(id) || !SECRET.equals(secret)) {
                ctx.response()
                        .setStatusCode(401)
                        .end(new JsonObject()
                                .put("error", "invalid_client")
                                .put("error_description", "client authentication failed")
                                .encode());
                return;
            }
            String token = "tok-" + counter.incrementAndGet();
            long lifetime = lifetimeSeconds.get();
            issued.put(token, Instant.now().plusSeconds(lifetime));
            ctx.response()
                    .end(new JsonObject()
                            .put("access_token", token)
                            .put("token_type", "bearer")
                            .put("expires_in", lifetime)
                            .encode());
        });
        tokenServer = vertx.createHttpServer()
                .requestHandler(router)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get();

        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint("/mcp")
                .build();
        mcp = McpServer.sync(transport)
                .serverInfo("test-mcp-oauth", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                .tools(List.of(new SyncToolSpecification(
                        McpSchema.Tool.builder()
                                .name("echo")
                                .description("Answers its text")
                                .inputSchema(Map.of("type", "object"))
                                .build(),
                        (exchange, request) -> McpSchema.CallToolResult.builder()
                                .content(List.of(new McpSchema.TextContent(
                                        "echo: " + request.arguments().get("text"))))
                                .isError(false)
                                .build())))
                .build();
        tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("tomcat-oauth").toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
        context.addServletMappingDecoded("/*", "mcp");
        FilterDef bearer = new FilterDef();
        bearer.setFilterName("bearer");
        bearer.setFilter(bearerFilter());
        bearer.setAsyncSupported("true");
        context.addFilterDef(bearer);
        FilterMap everything = new FilterMap();
        everything.setFilterName("bearer");
        everything.addURLPattern("/*");
        context.addFilterMap(everything);
        tomcat.getConnector();
        tomcat.start();
    }

    private Filter bearerFilter() {
        return (request, response, chain) -> {
            String header = ((HttpServletRequest) request).getHeader("Authorization");
            String token = header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
            Instant expires = issued.get(token);
            if (expires == null || Instant.now().isAfter(expires)) {
                rejected.incrementAndGet();
                HttpServletResponse http = (HttpServletResponse) response;
                http.setStatus(401);
                http.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
                return;
            }
            chain.doFilter(request, response);
        };
    }

    /** The MCP server stops accepting every token issued so far (as a revocation would). */
    void revokeAll() {
        issued.clear();
    }

    String tokenUrl() {
        return "http://127.0.0.1:" + tokenServer.actualPort() + "/token";
    }

    String mcpUrl() {
        return "http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + "/mcp";
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new java.util.LinkedHashMap<>();
        for (String pair : body == null ? new String[0] : body.split("&")) {
            String[] kv = pair.split("=", 2);
            if (!kv[0].isEmpty()) {
                form.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
            }
        }
        return form;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        mcp.close();
        tomcat.stop();
        tomcat.destroy();
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }
}
