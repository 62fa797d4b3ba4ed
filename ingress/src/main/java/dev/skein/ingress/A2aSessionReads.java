package dev.skein.ingress;

import dev.skein.ingress.SessionDirectory.Location;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;

/**
 * A session's history for the A2A task operations, in the JSON of
 * {@code GET /v1/sessions/:id/history}: read from this instance's stores when it holds the
 * session, else asked of the instance that does (forwarded as the caller, like any history read).
 * A task's state survives a restart because it is read from there, not kept in memory.
 */
final class A2aSessionReads {

    private final Vertx vertx;
    private final SessionDirectory directory;
    private final Supplier<Forwarder> forwarder;

    /** @param forwarder the verticle's, created when it starts */
    A2aSessionReads(Vertx vertx, SessionDirectory directory, Supplier<Forwarder> forwarder) {
        this.vertx = vertx;
        this.directory = directory;
        this.forwarder = forwarder;
    }

    /** The history, or null when the session does not exist; fails with an {@link A2aError}. */
    Future<JsonObject> history(RoutingContext ctx, SessionAddress address) {
        return vertx.<Location>executeBlocking(() -> directory.locate(address), false)
                .compose(location -> switch (location.kind()) {
                    case LOCAL ->
                        vertx.executeBlocking(
                                () -> directory
                                        .read(address, false)
                                        .map(view -> EventJson.history(address, view))
                                        .orElse(null),
                                false);
                    case REMOTE -> remote(ctx, address, location);
                    case UNAVAILABLE ->
                        Future.failedFuture(A2aError.http(
                                503,
                                "session " + address.sessionId()
                                        + " is not available right now (its instances are rebalancing); retry"));
                })
                .recover(cause -> Future.failedFuture(translated(address, cause)));
    }

    private Future<JsonObject> remote(RoutingContext ctx, SessionAddress address, Location location) {
        String path = "/v1/sessions/" + address.sessionId() + "/history";
        return forwarder.get().get(ctx, location.active(), path, false).compose(relayed -> {
            if (relayed.status() == 200) {
                return Future.succeededFuture(new JsonObject(relayed.body()));
            }
            if (relayed.status() == 404) {
                return Future.succeededFuture(null);
            }
            return Future.failedFuture(A2aError.http(
                    503,
                    "the instance holding session " + address.sessionId() + " answered " + relayed.status()
                            + "; retry"));
        });
    }

    private static Throwable translated(SessionAddress address, Throwable cause) {
        if (cause instanceof A2aError) {
            return cause;
        }
        if (cause instanceof IllegalStateException || cause instanceof KafkaException) {
            return A2aError.http(
                    503, "session " + address.sessionId() + " is not available right now: " + cause.getMessage());
        }
        return A2aError.http(503, "session " + address.sessionId() + " could not be read: " + cause + "; retry");
    }
}
