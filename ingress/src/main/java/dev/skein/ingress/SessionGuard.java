package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.SessionAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * The guard in front of every {@code /v1/sessions/:id} route, behind {@link AuthGuard}: resolves the
 * session address from the caller's tenant and the path, or answers 400; the handlers after it read
 * it with {@link #address}. Sessions are namespaced by tenant, so another tenant's session id names,
 * for this caller, a session of its own tenant: one that does not exist, or its own.
 */
final class SessionGuard {

    private static final String SESSION = "skein.session";

    SessionGuard() {}

    /**
     * The caller's tenant (from its credential, or the tenant header when authentication is off).
     *
     * @throws IllegalArgumentException when it is not a valid tenant name
     */
    String tenant(RoutingContext ctx) {
        // The address checks the tenant name as it checks every session's.
        return new SessionAddress(Caller.of(ctx).tenant(), "x").tenant();
    }

    void resolve(RoutingContext ctx) {
        SessionAddress address;
        try {
            address = new SessionAddress(tenant(ctx), ctx.pathParam("id"));
        } catch (IllegalArgumentException e) {
            JsonReply.error(ctx, 400, e.getMessage());
            return;
        }
        ctx.put(SESSION, address);
        ctx.next();
    }

    /** The address {@link #resolve} put on this request. */
    static SessionAddress address(RoutingContext ctx) {
        return ctx.get(SESSION);
    }
}
