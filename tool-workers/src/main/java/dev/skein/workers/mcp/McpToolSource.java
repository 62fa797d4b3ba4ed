package dev.skein.workers.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolCatalog;
import dev.skein.workers.ToolFailure;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection of one worker to one MCP server, through the MCP Java SDK's client: connects,
 * lists the server's tools and offers them to the worker, follows list-changed notifications,
 * runs calls, and reconnects when the server goes away. While it is disconnected its tools are
 * withdrawn (the worker's heartbeat stops listing them, so routers refuse their calls with a
 * reason instead of queueing them for nobody); a ping every {@link #PING_INTERVAL} notices a
 * server that went away between calls.
 */
public final class McpToolSource implements AutoCloseable {

    /** Where the tools go: the worker's {@code offer} and {@code withdraw}. */
    public interface Offers {
        void offer(Collection<? extends Tool> tools) throws InterruptedException;

        void withdraw(Collection<String> names) throws InterruptedException;
    }

    static final Duration PING_INTERVAL = Duration.ofSeconds(3);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(McpToolSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final McpServerSpec spec;
    private final Offers offers;
    private final ScheduledExecutorService timer;
    private final Map<String, McpTool> offered = new LinkedHashMap<>();
    private final java.util.concurrent.ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    // The bearer token of a server with OAuth client credentials; null for the others.
    private final AccessTokens tokens;
    private McpSyncClient client;
    // Completed (with why) when the current connection is lost: an SDK call in flight does not
    // always fail when a stdio server's process exits, so calls wait on this too.
    private CompletableFuture<String> gone = new CompletableFuture<>();
    private boolean closed;
    private Duration backoff = Duration.ofSeconds(1);
    // Why the last connection attempt failed or the connection was lost, for the calls refused meanwhile.
    private String lastFailure = "not connected yet";

    public McpToolSource(McpServerSpec spec, Offers offers) {
        this.spec = spec;
        this.offers = offers;
        this.tokens = spec.oauth() == null
                ? null
                : new AccessTokens(spec.oauth(), spec.timeout(), java.time.Clock.systemUTC());
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("skein-mcp-" + spec.name()).daemon().factory());
    }

    /** Connects once now (so the tools are offered before the worker takes calls), else keeps trying in the background. */
    public void start() {
        connect();
        long every = PING_INTERVAL.toMillis();
        timer.scheduleWithFixedDelay(this::ping, every, every, TimeUnit.MILLISECONDS);
    }

    /** True while connected. */
    public synchronized boolean isConnected() {
        return client != null;
    }

    private void connect() {
        McpSyncClient fresh = null;
        try {
            synchronized (this) {
                if (closed || client != null) {
                    return;
                }
            }
            McpClientTransport transport = transport();
            fresh = McpClient.sync(transport)
                    .clientInfo(new McpSchema.Implementation("skein", "1"))
                    .requestTimeout(spec.timeout())
                    .initializationTimeout(spec.timeout())
                    .toolsChangeConsumer(this::changed)
                    .jsonSchemaValidator(UncheckedOutputs.INSTANCE)
                    .build();
            fresh.initialize();
            List<McpSchema.Tool> tools = listAll(fresh);
            synchronized (this) {
                client = fresh;
                gone = new CompletableFuture<>();
                backoff = Duration.ofSeconds(1);
            }
            if (transport instanceof StdioClientTransport stdio) {
                McpSyncClient watched = fresh;
                Thread.ofVirtual().name("skein-mcp-exit-" + spec.name()).start(() -> {
                    stdio.awaitForExit();
                    lost(watched, new IllegalStateException("its process exited"));
                });
            }
            log.info("MCP server {} ({}) connected with {} tools", spec.name(), spec.describe(), tools.size());
            changed(tools);
        } catch (RuntimeException e) {
            closeQuietly(fresh);
            scheduleReconnect("cannot connect: " + McpError.aggregateExceptionMessages(e));
        }
    }

    private McpClientTransport transport() {
        if (spec.url() != null) {
            java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder();
            spec.headers().forEach(request::header);
            HttpClientStreamableHttpTransport.Builder http = HttpClientStreamableHttpTransport.builder(
                            spec.url().toString())
                    .connectTimeout(spec.timeout())
                    .requestBuilder(request);
            if (tokens != null) {
                McpBearer.apply(http, tokens);
            }
            return http.build();
        }
        ServerParameters parameters = ServerParameters.builder(spec.command().getFirst())
                .args(spec.command().subList(1, spec.command().size()))
                .build();
        StdioClientTransport stdio = new StdioClientTransport(parameters, McpJsonDefaults.getMapper());
        stdio.setStdErrorHandler(line -> log.info("MCP server {}: {}", spec.name(), line));
        return stdio;
    }

    private static List<McpSchema.Tool> listAll(McpSyncClient client) {
        List<McpSchema.Tool> tools = new ArrayList<>();
        String cursor = null;
        do {
            McpSchema.ListToolsResult page = cursor == null ? client.listTools() : client.listTools(cursor);
            tools.addAll(page.tools());
            cursor = page.nextCursor();
        } while (cursor != null);
        return tools;
    }

    /** The server's tools now: offers new and changed ones, withdraws the ones it dropped. */
    private void changed(List<McpSchema.Tool> tools) {
        Map<String, McpTool> wanted = new LinkedHashMap<>();
        for (McpSchema.Tool tool : tools) {
            if (!spec.imports(tool.name())) {
                continue;
            }
            String name = spec.skeinName(tool.name()).orElse(null);
            if (name == null) {
                log.warn(
                        "MCP server {}: tool '{}' has no valid Skein name; give it one in rename",
                        spec.name(),
                        tool.name());
                continue;
            }
            boolean readOnly = McpTool.readOnlyHint(tool);
            wanted.put(name, new McpTool(this, spec, name, tool.name(), description(tool), schema(tool), readOnly));
        }
        List<McpTool> fresh;
        List<String> gone;
        synchronized (this) {
            fresh = wanted.values().stream()
                    .filter(t -> !t.sameAs(offered.get(t.name())))
                    .toList();
            gone = offered.keySet().stream().filter(n -> !wanted.containsKey(n)).toList();
            offered.clear();
            offered.putAll(wanted);
        }
        try {
            if (!gone.isEmpty()) {
                offers.withdraw(gone);
            }
            // Re-offering everything after a reconnect puts the tools back in the heartbeat.
            offerEach(wanted.values());
            log.info(
                    "MCP server {}: offering {} (new or changed: {}, dropped: {})",
                    spec.name(),
                    wanted.keySet(),
                    fresh.stream().map(McpTool::name).toList(),
                    gone);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("MCP server {}: its tools cannot be offered: {}", spec.name(), e.getMessage());
        }
    }

    // All at once (one catalog read); when one contradicts the catalog, one by one, so that it
    // alone stays out.
    private void offerEach(Collection<McpTool> tools) throws InterruptedException {
        try {
            offers.offer(tools);
        } catch (ToolCatalog.ConflictException e) {
            for (McpTool tool : tools) {
                try {
                    offers.offer(List.of(tool));
                } catch (ToolCatalog.ConflictException conflict) {
                    log.error(
                            "MCP server {}: tool {} is not offered: {}",
                            spec.name(),
                            tool.name(),
                            conflict.getMessage());
                }
            }
        }
    }

    private static String description(McpSchema.Tool tool) {
        String text = tool.description() != null ? tool.description() : tool.title() != null ? tool.title() : "";
        return text.isBlank() ? "The MCP tool " + tool.name() : text;
    }

    private static String schema(McpSchema.Tool tool) {
        try {
            return tool.inputSchema() == null ? "{\"type\":\"object\"}" : JSON.writeValueAsString(tool.inputSchema());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the input schema of MCP tool " + tool.name() + " cannot be written", e);
        }
    }

    /**
     * Calls the server's tool {@code mcpName}.
     *
     * @return the text of the result's content (or its structured content as JSON)
     * @throws ToolFailure the server's error result or protocol error, or the connection's failure; a
     *     failure before the request left is retryable, one after it is not (the server may have acted)
     */
    String call(String mcpName, Map<String, Object> arguments) throws ToolFailure, InterruptedException {
        McpSyncClient current;
        CompletableFuture<String> lostWhy;
        synchronized (this) {
            current = client;
            lostWhy = gone;
        }
        if (current == null) {
            throw ToolFailure.retryable("MCP server " + spec.name() + " is not connected (Skein is reconnecting to "
                    + spec.describe() + "; " + lastFailure() + "); try again later");
        }
        if (tokens != null) {
            try {
                // Fetched (or refreshed) here, before the request leaves: a failure is then retryable.
                tokens.current();
            } catch (AccessTokens.TokenEndpointException e) {
                throw ToolFailure.retryable("MCP server " + spec.name() + " has no access token: " + e.getMessage());
            }
        }
        CompletableFuture<McpSchema.CallToolResult> answer = CompletableFuture.supplyAsync(
                () -> current.callTool(new McpSchema.CallToolRequest(mcpName, arguments)), calls);
        McpSchema.CallToolResult result;
        try {
            CompletableFuture.anyOf(answer, lostWhy).get();
            if (!answer.isDone()) {
                answer.cancel(true);
                throw wentAway(mcpName, lostWhy.join());
            }
            result = answer.get();
        } catch (InterruptedException e) {
            // The call timed out: stop waiting for the server (it may still answer; nobody reads it).
            answer.cancel(true);
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            if (McpBearer.refused(e.getCause())) {
                // A 401 to a fresh token too: the server did not act, and the connection is not at fault.
                throw new ToolFailure("MCP server " + spec.name() + " refused the call of " + mcpName
                        + " with 401 even with a fresh access token from "
                        + spec.oauth().tokenUrl()
                        + ": check the client's scopes and audience");
            }
            if (e.getCause() instanceof McpError refused) {
                throw new ToolFailure(
                        "MCP server " + spec.name() + " refused the call of " + mcpName + ": " + refused.getMessage());
            }
            RuntimeException failure =
                    e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
            lost(current, failure);
            throw wentAway(mcpName, McpError.aggregateExceptionMessages(failure));
        }
        String text = McpTool.text(result);
        if (Boolean.TRUE.equals(result.isError())) {
            throw new ToolFailure("MCP tool " + mcpName + " of server " + spec.name() + " failed: " + text);
        }
        return text;
    }

    private ToolFailure wentAway(String mcpName, String why) {
        return new ToolFailure("MCP server " + spec.name() + " went away during the call of " + mcpName + " (" + why
                + "); it was not repeated because the server may have acted on it");
    }

    private void ping() {
        McpSyncClient current;
        synchronized (this) {
            current = client;
        }
        if (current == null) {
            return;
        }
        try {
            current.ping();
        } catch (RuntimeException e) {
            lost(current, e);
        }
    }

    /** The connection {@code lost} failed: withdraw the tools and reconnect (once, whoever noticed first). */
    private void lost(McpSyncClient lost, RuntimeException cause) {
        List<String> names;
        synchronized (this) {
            if (client != lost) {
                return;
            }
            client = null;
            names = List.copyOf(offered.keySet());
            gone.complete(McpError.aggregateExceptionMessages(cause));
        }
        closeQuietly(lost);
        try {
            offers.withdraw(names);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("MCP server {}: its tools could not be withdrawn: {}", spec.name(), e.getMessage());
        }
        scheduleReconnect("lost: " + McpError.aggregateExceptionMessages(cause));
    }

    private synchronized String lastFailure() {
        return lastFailure;
    }

    /** Why the server is not connected now (the last failure to connect, or what broke the connection); empty while connected. */
    public synchronized java.util.Optional<String> disconnectedBecause() {
        return client == null ? java.util.Optional.of(lastFailure) : java.util.Optional.empty();
    }

    private void scheduleReconnect(String why) {
        Duration wait;
        synchronized (this) {
            lastFailure = why;
            if (closed) {
                return;
            }
            wait = backoff;
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        log.warn(
                "MCP server {} ({}) {}; its tools are unavailable, reconnecting in {} ms",
                spec.name(),
                spec.describe(),
                why,
                wait.toMillis());
        timer.schedule(this::connect, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void closeQuietly(McpSyncClient c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (RuntimeException e) {
            log.debug("MCP server {}: closing the old connection failed: {}", spec.name(), e.getMessage());
        }
    }

    @Override
    public void close() {
        McpSyncClient current;
        synchronized (this) {
            closed = true;
            current = client;
            client = null;
        }
        timer.shutdownNow();
        calls.shutdownNow();
        if (current != null) {
            current.closeGracefully();
        }
    }
}
