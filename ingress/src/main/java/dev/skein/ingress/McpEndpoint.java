package dev.skein.ingress;

import dev.skein.events.ToolDefinition;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code /mcp}: Skein as an MCP server over Streamable HTTP (protocol 2025-06-18), behind the same
 * {@link AuthGuard} as {@code /v1}. Its tools are the catalog's (those the caller's tenant may
 * use) and one {@code ask_<agent>} per configured agent; its resources are session histories,
 * {@code skein://sessions/{id}/history}.
 *
 * <p>Written over Vert.x by hand rather than with the MCP Java SDK's server: the SDK's Streamable
 * HTTP transports are servlets, and Skein's HTTP is Vert.x, where a servlet cannot run. An answer
 * is a single JSON response (the specification lets a server answer a POST with JSON instead of
 * an SSE stream), except a {@code tools/call} with a progress token from a client that accepts
 * SSE ({@link McpProgressStream}); {@code GET /mcp} is the stream of list changes
 * ({@link McpNotifications}). The
 * {@code Mcp-Session-Id} it hands out carries no state: every request stands on its own
 * credentials, so a session id from another instance works as well.
 *
 * <p>A catalog tool's call is a turn of the built-in demo agent on a session of its own
 * ({@code mcp-<uuid>}) whose message is {@code use tool NAME {arguments}}: so the call goes through
 * everything a call of an agent goes through (argument validation against the tool's schema,
 * routing to the right tier, retries, the result cache, approvals, metrics, durability) with no
 * second path to keep in step. Its result is the turn's answer.
 */
final class McpEndpoint {

    static final String PROTOCOL = "2025-06-18";
    private static final List<String> PROTOCOLS = List.of("2025-06-18", "2025-03-26", "2024-11-05");
    private static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final String ASK = "ask_";
    private static final String DEMO = "demo";
    private static final String DEMO_LABEL = "[demo agent] ";

    private final IngressConfig config;
    private final TurnGateway gateway;
    private final SessionEvents events;
    private final CatalogReader catalog;
    private final Context context;
    private final McpHistories histories;

    McpEndpoint(
            McpHistories histories,
            IngressConfig config,
            TurnGateway gateway,
            SessionEvents events,
            CatalogReader catalog,
            Context context) {
        this.config = config;
        this.gateway = gateway;
        this.events = events;
        this.catalog = catalog;
        this.context = context;
        this.histories = histories;
    }

    void post(RoutingContext ctx) {
        JsonObject request;
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(
                    StrictJson.utf8(ctx.body().buffer(), "request body"));
            if (!(parsed instanceof JsonObject object)) {
                refuse(ctx, error(-32600, "a request must be one JSON-RPC object (batches are not accepted)"));
                return;
            }
            request = object;
        } catch (DecodeException e) {
            refuse(ctx, error(-32700, "the body is not JSON: " + e.getMessage()));
            return;
        }
        Object id = request.getValue("id");
        String method = request.getValue("method") instanceof String m ? m : null;
        if (!"2.0".equals(request.getValue("jsonrpc")) || method == null) {
            refuse(ctx, error(-32600, "a JSON-RPC 2.0 request needs jsonrpc \"2.0\" and a method"));
            return;
        }
        if (id == null) {
            // A notification (initialized, cancelled): accepted, nothing to answer.
            ctx.response().setStatusCode(202).end();
            return;
        }
        if (!protocolVersionServed(ctx)) {
            return;
        }
        JsonObject params = request.getValue("params") instanceof JsonObject p ? p : new JsonObject();
        String tenant = Caller.of(ctx).tenant();
        switch (method) {
            case "initialize" -> initialize(ctx, id, params);
            case "ping" -> reply(ctx, id, new JsonObject());
            case "tools/list" -> reply(ctx, id, new JsonObject().put("tools", tools(tenant)));
            case "tools/call" -> call(ctx, id, params, tenant);
            case "resources/list" -> histories.list(ctx, params).onComplete(list -> reply(ctx, id, list.result()));
            case "resources/templates/list" ->
                reply(ctx, id, new JsonObject().put("resourceTemplates", McpHistories.templates()));
            case "resources/read" -> histories.read(ctx, params).onComplete(read -> reply(ctx, id, read.result()));
            default ->
                reply(ctx, id, error(-32601, "method " + ClientText.quote(method) + " is not served by Skein's /mcp"));
        }
    }

    /** {@code DELETE /mcp}: the end of a session, which holds nothing. */
    /**
     * In front of every /mcp method: the specification (2025-06-18, "Protocol Version Header") says
     * a request with an invalid or unsupported MCP-Protocol-Version MUST get a 400. Refused here:
     * a value that is no version (not YYYY-MM-DD) and one older than the oldest served. A newer one
     * is served as the newest: the MCP Java SDK (2.1) sends its own newest version, 2025-11-25, on
     * requests outside the negotiated session (initialize, the GET stream) even after negotiating
     * 2025-06-18, and refusing it would lock out that client. Without the header the client is
     * taken to speak 2025-03-26. A POST is checked in {@link #post}, where a notification, which gets
     * no answer, is accepted whatever it names.
     */
    static void checkProtocolVersion(RoutingContext ctx) {
        if (ctx.request().method() == io.vertx.core.http.HttpMethod.POST || protocolVersionServed(ctx)) {
            ctx.next();
        }
    }

    /** False, having answered 400, when the request's MCP-Protocol-Version is not served. */
    private static boolean protocolVersionServed(RoutingContext ctx) {
        String version = ctx.request().getHeader("MCP-Protocol-Version");
        if (version == null || (VERSION.matcher(version).matches() && version.compareTo(PROTOCOLS.getLast()) >= 0)) {
            return true;
        }
        JsonReply.error(
                ctx,
                400,
                "MCP-Protocol-Version " + ClientText.quote(version) + " is not one this server speaks: "
                        + String.join(", ", PROTOCOLS) + " (a YYYY-MM-DD version no older than " + PROTOCOLS.getLast()
                        + ")");
        return false;
    }

    void delete(RoutingContext ctx) {
        ctx.response().setStatusCode(204).end();
    }

    private void initialize(RoutingContext ctx, Object id, JsonObject params) {
        String asked = params.getValue("protocolVersion") instanceof String v ? v : PROTOCOL;
        ctx.response().putHeader("Mcp-Session-Id", UUID.randomUUID().toString());
        reply(
                ctx,
                id,
                new JsonObject()
                        .put("protocolVersion", PROTOCOLS.contains(asked) ? asked : PROTOCOL)
                        .put(
                                "capabilities",
                                new JsonObject()
                                        .put("tools", new JsonObject().put("listChanged", true))
                                        .put("resources", new JsonObject().put("listChanged", false)))
                        .put("serverInfo", new JsonObject().put("name", "skein").put("version", "1"))
                        .put(
                                "instructions",
                                "Skein's tools run as durable tool calls on its workers; ask_<agent> runs a turn"
                                        + " of that agent in the session you name."));
    }

    private JsonArray tools(String tenant) {
        TenantAccess.Rules rules = config.access().of(tenant);
        JsonArray out = new JsonArray();
        for (ToolDefinition tool : catalog.tools()) {
            // A catalog tool's call is a demo-agent turn: a tenant that may not use it cannot call one.
            if (rules.allowsAgent(DEMO)
                    && rules.allowsTool(tool.getName())
                    && !tool.getName().startsWith(ASK)) {
                JsonObject schema;
                try {
                    schema = new JsonObject(tool.getParametersSchema());
                } catch (DecodeException e) {
                    // A catalog record no Skein worker writes (they validate schemas): leave it out.
                    continue;
                }
                out.add(new JsonObject()
                        .put("name", tool.getName())
                        .put("description", tool.getDescription())
                        .put("inputSchema", schema)
                        // What Skein itself relies on to dispatch the call early (docs/dispatch.md): a
                        // tool free of side effects only reads or computes. Nothing more is claimed, so
                        // MCP's defaults stand for the rest (destructive, not idempotent, open world).
                        .put("annotations", new JsonObject().put("readOnlyHint", !tool.getSideEffects())));
            }
        }
        for (String agent : config.agents()) {
            if (rules.allowsAgent(agent)) {
                out.add(new JsonObject()
                        .put("name", ASK + agent)
                        .put(
                                "description",
                                "Asks the Skein agent " + agent + " in a session, and answers with its reply")
                        .put(
                                "inputSchema",
                                new JsonObject(
                                        "{\"type\":\"object\",\"properties\":{\"session\":{\"type\":\"string\",\"description\":"
                                                + "\"the session id: the same id continues the conversation\"},\"message\":"
                                                + "{\"type\":\"string\"}},\"required\":[\"session\",\"message\"]}"))
                        // A turn adds to the session's history, and the agent may call any tool.
                        .put("annotations", new JsonObject().put("readOnlyHint", false)));
            }
        }
        return out;
    }

    private void call(RoutingContext ctx, Object id, JsonObject params, String tenant) {
        String name = params.getValue("name") instanceof String n ? n : null;
        JsonObject arguments = params.getValue("arguments") instanceof JsonObject a ? a : new JsonObject();
        if (name == null) {
            reply(ctx, id, error(-32602, "tools/call needs a name"));
            return;
        }
        String sessionId;
        JsonObject turn;
        String agent = name.startsWith(ASK) ? name.substring(ASK.length()) : null;
        if (agent != null && config.agents().contains(agent)) {
            sessionId = arguments.getValue("session") instanceof String s ? s : null;
            String message = arguments.getValue("message") instanceof String m ? m : null;
            if (sessionId == null || !SessionAddress.isValidPart(sessionId) || message == null) {
                reply(ctx, id, error(-32602, name + " needs a session (1 to 128 of A-Z a-z 0-9 . _ -) and a message"));
                return;
            }
            turn = new JsonObject().put("message", message).put("agent", agent);
        } else if (catalog.tools().stream().anyMatch(t -> t.getName().equals(name))) {
            sessionId = "mcp-" + UUID.randomUUID();
            turn = new JsonObject()
                    .put("message", "use tool " + name + " " + arguments.encode())
                    .put("agent", DEMO);
        } else {
            reply(
                    ctx,
                    id,
                    error(-32602, "no tool named " + ClientText.quote(name) + "; tools/list says which there are"));
            return;
        }
        SessionAddress address = new SessionAddress(tenant, sessionId);
        TurnRequested request;
        try {
            request =
                    TurnRequestBody.parse(turn.encode(), address, config.maxMessageBytes(), System.currentTimeMillis());
            TurnRequestBody.requireAllowedAgent(config.access(), request);
            TurnRequestBody.bindUser(request, dev.skein.ingress.auth.Caller.of(ctx));
            if (agent == null && !config.access().allowsTool(tenant, name)) {
                throw new HttpFailure(403, "tenant " + tenant + " may not use the tool " + name);
            }
        } catch (HttpFailure e) {
            reply(ctx, id, error(-32602, e.getMessage()));
            return;
        }
        CompletableFuture<TurnCompleted> completion = events.expect(address, request.getTurnId());
        Object token = McpProgressStream.token(params, ctx.request().getHeader("Accept"));
        McpProgressStream stream =
                token == null ? null : new McpProgressStream(ctx.response(), context, token, request.getTurnId());
        AutoCloseable deltas = stream == null ? null : events.subscribe(address, StreamStart.NOW, stream);
        java.util.function.Consumer<JsonObject> respond = message -> {
            closeQuietly(deltas);
            if (stream == null) {
                reply(ctx, id, message);
            } else {
                stream.finish(rpc(id, message));
            }
        };
        Duration wait = config.maxWait();
        io.vertx.core.Future<Void> submission;
        try (io.opentelemetry.context.Scope ignored =
                TurnSpans.clientContext(ctx.request().headers()).makeCurrent()) {
            submission = GatewaySubmission.submit(context, () -> gateway.submit(request));
        }
        submission.onComplete(submitted -> {
            if (submitted.failed()) {
                events.forget(address, request.getTurnId());
                respond.accept(error(
                        -32603,
                        "the call could not be accepted: " + submitted.cause().getMessage()));
                return;
            }
            Future.fromCompletionStage(completion, context)
                    .timeout(wait.toMillis(), TimeUnit.MILLISECONDS)
                    .onComplete(done -> {
                        events.forget(address, request.getTurnId());
                        if (done.failed()) {
                            respond.accept(result(
                                    "no answer within " + wait.toSeconds() + " s; the call goes on in session "
                                            + sessionId,
                                    true));
                        } else {
                            respond.accept(answer(done.result(), agent == null ? name : null));
                        }
                    });
        });
    }

    private static void closeQuietly(AutoCloseable subscription) {
        if (subscription == null) {
            return;
        }
        try {
            subscription.close();
        } catch (Exception e) {
            // Closing a subscription only removes a listener; nothing to tell the caller.
        }
    }

    private static JsonObject answer(TurnCompleted done, String tool) {
        if (done.getStatus() != TurnStatus.COMPLETED) {
            return result("the turn ended " + done.getStatus() + ": " + done.getError(), true);
        }
        String text = done.getAnswer() == null ? "" : done.getAnswer();
        if (tool == null) {
            return result(text, false);
        }
        text = text.startsWith(DEMO_LABEL) ? text.substring(DEMO_LABEL.length()) : text;
        // The demo agent words a failed call this way (DemoAgent.fromToolResults).
        boolean failed =
                text.startsWith("The tool " + tool + " failed") || text.startsWith("The tool " + tool + " timed out");
        return result(text, failed);
    }

    private static JsonObject result(String text, boolean isError) {
        return new JsonObject()
                .put(
                        "content",
                        new JsonArray().add(new JsonObject().put("type", "text").put("text", text)))
                .put("isError", isError);
    }

    /** An error in place of a result; {@link #rpc} turns it into the JSON-RPC error. */
    static JsonObject error(int code, String message) {
        return new JsonObject()
                .put("__error", new JsonObject().put("code", code).put("message", message));
    }

    /** A body that is no JSON-RPC request at all: 400, with the JSON-RPC error as the body. */
    private static void refuse(RoutingContext ctx, JsonObject error) {
        ctx.response()
                .setStatusCode(400)
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject()
                        .put("jsonrpc", "2.0")
                        .putNull("id")
                        .put("error", error.getJsonObject("__error"))
                        .encode());
    }

    private static JsonObject rpc(Object id, JsonObject result) {
        JsonObject message = new JsonObject().put("jsonrpc", "2.0").put("id", id);
        if (result.containsKey("__error")) {
            message.put("error", result.getJsonObject("__error"));
        } else {
            message.put("result", result);
        }
        return message;
    }

    private static void reply(RoutingContext ctx, Object id, JsonObject result) {
        ctx.response()
                .setStatusCode(200)
                .putHeader("Content-Type", "application/json")
                .end(rpc(id, result).encode());
    }
}
