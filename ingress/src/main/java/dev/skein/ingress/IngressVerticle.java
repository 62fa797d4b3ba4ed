package dev.skein.ingress;

import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SessionAddress;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP and WebSocket API of Skein under {@code /v1}; its lifecycle is {@link SkeinIngress}'s. */
final class IngressVerticle extends VerticleBase {

    private static final Logger log = LoggerFactory.getLogger(IngressVerticle.class);
    private static final String SESSION = "skein.session";
    private static final String JSON = "application/json";
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final IngressConfig config;
    private final TurnGateway gateway;
    private final SessionEvents events;
    private final HistoryReader history;
    private final Supplier<Health> health;
    private final CatalogReader catalog;
    private final PrometheusMeterRegistry prometheus;
    private volatile HttpServer server;

    /** @param prometheus the registry {@code /metrics} scrapes; null when this instance exports none */
    IngressVerticle(
            IngressConfig config,
            TurnGateway gateway,
            SessionEvents events,
            HistoryReader history,
            Supplier<Health> health,
            CatalogReader catalog,
            PrometheusMeterRegistry prometheus) {
        this.config = config;
        this.gateway = gateway;
        this.events = events;
        this.history = history;
        this.health = health;
        this.catalog = catalog;
        this.prometheus = prometheus;
    }

