package dev.skein.ingress;

import dev.skein.ingress.SessionDirectory.Kind;
import dev.skein.ingress.SessionDirectory.Location;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 * the instance that holds the session ({@code GET .../turns/:turnId/trace}, {@link TraceJson}).
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

    void get(RoutingContext ctx) {
        SessionAddress address = SessionGuard.address(ctx);
        if (Forwarding.isForwarded(ctx)) {
            boolean standby = Forwarder.STANDBY.equals(ctx.request().getHeader(Forwarder.READ));
            answerHere(ctx, address, standby, true);
            return;
        }
        locate(address).onComplete(located -> {
            if (located.failed()) {
                failed(ctx, address, located.cause());
            } else {
                route(ctx, address, located.result(), true);
            }
        });
    }

    private void route(RoutingContext ctx, SessionAddress address, Location location, boolean firstTry) {
        switch (location.kind()) {
            case LOCAL -> answerHere(ctx, address, false, false);
            case REMOTE ->
                forwarder
                        .get(ctx, location.active(), ctx.request().uri(), false)
                        .onComplete(relayed -> {
                            if (relayed.succeeded() && relayed.result().status() != 421) {
                                relayed.result().sendTo(ctx);
                            } else if (firstTry) {
                                log.info(
                                        "session {}: its owner {} did not answer ({}); looking it up again",
                                        address,
                                        location.active(),
                                        relayed.failed() ? relayed.cause().toString() : "421, moved");
                                relocate(ctx, address);
                            } else {
                                fallBack(ctx, address, location, "its owner " + location.active() + " did not answer");
                            }
                        });
            case UNAVAILABLE -> {
                if (firstTry) {
                    relocate(ctx, address);
                } else {
                    fallBack(ctx, address, location, "no instance holds it right now (a rebalance)");
                }
            }
        }
    }

    private void relocate(RoutingContext ctx, SessionAddress address) {
        vertx.setTimer(
                SETTLE_MILLIS,
                t -> locate(address).onComplete(located -> {
                    if (located.failed()) {
                        failed(ctx, address, located.cause());
                    } else {
                        route(ctx, address, located.result(), false);
                    }
                }));
    }

    /** The owner could not answer: a standby copy may, marked as possibly stale. */
    private void fallBack(RoutingContext ctx, SessionAddress address, Location location, String why) {
        if (!standbyReads) {
            JsonReply.error(ctx, 503, subject.describe(ctx, address) + " is not available right now: " + why);
            return;
        }
        URI self = directory.self();
        if (location.standbys().contains(self)) {
            answerHere(ctx, address, true, false);
            return;
        }
        List<URI> others = new ArrayList<>(location.standbys());
        tryStandbys(ctx, address, others, why);
    }

    private void tryStandbys(RoutingContext ctx, SessionAddress address, List<URI> standbys, String why) {
        if (standbys.isEmpty()) {
            JsonReply.error(
                    ctx,
                    503,
                    subject.describe(ctx, address) + " is not available right now: " + why
                            + ", and no standby copy answered");
            return;
        }
        URI next = standbys.removeFirst();
        forwarder.get(ctx, next, ctx.request().uri(), true).onComplete(relayed -> {
            if (relayed.succeeded() && relayed.result().status() != 421) {
                relayed.result().sendTo(ctx);
            } else {
                tryStandbys(ctx, address, standbys, why);
            }
        });
    }

    /**
     * Answers from this instance's stores. A forwarded request for a session not held here gets 421,
     * which the sender takes as "look it up again".
     */
    private void answerHere(RoutingContext ctx, SessionAddress address, boolean standby, boolean forwarded) {
        vertx.<Answer>executeBlocking(
                        () -> {
                            if (forwarded
                                    && !standby
                                    && directory.locate(address).kind() != Kind.LOCAL) {
                                return new Answer(true, Optional.empty());
                            }
                            return new Answer(false, subject.read(directory, ctx, address, standby));
                        },
                        false)
                .onComplete(read -> {
                    if (read.failed()) {
                        failed(ctx, address, read.cause());
                    } else if (read.result().notHere()) {
                        JsonReply.error(ctx, 421, "session " + address + " is not held by this instance");
                    } else if (read.result().view().isEmpty()) {
                        JsonReply.error(ctx, standby && forwarded ? 421 : 404, subject.notFound(ctx, address));
                    } else {
                        if (standby) {
                            ctx.response().putHeader(Forwarder.STALE, "true");
                        }
                        ctx.response()
                                .putHeader(Forwarder.SERVED_BY, directory.self().toString());
                        JsonReply.send(ctx, 200, read.result().view().get());
                    }
                });
    }

    private record Answer(boolean notHere, Optional<JsonObject> view) {}

    private Future<Location> locate(SessionAddress address) {
        return vertx.executeBlocking(() -> directory.locate(address), false);
    }

    private void failed(RoutingContext ctx, SessionAddress address, Throwable cause) {
        // A store that is not ready (rebalance, restore) is expected and retryable: 503 with the
        // reader's own words. Anything else is a bug: 500, details in the log only.
        if (cause instanceof IllegalStateException || cause instanceof KafkaException) {
            log.warn("session {}: {} not available: {}", address, subject.describe(ctx, address), cause.getMessage());
            JsonReply.error(
                    ctx, 503, subject.describe(ctx, address) + " is not available right now: " + cause.getMessage());
        } else {
            log.error("session {}: reading the {} failed", address, subject.describe(ctx, address), cause);
            JsonReply.error(
                    ctx,
                    500,
                    "reading the " + subject.describe(ctx, address) + " failed; the server log has the details");
        }
    }
}
