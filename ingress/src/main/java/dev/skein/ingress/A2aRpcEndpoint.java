package dev.skein.ingress;

import dev.skein.ingress.auth.Permission;
import dev.skein.schemas.ClientText;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /a2a/:agent}: the A2A 1.0 JSON-RPC binding (section 9): {@code SendMessage},
 * {@code SendStreamingMessage} (Server-Sent Events, each event a JSON-RPC response),
 * {@code GetTask} and {@code CancelTask}. The other 1.0 methods answer the A2A error that says
 * they are not offered; 0.3's method names answer {@code VersionNotSupportedError}.
 *
 * <p>Errors are JSON-RPC error objects in a 200 answer, as JSON-RPC over HTTP has it, except where
 * HTTP itself has the word: 401 (from the guard in front), 403, 429 and 503.
 */
final class A2aRpcEndpoint {

    private static final Logger log = LoggerFactory.getLogger(A2aRpcEndpoint.class);
    /** A2A 0.3's method names, which a 0.3 client sends. */
    private static final Set<String> VERSION_03 = Set.of(
            "message/send",
            "message/stream",
            "tasks/get",
            "tasks/cancel",
            "tasks/resubscribe",
            "tasks/pushNotificationConfig/set",
            "tasks/pushNotificationConfig/get",
            "tasks/pushNotificationConfig/list",
            "tasks/pushNotificationConfig/delete",
            "agent/getAuthenticatedExtendedCard");

    static final String OFFERED =
            "SendMessage, SendStreamingMessage, GetTask, ListTasks, CancelTask," + " SubscribeToTask";

    private final A2aService service;
    private final A2aStream stream;
    private final A2aTaskList tasks;
    private final A2aPushConfigs push;
    private final A2aCards cards;

    A2aRpcEndpoint(A2aService service, A2aStream stream, A2aTaskList tasks, A2aPushConfigs push, A2aCards cards) {
        this.service = service;
        this.stream = stream;
        this.tasks = tasks;
        this.push = push;
        this.cards = cards;
    }

    void post(RoutingContext ctx) {
        Object id = null;
        JsonObject request;
        try {
            A2aBinding.checkVersion(ctx);
            request = A2aBinding.body(ctx, A2aError::parse);
            id = request.getValue("id");
            if (id != null && !(id instanceof String) && !(id instanceof Number)) {
                id = null;
                throw A2aError.invalidRequest("'id' must be a string or a number");
            }
            if (!"2.0".equals(request.getValue("jsonrpc"))) {
                throw A2aError.invalidRequest("'jsonrpc' must be \"2.0\"");
            }
        } catch (A2aError e) {
            reply(ctx, id, e);
            return;
        }
        Object requestId = id;
        if (!(request.getValue("method") instanceof String method)) {
            reply(ctx, requestId, A2aError.invalidRequest("'method' must be a string, such as \"SendMessage\""));
            return;
        }
        Object rawParams = request.getValue("params");
        if (rawParams != null && !(rawParams instanceof JsonObject)) {
            reply(ctx, requestId, A2aError.invalidParams("'params' must be an object"));
            return;
        }
        JsonObject params = rawParams == null ? new JsonObject() : (JsonObject) rawParams;
        String agent = A2aBinding.agent(ctx);
        if (method.equals("SendStreamingMessage")) {
            stream(ctx, requestId, Permission.WRITE_SESSION, sink -> stream.start(ctx, agent, params, sink));
            return;
        }
        if (method.equals("SubscribeToTask")) {
            stream(ctx, requestId, Permission.READ_SESSION, sink -> stream.subscribe(ctx, params, sink));
            return;
        }
        A2aBinding.attempt(() -> call(ctx, method, agent, params)).onComplete(done -> {
            if (done.succeeded()) {
                send(
                        ctx,
                        200,
                        new JsonObject()
                                .put("jsonrpc", "2.0")
                                .put("id", requestId)
                                .put("result", done.result()));
            } else {
                reply(ctx, requestId, A2aBinding.asA2a(done.cause(), log, ctx));
            }
        });
    }

