package dev.skein.ingress;

import dev.skein.ingress.SessionDirectory.Kind;
import dev.skein.ingress.SessionDirectory.Location;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/sessions/:id/history}: the session's messages, from whichever instance holds them;
 * and, with another {@link Subject}, any other read of a session's stores that must be answered by
 * the instance that holds the session ({@code GET .../turns/:turnId/trace}, {@link TraceEndpoint}).
 *
 * <ul>
 *   <li>Held here: read from this instance's store.
 *   <li>Held by another instance: forwarded to it ({@link Forwarder}), its answer relayed as it is.
 *       When it answers 421 (the session moved in a rebalance) or cannot be reached, the owner is
 *       looked up again once, after {@link #SETTLE_MILLIS}, and asked again.
 *   <li>Owner unreachable twice, or no owner (a rebalance): when standby reads are on, a standby
 *       copy answers (this instance's, or another's), marked {@code Skein-Stale: true}; else 503.
 *   <li>A forwarded request is answered from this instance's stores only: 421 when the session
 *       is not held here (any more), so that requests never go round in circles.
 * </ul>
 */
final class HistoryEndpoint {

    private static final Logger log = LoggerFactory.getLogger(HistoryEndpoint.class);
    /** How long a rebalance is given before the owner is looked up again. */
    static final long SETTLE_MILLIS = 500;

    private final Vertx vertx;
    private final SessionDirectory directory;
    private final Forwarder forwarder;
    private final boolean standbyReads;
    private final Subject subject;

    /** What is read of a session, and how it is named in the answers that say it cannot be. */
    interface Subject {
        /** For example "history of session acme/s1". */
        String describe(RoutingContext ctx, SessionAddress address);

        /** The answer from this instance's stores; empty when they hold none. May block. */
        Optional<JsonObject> read(
                SessionDirectory directory, RoutingContext ctx, SessionAddress address, boolean standby);

        /** The 404's message. */
        String notFound(RoutingContext ctx, SessionAddress address);
    }

    /** The session's messages ({@link EventJson#history}). */
    static final Subject HISTORY = new Subject() {
        @Override
        public String describe(RoutingContext ctx, SessionAddress address) {
            return "history of session " + address;
        }

        @Override
        public Optional<JsonObject> read(
                SessionDirectory directory, RoutingContext ctx, SessionAddress address, boolean standby) {
            return directory.read(address, standby).map(view -> EventJson.history(address, view));
        }

        @Override
        public String notFound(RoutingContext ctx, SessionAddress address) {
            return "session " + address + " not found";
        }
    };

    HistoryEndpoint(Vertx vertx, SessionDirectory directory, Forwarder forwarder, boolean standbyReads) {
        this(vertx, directory, forwarder, standbyReads, HISTORY);
    }

    HistoryEndpoint(
            Vertx vertx, SessionDirectory directory, Forwarder forwarder, boolean standbyReads, Subject subject) {
        this.vertx = vertx;
        this.directory = directory;
        this.forwarder = forwarder;
        this.standbyReads = standbyReads;
        this.subject = subject;
    }

    /** A history read's answer, for the HTTP route to send as it is or for {@code /mcp} to wrap. */
    record Reply(int status, Buffer body, boolean stale, String servedBy) {

        static Reply error(int status, String message) {
            return new Reply(status, new JsonObject().put("error", message).toBuffer(), false, null);
        }

        static Reply of(Forwarder.Relayed relayed) {
            return new Reply(relayed.status(), relayed.body(), "true".equals(relayed.stale()), relayed.servedBy());
        }

        void sendTo(RoutingContext ctx) {
            HttpServerResponse response = ctx.response();
            if (response.ended() || response.closed()) {
                return;
            }
            response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
            if (stale) {
                response.putHeader(Forwarder.STALE, "true");
            }
            if (servedBy != null) {
                response.putHeader(Forwarder.SERVED_BY, servedBy);
            }
            response.end(body);
        }
    }

    void get(RoutingContext ctx) {
        SessionAddress address = SessionGuard.address(ctx);
        Future<Reply> reply;
        if (Forwarding.isForwarded(ctx)) {
            boolean standby = Forwarder.STANDBY.equals(ctx.request().getHeader(Forwarder.READ));
            reply = answerHere(ctx, address, standby, true);
        } else {
            reply = read(ctx, address, ctx.request().uri());
        }
        reply.onComplete(done -> done.result().sendTo(ctx));
    }

    /**
     * The history of {@code address}, from whichever instance holds it (asking the others for
     * {@code path} as the caller of {@code ctx}); never a failed future: a failure is a reply with
     * its status and message, as {@code GET /v1/sessions/:id/history} answers it.
     */
    Future<Reply> read(RoutingContext ctx, SessionAddress address, String path) {
        return locate(address)
                .compose(location -> route(ctx, address, path, location, true))
                .recover(cause -> Future.succeededFuture(failed(ctx, address, cause)));
    }

    private Future<Reply> route(
            RoutingContext ctx, SessionAddress address, String path, Location location, boolean firstTry) {
        return switch (location.kind()) {
            case LOCAL -> answerHere(ctx, address, false, false);
            case REMOTE ->
                forwarder.get(ctx, location.active(), path, false).transform(relayed -> {
                    if (relayed.succeeded() && relayed.result().status() != 421) {
                        return Future.succeededFuture(Reply.of(relayed.result()));
                    }
                    if (firstTry) {
                        log.info(
                                "session {}: its owner {} did not answer ({}); looking it up again",
                                address,
                                location.active(),
                                relayed.failed() ? relayed.cause().toString() : "421, moved");
                        return relocate(ctx, address, path);
                    }
                    return fallBack(ctx, address, path, location, "its owner " + location.active() + " did not answer");
                });
            case UNAVAILABLE ->
                firstTry
                        ? relocate(ctx, address, path)
                        : fallBack(ctx, address, path, location, "no instance holds it right now (a rebalance)");
        };
    }

    private Future<Reply> relocate(RoutingContext ctx, SessionAddress address, String path) {
        Promise<Void> settled = Promise.promise();
        vertx.setTimer(SETTLE_MILLIS, t -> settled.complete());
        return settled.future()
                .compose(v -> locate(address))
                .compose(location -> route(ctx, address, path, location, false));
    }

    /** The owner could not answer: a standby copy may, marked as possibly stale. */
    private Future<Reply> fallBack(
            RoutingContext ctx, SessionAddress address, String path, Location location, String why) {
        if (!standbyReads) {
            return Future.succeededFuture(
                    Reply.error(503, subject.describe(ctx, address) + " is not available right now: " + why));
        }
        URI self = directory.self();
        if (location.standbys().contains(self)) {
            return answerHere(ctx, address, true, false);
        }
        return tryStandbys(ctx, address, path, new ArrayList<>(location.standbys()), why);
    }

    private Future<Reply> tryStandbys(
            RoutingContext ctx, SessionAddress address, String path, List<URI> standbys, String why) {
        if (standbys.isEmpty()) {
            return Future.succeededFuture(Reply.error(
                    503,
                    subject.describe(ctx, address) + " is not available right now: " + why
                            + ", and no standby copy answered"));
        }
        URI next = standbys.removeFirst();
        return forwarder.get(ctx, next, path, true).transform(relayed -> {
            if (relayed.succeeded() && relayed.result().status() != 421) {
                return Future.succeededFuture(Reply.of(relayed.result()));
            }
            return tryStandbys(ctx, address, path, standbys, why);
        });
    }

    /**
     * Answers from this instance's stores. A forwarded request for a session not held here gets 421,
     * which the sender takes as "look it up again".
     */
    private Future<Reply> answerHere(RoutingContext ctx, SessionAddress address, boolean standby, boolean forwarded) {
        return vertx.<Answer>executeBlocking(
                        () -> {
                            if (forwarded
                                    && !standby
                                    && directory.locate(address).kind() != Kind.LOCAL) {
                                return new Answer(true, Optional.empty());
                            }
                            return new Answer(false, subject.read(directory, ctx, address, standby));
                        },
                        false)
                .map(answer -> {
                    if (answer.notHere()) {
                        return Reply.error(421, "session " + address + " is not held by this instance");
                    }
                    if (answer.view().isEmpty()) {
                        return Reply.error(standby && forwarded ? 421 : 404, subject.notFound(ctx, address));
                    }
                    return new Reply(
                            200,
                            answer.view().get().toBuffer(),
                            standby,
                            directory.self().toString());
                })
                .recover(cause -> Future.succeededFuture(failed(ctx, address, cause)));
    }

    private record Answer(boolean notHere, Optional<JsonObject> view) {}

    private Future<Location> locate(SessionAddress address) {
        return vertx.executeBlocking(() -> directory.locate(address), false);
    }

    private Reply failed(RoutingContext ctx, SessionAddress address, Throwable cause) {
        // A store that is not ready (rebalance, restore) is expected and retryable: 503 with the
        // reader's own words. Anything else is a bug: 500, details in the log only.
        if (cause instanceof IllegalStateException || cause instanceof KafkaException) {
            log.warn("session {}: {} not available: {}", address, subject.describe(ctx, address), cause.getMessage());
            return Reply.error(
                    503, subject.describe(ctx, address) + " is not available right now: " + cause.getMessage());
        }
        log.error("session {}: reading the {} failed", address, subject.describe(ctx, address), cause);
        return Reply.error(
                500, "reading the " + subject.describe(ctx, address) + " failed; the server log has the details");
    }
}
