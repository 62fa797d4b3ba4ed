package dev.skein.ingress;

import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A turn or a command handed to the {@link TurnGateway}, and the 503 a client gets when it was not accepted. */
final class GatewaySubmission {

    private static final Logger log = LoggerFactory.getLogger(GatewaySubmission.class);

    private GatewaySubmission() {}

    /** The gateway's answer on {@code context}; a gateway that throws instead of failing its future fails it too. */
    static Future<Void> submit(Context context, Supplier<CompletableFuture<Void>> call) {
        try {
            return Future.fromCompletionStage(call.get(), context);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /** The gateway's own exception, without the CompletionException a future's stage may wrap it in. */
    static Throwable unwrap(Throwable cause) {
        return cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
    }

    /** Nothing was accepted, so the client may retry as it is. */
    static void failed(RoutingContext ctx, SessionAddress address, String what, Throwable cause) {
        Throwable unwrapped = unwrap(cause);
        if (unwrapped instanceof QuotaExceededException quota) {
            log.debug("session {}: {} refused: {}", address, what, quota.getMessage());
            ctx.response().putHeader("Retry-After", String.valueOf(quota.retryAfterSeconds()));
            JsonReply.error(ctx, 429, quota.getMessage());
            return;
        }
        if (unwrapped instanceof TurnRefusedException refused) {
            log.debug("session {}: {} refused: {}", address, what, refused.getMessage());
            JsonObject body =
                    new JsonObject().put("error", refused.getMessage()).put("code", refused.code());
            if (refused.activeTurnId() != null) {
                body.put("activeTurnId", refused.activeTurnId());
            }
            JsonReply.send(ctx, refused.status(), body);
            return;
        }
        log.warn("session {}: could not submit {}", address, what, unwrapped);
        JsonReply.error(
                ctx,
                503,
                "could not submit " + what + " of session " + address + ": " + unwrapped.getMessage()
                        + "; it was not accepted, retry");
    }
}
