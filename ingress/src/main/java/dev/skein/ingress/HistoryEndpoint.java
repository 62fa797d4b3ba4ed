package dev.skein.ingress;

import dev.skein.schemas.SessionAddress;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /v1/sessions/:id/history}: the session's messages, read from the session store. */
final class HistoryEndpoint {

    private static final Logger log = LoggerFactory.getLogger(HistoryEndpoint.class);

    private final Vertx vertx;
    private final HistoryReader history;

    HistoryEndpoint(Vertx vertx, HistoryReader history) {
        this.vertx = vertx;
        this.history = history;
    }

    void get(RoutingContext ctx) {
        SessionAddress address = SessionGuard.address(ctx);
        // Interactive queries may block (or forward to another instance): never on the event loop.
        vertx.executeBlocking(() -> history.read(address), false).onComplete(read -> {
            if (read.failed()) {
                failed(ctx, address, read.cause());
            } else if (read.result().isEmpty()) {
                JsonReply.error(ctx, 404, "session " + address + " not found");
            } else {
                JsonReply.send(
                        ctx, 200, EventJson.history(address, read.result().get()));
            }
        });
    }

    private static void failed(RoutingContext ctx, SessionAddress address, Throwable cause) {
        // A store that is not ready (rebalance, restore) is expected and retryable: 503 with the
        // reader's own words. Anything else is a bug: 500, details in the log only.
        if (cause instanceof IllegalStateException || cause instanceof KafkaException) {
            log.warn("session {}: history not available: {}", address, cause.getMessage());
            JsonReply.error(
                    ctx, 503, "history of session " + address + " is not available right now: " + cause.getMessage());
        } else {
            log.error("session {}: reading the history failed", address, cause);
            JsonReply.error(
                    ctx, 500, "reading the history of session " + address + " failed; the server log has the details");
        }
    }
}
