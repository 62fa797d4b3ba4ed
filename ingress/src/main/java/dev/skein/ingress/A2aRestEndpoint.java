package dev.skein.ingress;

import dev.skein.ingress.auth.Permission;
import dev.skein.schemas.ClientText;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The A2A 1.0 HTTP+JSON binding (section 11) under {@code /a2a/:agent/rest}: {@code POST
 * /message:send}, {@code POST /message:stream} (Server-Sent Events of {@code StreamResponse}s),
 * {@code GET /tasks/{id}}, {@code POST /tasks/{id}:cancel}. Errors are {@code google.rpc.Status}
 * bodies with the HTTP status of the A2A error and an {@code ErrorInfo} naming it.
 */
final class A2aRestEndpoint {

    private static final Logger log = LoggerFactory.getLogger(A2aRestEndpoint.class);
    static final String CONTENT_TYPE = "application/a2a+json";

    /** ListTasks' query parameters (ProtoJSON names, as the HTTP+JSON binding maps request fields). */
    private static final List<String> LIST_PARAMETERS = List.of(
            "contextId",
            "status",
            "pageSize",
            "pageToken",
            "historyLength",
            "statusTimestampAfter",
            "includeArtifacts");

    private final A2aService service;
    private final A2aStream stream;
    private final A2aTaskList tasks;
    private final A2aPushConfigs push;
    private final A2aCards cards;

    A2aRestEndpoint(A2aService service, A2aStream stream, A2aTaskList tasks, A2aPushConfigs push, A2aCards cards) {
        this.service = service;
        this.stream = stream;
        this.tasks = tasks;
        this.push = push;
        this.cards = cards;
    }