    private Future<JsonObject> call(RoutingContext ctx, String method, String agent, JsonObject params) {
        return switch (method) {
            case "SendMessage" -> {
                A2aBinding.require(ctx, Permission.WRITE_SESSION);
                yield service.send(ctx, agent, params);
            }
            case "GetTask" -> {
                A2aBinding.require(ctx, Permission.READ_SESSION);
                yield service.get(ctx, params);
            }
            case "CancelTask" -> {
                A2aBinding.require(ctx, Permission.WRITE_SESSION);
                yield service.cancel(ctx, params);
            }
            case "ListTasks" -> {
                A2aBinding.require(ctx, Permission.READ_SESSION);
                yield tasks.list(ctx, params);
            }
            case "CreateTaskPushNotificationConfig" -> {
                A2aBinding.require(ctx, Permission.WRITE_SESSION);
                yield push.create(ctx, params);
            }
            case "GetTaskPushNotificationConfig" -> {
                A2aBinding.require(ctx, Permission.READ_SESSION);
                yield push.get(ctx, params);
            }
            case "ListTaskPushNotificationConfigs" -> {
                A2aBinding.require(ctx, Permission.READ_SESSION);
                yield push.list(ctx, params);
            }
            case "DeleteTaskPushNotificationConfig" -> {
                A2aBinding.require(ctx, Permission.WRITE_SESSION);
                yield push.delete(ctx, params);
            }
            case "GetExtendedAgentCard" -> {
                A2aTenancy.resolve(ctx, params);
                yield Future.succeededFuture(cards.extended(ctx, agent));
            }
            default -> {
                if (VERSION_03.contains(method)) {
                    throw A2aError.versionNotSupported(ClientText.quote(method)
                            + " is an A2A 0.3 method; this interface speaks" + " A2A 1.0 (" + OFFERED + ")");
                }
                throw A2aError.methodNotFound("no method " + ClientText.quote(method)
                        + "; this interface offers SendMessage, SendStreamingMessage, GetTask, CancelTask");
            }
        };
    }

    private void stream(
            RoutingContext ctx,
            Object id,
            Permission permission,
            java.util.function.Function<A2aStream.Sink, Future<AutoCloseable>> starter) {
        var response = ctx.response();
        A2aBinding.attempt(() -> {
                    A2aBinding.require(ctx, permission);
                    return starter.apply(new A2aStream.Sink() {
                        private boolean open;

                        @Override
                        public void event(JsonObject streamResponse) {
                            if (!open) {
                                open = true;
                                A2aBinding.openSse(response);
                            }
                            A2aBinding.sse(
                                    response,
                                    new JsonObject()
                                            .put("jsonrpc", "2.0")
                                            .put("id", id)
                                            .put("result", streamResponse));
                        }

                        @Override
                        public void end() {
                            A2aBinding.endSse(response);
                        }
                    });
                })
                .onComplete(started -> {
                    if (started.failed()) {
                        reply(ctx, id, A2aBinding.asA2a(started.cause(), log, ctx));
                    } else {
                        AutoCloseable run = started.result();
                        response.closeHandler(closed -> closeQuietly(run));
                    }
                });
    }

    private static void closeQuietly(AutoCloseable run) {
        try {
            run.close();
        } catch (Exception e) {
            log.warn("closing an A2A stream failed", e);
        }
    }

    private static void reply(RoutingContext ctx, Object id, A2aError error) {
        int status = Set.of(403, 429, 503).contains(error.httpStatus()) ? error.httpStatus() : 200;
        send(ctx, status, new JsonObject().put("jsonrpc", "2.0").put("id", id).put("error", error.rpcError()));
    }

    private static void send(RoutingContext ctx, int status, JsonObject body) {
        var response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            // A stream already under way: the error is its last event.
            A2aBinding.sse(response, body);
            response.end();
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body.encode());
    }
}
