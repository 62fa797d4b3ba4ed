package dev.skein.ingress;

import dev.skein.events.ToolDefinition;
import dev.skein.ingress.auth.Caller;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /mcp}: the server-initiated SSE stream of MCP's Streamable HTTP transport
 * (2025-06-18), which carries {@code notifications/tools/list_changed} when the tool catalog
 * changes (a tool added, changed or dropped), so that a host lists Skein's tools again.
 *
 * <p>Bounded like the session streams: it counts against the tenant's {@code skein.quotas.streams}
 * and against {@link #MAX_STREAMS} on this instance (a refusal is a 429 or 503 JSON answer before
 * the stream starts); a heartbeat comment every {@code skein.event-streams.heartbeat}; a client too
 * slow to take a heartbeat is closed; a stream whose credential expires or is revoked ends within a
 * second. Nothing is replayed on reconnect ({@code Last-Event-ID} is ignored): a list change is a
 * hint to list again, and a host that reconnects lists anyway. The catalog is an in-memory view
 * with no listeners, so it is compared once a second while a stream is open.
 */
final class McpNotifications {

    /** Streams one instance keeps open at most, over every tenant. */
    static final int MAX_STREAMS = 1_000;

    private static final Logger log = LoggerFactory.getLogger(McpNotifications.class);
    private static final long CHECK_MS = 1_000;
    private static final String HEARTBEAT = ": heartbeat\n\n";
    private static final String TOOLS_CHANGED = "event: message\ndata: "
            + new JsonObject()
                    .put("jsonrpc", "2.0")
                    .put("method", "notifications/tools/list_changed")
                    .encode()
            + "\n\n";

    private final CatalogReader catalog;
    private final QuotaGateway quotas;
    private final AuthGuard auth;
    /** Open streams and their callers' validity checks; touched on the event loop only. */
    private final Map<HttpServerResponse, Open> open = new LinkedHashMap<>();

    private long catalogPrint;

    private record Open(String tenant, BooleanSupplier stillValid) {}

    McpNotifications(Context context, CatalogReader catalog, QuotaGateway quotas, AuthGuard auth, Duration heartbeat) {
        this.catalog = catalog;
        this.quotas = quotas;
        this.auth = auth;
        this.catalogPrint = print();
        context.owner().setPeriodic(heartbeat.toMillis(), id -> each(r -> r.write(HEARTBEAT)));
        context.owner().setPeriodic(CHECK_MS, id -> check());
    }

    void get(RoutingContext ctx) {
        String accept = ctx.request().getHeader("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            JsonReply.error(ctx, 406, "GET /mcp is an SSE stream: send Accept: text/event-stream");
            return;
        }
        if (open.size() >= MAX_STREAMS) {
            ctx.response().putHeader("Retry-After", "5");
            JsonReply.error(
                    ctx, 503, "this instance has " + MAX_STREAMS + " MCP notification streams open; retry later");
            return;
        }
        Caller caller = Caller.of(ctx);
        try {
            quotas.openStream(caller.tenant());
        } catch (QuotaExceededException refused) {
            ctx.response().putHeader("Retry-After", String.valueOf(refused.retryAfterSeconds()));
            JsonReply.error(ctx, 429, refused.getMessage());
            return;
        }
        if (open.isEmpty()) {
            // Nobody was listening: changes before now are nobody's news.
            catalogPrint = print();
        }
        HttpServerResponse response = ctx.response()
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-store")
                .putHeader("X-Accel-Buffering", "no");
        open.put(
                response,
                new Open(
                        caller.tenant(),
                        caller.credential() == Caller.Credential.NONE ? () -> true : auth.stillValid(caller)));
        response.closeHandler(v -> closed(response));
        response.exceptionHandler(e -> closed(response));
        // The headers now, so that the client knows the stream is open before anything happens.
        response.write(HEARTBEAT);
    }

    private void closed(HttpServerResponse response) {
        Open gone = open.remove(response);
        if (gone != null) {
            quotas.streamClosed(gone.tenant());
        }
    }

    private void check() {
        if (open.isEmpty()) {
            return;
        }
        for (Map.Entry<HttpServerResponse, Open> stream : new ArrayList<>(open.entrySet())) {
            if (!stream.getValue().stillValid().getAsBoolean()) {
                log.info(
                        "ending an MCP notification stream of tenant {}: its credential expired or was revoked",
                        stream.getValue().tenant());
                end(stream.getKey());
            }
        }
        long now = print();
        if (now != catalogPrint) {
            catalogPrint = now;
            each(r -> r.write(TOOLS_CHANGED));
        }
    }

    private void each(java.util.function.Consumer<HttpServerResponse> write) {
        for (HttpServerResponse response : new ArrayList<>(open.keySet())) {
            if (response.closed()) {
                closed(response);
            } else if (response.writeQueueFull()) {
                // It has not taken what was sent so far: too slow to keep.
                log.warn("closing an MCP notification stream whose client reads too slowly");
                end(response);
            } else {
                write.accept(response);
            }
        }
    }

    private void end(HttpServerResponse response) {
        closed(response);
        if (!response.closed()) {
            response.end();
        }
    }

    // Order-free and content-based (Avro records hash their fields): any added, changed or dropped tool changes it.
    private long print() {
        long sum = 0;
        int count = 0;
        for (ToolDefinition tool : catalog.tools()) {
            sum += tool.hashCode();
            count++;
        }
        return sum * 31 + count;
    }

    /** Ends every stream: the ingress is stopping. */
    void close() {
        for (HttpServerResponse response : new ArrayList<>(open.keySet())) {
            end(response);
        }
    }

    /** Streams open now; on the event loop. */
    int openStreams() {
        return open.size();
    }
}
