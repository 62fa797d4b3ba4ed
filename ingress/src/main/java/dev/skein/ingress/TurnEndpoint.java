package dev.skein.ingress;

import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.tracing.TraceHeaders;
import io.opentelemetry.context.Scope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code POST /v1/sessions/:id/turns}, with or without {@code ?wait} for the completion. */
final class TurnEndpoint {

    private static final Logger log = LoggerFactory.getLogger(TurnEndpoint.class);

    private final IngressConfig config;
    private final TurnGateway gateway;
    private final SessionEvents events;
    private final Context context;

    /** @param context the verticle's: completions are answered on its event loop */
    TurnEndpoint(IngressConfig config, TurnGateway gateway, SessionEvents events, Context context) {
        this.config = config;
        this.gateway = gateway;
        this.events = events;
        this.context = context;
    }

    /**
     * Posts a turn. Without {@code wait}: 202 once the turn is durably accepted. With {@code wait}:
     * 200 with the completion whatever its status: a FAILED, CANCELLED or REJECTED turn is still a
     * request that was handled correctly, so its status and error are in the body, not the HTTP
     * code. 504 when the turn does not finish in time (it keeps running).
     */
    void post(RoutingContext ctx) {
        SessionAddress address = SessionGuard.address(ctx);
        Duration wait = waitParameter(ctx);
        TurnRequested turn = TurnRequestBody.parse(
                StrictJson.utf8(ctx.body().buffer(), "request body"),
                address,
                config.maxMessageBytes(),
                System.currentTimeMillis());
        TurnRequestBody.requireAllowedAgent(config.access(), turn);
        TurnRequestBody.bindUser(turn, dev.skein.ingress.auth.Caller.of(ctx));
        String turnId = turn.getTurnId();
        // Registered before the turn is submitted, so that a fast completion cannot be missed.
        CompletableFuture<TurnCompleted> completion = wait == null ? null : events.expect(address, turnId);
        // The turn's span (continuing the client's traceparent), which the submitted record carries.
        io.opentelemetry.context.Context traced = TurnSpans.forRequest(ctx.request(), turn);
        String traceId = TraceHeaders.traceId(traced);
        if (traceId != null) {
            ctx.response().putHeader(TraceHeaders.TRACEPARENT, TraceHeaders.traceparent(traced));
        }
        Future<Void> submission;
        try (Scope ignored = traced.makeCurrent()) {
            submission = GatewaySubmission.submit(context, () -> gateway.submit(turn));
        }
        submission.onComplete(submitted -> {
            if (submitted.failed()) {
                if (completion != null) {
                    events.forget(address, turnId);
                }
                GatewaySubmission.failed(ctx, address, "turn " + turnId, submitted.cause());
            } else if (completion == null) {
                log.debug("session {} turn {}: accepted", address, turnId);
                JsonObject accepted = new JsonObject()
                        .put("turnId", turnId)
                        .put("session", address.toString())
                        .put("status", "ACCEPTED");
                if (traceId != null) {
                    accepted.put("traceId", traceId);
                }
                JsonReply.send(ctx, 202, accepted);
            } else {
                awaitCompletion(ctx, address, turnId, completion, wait, traceId);
            }
        });
    }

    private void awaitCompletion(
            RoutingContext ctx,
            SessionAddress address,
            String turnId,
            CompletableFuture<TurnCompleted> completion,
            Duration wait,
            String traceId) {
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
                        JsonObject answer = EventJson.completion(done.result());
                        if (answer.getString("traceId") == null && traceId != null) {
                            // The topology may not trace; the turn still has the ingress's trace.
                            answer.put("traceId", traceId);
                        }
                        JsonReply.send(ctx, 200, answer);
                    } else if (!completion.isDone()) {
                        log.info(
                                "session {} turn {}: not completed within {}; the client got 504",
                                address,
                                turnId,
                                wait);
                        JsonReply.error(
                                ctx,
                                504,
                                "turn " + turnId + " did not complete within " + seconds(wait)
                                        + "s; it is still running: GET /v1/sessions/" + address.sessionId()
                                        + "/history or stream /v1/sessions/" + address.sessionId() + "/stream");
                    } else {
                        log.warn("session {} turn {}: cannot wait for the completion", address, turnId, done.cause());
                        JsonReply.error(
                                ctx,
                                503,
                                "turn " + turnId + " was accepted, but its completion cannot be awaited: "
                                        + done.cause().getMessage() + "; read GET /v1/sessions/" + address.sessionId()
                                        + "/history");
                    }
                });
    }

    /**
     * {@code wait} absent, false or zero: null (do not wait); true or empty: the default; else a
     * {@link DurationText} (plain seconds, or 500ms, 30s, 2m), capped at the maximum.
     */
    private Duration waitParameter(RoutingContext ctx) {
        String raw = ctx.queryParams().get("wait");
        if (raw == null || raw.equalsIgnoreCase("false")) {
            return null;
        }
        if (raw.isEmpty() || raw.equalsIgnoreCase("true")) {
            return config.defaultWait();
        }
        Duration requested;
        try {
            requested = DurationText.parse(raw);
        } catch (IllegalArgumentException e) {
            throw HttpFailure.badRequest("wait must be true, false or a number of seconds (2, 0.5), or a duration"
                    + " with a unit (500ms, 30s, 2m), got " + ClientText.quote(raw));
        }
        if (requested.isZero()) {
            return null;
        }
        return requested.compareTo(config.maxWait()) > 0 ? config.maxWait() : requested;
    }

    private static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString();
    }
}