    /** {@code GET /extendedAgentCard}: the card as the caller's tenant sees it. */
    void extendedCard(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aTenancy.resolve(ctx, null);
            return Future.succeededFuture(cards.extended(ctx, A2aBinding.agent(ctx)));
        });
    }

    /** {@code POST /tasks/{taskId}/pushNotificationConfigs}: the body is a {@code TaskPushNotificationConfig}. */
    void createPushConfig(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.WRITE_SESSION);
            JsonObject config = A2aBinding.body(ctx, A2aError::invalidParams);
            String named = A2aSendRequest.string(config, "taskId");
            if (named != null && !named.isEmpty() && !named.equals(ctx.pathParam("taskId"))) {
                throw A2aError.invalidParams(
                        "the body's taskId " + named + " is not the path's " + ctx.pathParam("taskId"));
            }
            return push.create(ctx, config.put("taskId", ctx.pathParam("taskId")));
        });
    }

    void getPushConfig(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.READ_SESSION);
            return push.get(ctx, configParams(ctx));
        });
    }

    void listPushConfigs(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.READ_SESSION);
            return push.list(ctx, configParams(ctx));
        });
    }

    void deletePushConfig(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.WRITE_SESSION);
            return push.delete(ctx, configParams(ctx));
        });
    }

    private static JsonObject configParams(RoutingContext ctx) {
        JsonObject params = new JsonObject().put("taskId", ctx.pathParam("taskId"));
        if (ctx.pathParam("id") != null) {
            params.put("id", ctx.pathParam("id"));
        }
        return params;
    }

    /** {@code GET /tasks}: ListTasks, its request fields as query parameters. */
    void listTasks(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.READ_SESSION);
            JsonObject params = new JsonObject();
            for (String name : ctx.queryParams().names()) {
                if (!LIST_PARAMETERS.contains(name)) {
                    throw A2aError.invalidParams("unknown query parameter " + ClientText.quote(name)
                            + "; ListTasks takes " + LIST_PARAMETERS);
                }
                List<String> values = ctx.queryParam(name);
                if (values.size() > 1) {
                    throw A2aError.invalidParams(
                            ClientText.quote(name) + " is given " + values.size() + " times; give it once");
                }
                String value = values.getFirst();
                if (name.equals("includeArtifacts")) {
                    if (!value.equals("true") && !value.equals("false")) {
                        throw A2aError.invalidParams(
                                "includeArtifacts must be true or false, got " + ClientText.quote(value));
                    }
                    params.put(name, Boolean.parseBoolean(value));
                } else {
                    params.put(name, value);
                }
            }
            return tasks.list(ctx, params);
        });
    }

    /** {@code GET /tasks/{id}:subscribe}: SubscribeToTask, as Server-Sent Events. */
    void subscribe(RoutingContext ctx) {
        events(
                ctx,
                Permission.READ_SESSION,
                sink -> stream.subscribe(ctx, new JsonObject().put("id", ctx.pathParam("id")), sink));
    }

    void send(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.WRITE_SESSION);
            return service.send(ctx, A2aBinding.agent(ctx), A2aBinding.body(ctx, A2aError::invalidParams));
        });
    }

    void getTask(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.READ_SESSION);
            JsonObject params = new JsonObject().put("id", ctx.pathParam("id"));
            List<String> lengths = ctx.queryParam("historyLength");
            if (lengths.size() > 1) {
                throw A2aError.invalidParams("historyLength is given " + lengths.size() + " times; give it once");
            }
            if (!lengths.isEmpty()) {
                try {
                    params.put("historyLength", Integer.parseInt(lengths.getFirst()));
                } catch (NumberFormatException e) {
                    throw A2aError.invalidParams(
                            "historyLength must be a whole number, got " + ClientText.quote(lengths.getFirst()));
                }
            }
            return service.get(ctx, params);
        });
    }

    void cancelTask(RoutingContext ctx) {
        answer(ctx, () -> {
            A2aBinding.require(ctx, Permission.WRITE_SESSION);
            return service.cancel(ctx, new JsonObject().put("id", ctx.pathParam("id")));
        });
    }

    /** The operations of the binding that Skein does not offer. */
    void unsupported(RoutingContext ctx) {
        String path = ctx.request().path();
        fail(
                ctx,
                A2aError.unsupported(ctx.request().method() + " " + path + " is not offered here; this interface"
                        + " offers POST /message:send, POST /message:stream, GET /tasks, GET /tasks/{id},"
                        + " GET /tasks/{id}:subscribe, POST /tasks/{id}:cancel, /tasks/{id}/pushNotificationConfigs"
                        + " and GET /extendedAgentCard"));
    }

    void streamMessage(RoutingContext ctx) {
        events(
                ctx,
                Permission.WRITE_SESSION,
                sink -> stream.start(ctx, A2aBinding.agent(ctx), A2aBinding.body(ctx, A2aError::invalidParams), sink));
    }

    /** A response of Server-Sent Events, each a {@code StreamResponse}; an error before the first is a plain answer. */
    private void events(
            RoutingContext ctx,
            Permission permission,
            java.util.function.Function<A2aStream.Sink, Future<AutoCloseable>> starter) {
        var response = ctx.response();
        A2aBinding.attempt(() -> {
                    A2aBinding.checkVersion(ctx);
                    A2aBinding.require(ctx, permission);
                    return starter.apply(new A2aStream.Sink() {
                        private boolean open;

                        @Override
                        public void event(JsonObject streamResponse) {
                            if (!open) {
                                open = true;
                                A2aBinding.openSse(response);
                            }
                            A2aBinding.sse(response, streamResponse);
                        }

                        @Override
                        public void end() {
                            A2aBinding.endSse(response);
                        }
                    });
                })
                .onComplete(started -> {
                    if (started.failed()) {
                        fail(ctx, A2aBinding.asA2a(started.cause(), log, ctx));
                    } else {
                        AutoCloseable run = started.result();
                        response.closeHandler(closed -> {
                            try {
                                run.close();
                            } catch (Exception e) {
                                log.warn("closing an A2A stream failed", e);
                            }
                        });
                    }
                });
    }

    private void answer(RoutingContext ctx, Supplier<Future<JsonObject>> operation) {
        A2aBinding.attempt(() -> {
                    A2aBinding.checkVersion(ctx);
                    return operation.get();
                })
                .onComplete(done -> {
                    if (done.succeeded()) {
                        reply(ctx, 200, done.result());
                    } else {
                        fail(ctx, A2aBinding.asA2a(done.cause(), log, ctx));
                    }
                });
    }

    private static void fail(RoutingContext ctx, A2aError error) {
        if (ctx.response().headWritten()) {
            A2aBinding.sse(ctx.response(), error.restBody());
            A2aBinding.endSse(ctx.response());
            return;
        }
        reply(ctx, error.httpStatus(), error.restBody());
    }

    private static void reply(RoutingContext ctx, int status, JsonObject body) {
        var response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
                .end(body.encode());
    }
}
