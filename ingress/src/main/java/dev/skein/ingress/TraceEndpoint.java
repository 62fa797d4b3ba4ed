package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code GET /v1/sessions/:id/turns/:turnId/trace}: a turn's decision trace ({@link TraceJson}),
 * read from the session topology's {@code turn-traces} store on the instance that holds the
 * session, forwarded there like a history read ({@link HistoryEndpoint}). Scoped to the caller's
 * tenant by the session address, like every session route: another tenant's turn is not found.
 */
final class TraceEndpoint {

    private TraceEndpoint() {}

    /** What {@link HistoryEndpoint} reads for this route. */
    static final HistoryEndpoint.Subject TRACE = new HistoryEndpoint.Subject() {
        @Override
        public String describe(RoutingContext ctx, SessionAddress address) {
            return "trace of turn " + ctx.pathParam("turnId") + " of session " + address;
        }

        @Override
        public Optional<JsonObject> read(
                SessionDirectory directory, RoutingContext ctx, SessionAddress address, boolean standby) {
            return directory.trace(address, ctx.pathParam("turnId"), standby).map(TraceJson::of);
        }

        @Override
        public String notFound(RoutingContext ctx, SessionAddress address) {
            return "turn " + ctx.pathParam("turnId") + " of session " + address + " has no trace: no such turn, or"
                    + " one older than the session's latest skein.trace.keep-turns turns, or the history was cleared";
        }
    };

    /** A turn id that no turn can have is a bad request, before anything is looked up or forwarded. */
    static void checkTurnId(RoutingContext ctx) {
        String turnId = ctx.pathParam("turnId");
        if (!SessionAddress.isValidPart(turnId)) {
            JsonReply.error(
                    ctx,
                    400,
                    "turnId " + ClientText.quote(turnId)
                            + " is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
            return;
        }
        ctx.next();
    }
}
