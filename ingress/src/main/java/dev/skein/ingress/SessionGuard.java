package dev.skein.ingress;

import dev.skein.schemas.SessionAddress;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * The guard in front of every {@code /v1/sessions/:id} route: resolves the session address from
 * the tenant header and the path, or answers 400; the handlers after it read it with {@link #address}.
 */
final class SessionGuard {

    private static final String SESSION = "skein.session";

    private final IngressConfig config;

    SessionGuard(IngressConfig config) {
        this.config = config;
    }

    /**
     * The caller's tenant.
     *
     * @throws IllegalArgumentException when it is not a valid tenant name
     */
    String tenant(RoutingContext ctx) {
        String tenant = Optional.ofNullable(ctx.request().getHeader(config.tenantHeader()))
                .orElse(config.defaultTenant());
        // The address checks the tenant name as it checks every session's.
        return new SessionAddress(tenant, "x").tenant();
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