    /** Fails the deployment, with the address in the message, when the port cannot be bound. */
    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        // Only routes that read a body get the BodyHandler: it would consume a WebSocket upgrade.
        BodyHandler body = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());

        router.post("/v1/sessions/:id/turns")
                .handler(body)
                .handler(this::session)
                .handler(this::postTurn);
        router.get("/v1/sessions/:id/history").handler(this::session).handler(this::getHistory);
        router.delete("/v1/sessions/:id/history").handler(this::session).handler(this::clearHistory);
        router.get("/v1/sessions/:id/stream").handler(this::session).handler(this::stream);
        router.post("/v1/sessions/:id/turns/:turnId/cancel")
                .handler(body)
                .handler(this::session)
                .handler(ctx -> command(ctx, CommandKind.CANCEL_TURN));
        router.post("/v1/sessions/:id/tool-calls/:callId/approve")
                .handler(body)
                .handler(this::session)
                .handler(ctx -> command(ctx, CommandKind.APPROVE_TOOL_CALL));
        router.post("/v1/sessions/:id/tool-calls/:callId/deny")
                .handler(body)
                .handler(this::session)
                .handler(ctx -> command(ctx, CommandKind.DENY_TOOL_CALL));
        router.get("/v1/tools").handler(this::listTools);
        router.get("/v1/workers").handler(this::listWorkers);
        router.get("/health").handler(this::health);
        router.get("/metrics").handler(this::metrics);
        router.route().failureHandler(this::failure);
        router.errorHandler(
                404,
                ctx -> error(
                        ctx,
                        404,
                        "no route " + ctx.request().method() + " "
                                + ctx.request().path()
                                + "; see /v1/sessions/{id}/turns, /history, /stream, /turns/{turnId}/cancel,"
                                + " /tool-calls/{callId}/approve and /deny, /v1/tools, /v1/workers, /health and /metrics"));
        router.errorHandler(
                405,
                ctx -> error(
                        ctx,
                        405,
                        "method " + ctx.request().method() + " is not allowed on "
                                + ctx.request().path()));

        HttpServerOptions options = new HttpServerOptions()
                .setMaxWebSocketMessageSize(config.maxBodyBytes())
                .setMaxWebSocketFrameSize(config.maxBodyBytes());
        return vertx.createHttpServer(options)
                .requestHandler(router)
                .listen(config.port(), config.host())
                .onSuccess(listening -> server = listening)
                .recover(e -> Future.failedFuture(new IllegalStateException(
                        "ingress cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage()
                                + " (set skein.http.port, --port or SKEIN_HTTP_PORT to a free port, or 0 for any)",
                        e)));
    }

    @Override
    public Future<?> stop() {
        server = null;
        return Future.succeededFuture();
    }

    int actualPort() {
        HttpServer listening = server;
        if (listening == null) {
            throw new IllegalStateException("the ingress is not listening");
        }
        return listening.actualPort();
    }

    /** Guard: resolves the session address from the tenant header and the path, or answers 400. */
    private void session(RoutingContext ctx) {
        String tenant = Optional.ofNullable(ctx.request().getHeader(config.tenantHeader()))
                .orElse(config.defaultTenant());
        SessionAddress address;
        try {
            address = new SessionAddress(tenant, ctx.pathParam("id"));
        } catch (IllegalArgumentException e) {
            error(ctx, 400, e.getMessage());
            return;
        }
        ctx.put(SESSION, address);
        ctx.next();
    }

    /**
     * Posts a turn. Without {@code wait}: 202 once the turn is durably accepted. With {@code wait}:
     * 200 with the completion whatever its status: a FAILED, CANCELLED or REJECTED turn is still a
     * request that was handled correctly, so its status and error are in the body, not the HTTP
     * code. 504 when the turn does not finish in time (it keeps running).
     */
    private void postTurn(RoutingContext ctx) {
        SessionAddress address = ctx.get(SESSION);
        Duration wait = waitParameter(ctx);
        TurnRequested turn = TurnRequestBody.parse(
                ctx.body().asString(), address, config.maxMessageBytes(), System.currentTimeMillis());
        String turnId = turn.getTurnId();
        // Registered before the turn is submitted, so that a fast completion cannot be missed.
        CompletableFuture<TurnCompleted> completion = wait == null ? null : events.expect(address, turnId);
        fromGateway(() -> gateway.submit(turn)).onComplete(submitted -> {
            if (submitted.failed()) {
                if (completion != null) {
                    events.forget(address, turnId);
                }
                submitFailed(ctx, address, "turn " + turnId, submitted.cause());
            } else if (completion == null) {
                log.debug("session {} turn {}: accepted", address, turnId);
                reply(
                        ctx,
                        202,
                        new JsonObject()
                                .put("turnId", turnId)
                                .put("session", address.toString())
                                .put("status", "ACCEPTED"));
            } else {
                awaitCompletion(ctx, address, turnId, completion, wait);
            }
        });
    }

    private void awaitCompletion(
            RoutingContext ctx,
            SessionAddress address,
            String turnId,
            CompletableFuture<TurnCompleted> completion,
            Duration wait) {
        Future.fromCompletionStage(completion, context)
                .timeout(wait.toMillis(), TimeUnit.MILLISECONDS)
                .onComplete(done -> {
                    events.forget(address, turnId);
                    if (done.succeeded()) {
                        log.debug(
                                "session {} turn {}: {}",
                                address,
                                turnId,
                                done.result().getStatus());
                        reply(ctx, 200, EventJson.completion(done.result()));
                    } else if (!completion.isDone()) {
                        log.info(
                                "session {} turn {}: not completed within {}; the client got 504",
                                address,
                                turnId,
                                wait);
                        error(
                                ctx,
                                504,
                                "turn " + turnId + " did not complete within " + seconds(wait)
                                        + "s; it is still running: GET /v1/sessions/" + address.sessionId()
                                        + "/history or stream /v1/sessions/" + address.sessionId() + "/stream");
                    } else {
                        log.warn("session {} turn {}: cannot wait for the completion", address, turnId, done.cause());
                        error(
                                ctx,
                                503,
                                "turn " + turnId + " was accepted, but its completion cannot be awaited: "
                                        + done.cause().getMessage() + "; read GET /v1/sessions/" + address.sessionId()
                                        + "/history");
                    }
                });
    }

    private void getHistory(RoutingContext ctx) {
        SessionAddress address = ctx.get(SESSION);
        // Interactive queries may block (or forward to another instance): never on the event loop.
        vertx.executeBlocking(() -> history.read(address), false).onComplete(read -> {
            if (read.failed()) {
                historyFailed(ctx, address, read.cause());
            } else if (read.result().isEmpty()) {
                error(ctx, 404, "session " + address + " not found");
            } else {
                reply(ctx, 200, EventJson.history(address, read.result().get()));
            }
        });
    }

    private void clearHistory(RoutingContext ctx) {
        command(ctx, CommandKind.CLEAR_HISTORY);
    }

    /**
     * Sends a session command; 202 once it is durably accepted. The session applies it in order
     * with its other events; a command that no longer applies (a call that awaits no approval, a
     * turn that already ended) is dropped there. An optional body {@code {"reason": "..."}} is
     * passed on (a denial's reason reaches the agent).
     */
    private void command(RoutingContext ctx, CommandKind kind) {
        SessionAddress address = ctx.get(SESSION);
        String reason;
        try {
            reason = reasonOf(ctx);
        } catch (IllegalArgumentException e) {
            error(ctx, 400, e.getMessage());
            return;
        }
        SessionCommand command = SessionCommand.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setCommandId(UUID.randomUUID().toString())
                .setKind(kind)
                .setTurnId(ctx.pathParam("turnId"))
                .setCallId(ctx.pathParam("callId"))
                .setReason(reason)
                .setIssuedAtMs(System.currentTimeMillis())
                .build();
        fromGateway(() -> gateway.submit(command)).onComplete(submitted -> {
            if (submitted.failed()) {
                submitFailed(ctx, address, "command " + command.getCommandId(), submitted.cause());
            } else {
                log.info("session {}: {} requested (command {})", address, kind, command.getCommandId());
                reply(
                        ctx,
                        202,
                        new JsonObject()
                                .put("commandId", command.getCommandId())
                                .put("session", address.toString())
                                .put("command", kind.name())
                                .put("status", "ACCEPTED"));
            }
        });
    }

    private static String reasonOf(RoutingContext ctx) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            return null;
        }
        JsonObject body;
        try {
            body = new JsonObject(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the body is not valid JSON; send {\"reason\": \"...\"} or nothing");
        }
        Object reason = body.getValue("reason");
        if (reason != null && !(reason instanceof String)) {
            throw new IllegalArgumentException("'reason' must be a string");
        }
        if (body.fieldNames().stream().anyMatch(f -> !f.equals("reason"))) {
            throw new IllegalArgumentException("unknown field; a command body has only 'reason'");
        }
        return (String) reason;
    }

    private void stream(RoutingContext ctx) {
        SessionAddress address = ctx.get(SESSION);
        if (!ctx.request().canUpgradeToWebSocket()) {
            error(
                    ctx,
                    400,
                    ctx.request().path() + " is a WebSocket: connect with a WebSocket client (Upgrade: websocket)");
            return;
        }
        ctx.request()
                .toWebSocket()
                .onSuccess(socket ->
                        new SessionStream(address, socket, context, config.maxMessageBytes(), gateway).open(events))
                .onFailure(e -> log.warn("session {}: WebSocket upgrade failed", address, e));
    }

    private void health(RoutingContext ctx) {
        // A health supplier may ask Kafka or the streams runtime: not on the event loop.
        vertx.executeBlocking(health::get, false).onComplete(checked -> {
            if (checked.failed()) {
                log.warn("health check failed", checked.cause());
                reply(
                        ctx,
                        503,
                        new JsonObject()
                                .put("status", "DOWN")
                                .put(
                                        "error",
                                        "health check failed: "
                                                + checked.cause().getMessage()));
                return;
            }
            Health report = checked.result();
            JsonObject components = new JsonObject();
            report.components()
                    .forEach((name, component) -> components.put(
                            name,
                            new JsonObject()
                                    .put("status", component.up() ? "UP" : "DOWN")
                                    .put("detail", component.detail())));
            reply(
                    ctx,
                    report.isUp() ? 200 : 503,
                    new JsonObject()
                            .put("status", report.isUp() ? "UP" : "DOWN")
                            .put("components", components));
        });
    }

    /** The catalog is an in-memory snapshot (see {@link CatalogReader}): answered on the event loop. */
    private void listTools(RoutingContext ctx) {
        reply(ctx, 200, CatalogJson.tools(catalog.tools()));
    }

    private void listWorkers(RoutingContext ctx) {
        reply(ctx, 200, CatalogJson.workers(catalog.workers(), System.currentTimeMillis(), config.workerTimeout()));
    }

    private void metrics(RoutingContext ctx) {
        if (prometheus == null) {
            error(ctx, 404, "this instance exports no Prometheus metrics: give the ingress a PrometheusMeterRegistry");
            return;
        }
        // A scrape walks every meter and formats them all; with many tiers, tools and routes that
        // takes long enough to stall other requests if done on the event loop.
        vertx.executeBlocking(prometheus::scrape, false).onComplete(scraped -> {
            if (scraped.failed()) {
                log.error("GET /metrics: the Prometheus scrape failed", scraped.cause());
                error(ctx, 500, "the Prometheus scrape failed; the server log has the details");
            } else if (!ctx.response().ended() && !ctx.response().closed()) {
                ctx.response()
                        .setStatusCode(200)
                        .putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT)
                        .end(scraped.result());
            }
        });
    }

    /** Failures of any route: refusals thrown while parsing, oversized bodies, and bugs. */
    private void failure(RoutingContext ctx) {
        Throwable cause = ctx.failure();
        if (cause instanceof HttpFailure refused) {
            error(ctx, refused.status(), refused.getMessage());
        } else if (ctx.statusCode() == 413) {
            error(
                    ctx,
                    413,
                    "request body exceeds " + config.maxBodyBytes() + " bytes; messages are limited to "
                            + config.maxMessageBytes() + " bytes");
        } else if (cause == null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            error(ctx, ctx.statusCode(), "bad request: " + ctx.response().getStatusMessage());
        } else {
            log.error("{} {} failed", ctx.request().method(), ctx.request().path(), cause);
            error(
                    ctx,
                    500,
                    "internal error while handling " + ctx.request().method() + " "
                            + ctx.request().path() + "; the server log has the details");
        }
    }

    private void submitFailed(RoutingContext ctx, SessionAddress address, String what, Throwable cause) {
        log.warn("session {}: could not submit {}", address, what, cause);
        error(
                ctx,
                503,
                "could not submit " + what + " of session " + address + ": " + cause.getMessage()
                        + "; it was not accepted, retry");
    }

    private void historyFailed(RoutingContext ctx, SessionAddress address, Throwable cause) {
        // A store that is not ready (rebalance, restore) is expected and retryable: 503 with the
        // reader's own words. Anything else is a bug: 500, details in the log only.
        if (cause instanceof IllegalStateException || cause instanceof KafkaException) {
            log.warn("session {}: history not available: {}", address, cause.getMessage());
            error(ctx, 503, "history of session " + address + " is not available right now: " + cause.getMessage());
        } else {
            log.error("session {}: reading the history failed", address, cause);
            error(ctx, 500, "reading the history of session " + address + " failed; the server log has the details");
        }
    }

    /** {@code wait} absent or false: null (do not wait); true or empty: the default; else seconds, capped. */
    private Duration waitParameter(RoutingContext ctx) {
        String raw = ctx.queryParams().get("wait");
        if (raw == null || raw.equalsIgnoreCase("false")) {
            return null;
        }
        if (raw.isEmpty() || raw.equalsIgnoreCase("true")) {
            return config.defaultWait();
        }
        double seconds;
        try {
            seconds = Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            throw HttpFailure.badRequest("wait must be true, false or a number of seconds, got '" + raw + "'");
        }
        if (!Double.isFinite(seconds) || seconds < 0) {
            throw HttpFailure.badRequest("wait must be true, false or a number of seconds, got '" + raw + "'");
        }
        if (seconds == 0) {
            return null;
        }
        Duration requested = Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
        return requested.compareTo(config.maxWait()) > 0 ? config.maxWait() : requested;
    }

    private Future<Void> fromGateway(Supplier<CompletableFuture<Void>> call) {
        try {
            return Future.fromCompletionStage(call.get(), context);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    private static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    private static void reply(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .end(body.encode());
    }

    private static void error(RoutingContext ctx, int status, String message) {
        reply(ctx, status, new JsonObject().put("error", message));
    }
}
