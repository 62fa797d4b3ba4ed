package dev.skein.ingress.auth;

import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who a request comes from, as its credential says: put on every {@code /v1}, {@code /metrics} and
 * {@code /registry} request by the ingress's authentication handler before any route runs; read it
 * with {@link #of(RoutingContext)}.
 *
 * @param subject    the credential's id: an API key's id, a token's {@code sub}, or {@code "anonymous"}
 *                   when authentication is off
 * @param tenant     the tenant this request acts for: the credential's own, or (an operator's only) the one
 *                   the tenant header names
 * @param roles      at least one
 * @param credential how the caller proved who it is
 * @param expiresAtMs when the credential stops being valid ({@link Long#MAX_VALUE}: never, e.g. an API key
 *                   until it is revoked); a WebSocket opened with it is closed then
 */
public record Caller(String subject, String tenant, Set<Role> roles, Credential credential, long expiresAtMs) {

    /** How a caller was identified. */
    public enum Credential {
        /** Authentication is off: every request may act for any tenant with every role. */
        NONE,
        API_KEY,
        JWT
    }

    private static final String KEY = "skein.caller";

    public Caller {
        roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
    }

    /** The caller of a request with authentication off: an operator of {@code tenant}. */
    public static Caller anonymous(String tenant) {
        return new Caller("anonymous", tenant, Set.of(Role.OPERATOR), Credential.NONE, Long.MAX_VALUE);
    }

    /** The caller the authentication handler put on this request; never null behind it. */
    public static Caller of(RoutingContext ctx) {
        Caller caller = ctx.get(KEY);
        if (caller == null) {
            throw new IllegalStateException("no caller on " + ctx.request().path() + ": the route is not behind the"
                    + " authentication handler");
        }
        return caller;
    }

    /** Puts this caller on the request, for {@link #of(RoutingContext)}. */
    public void attachTo(RoutingContext ctx) {
        ctx.put(KEY, this);
    }

    public boolean may(Permission permission) {
        return permission.grantedToAny(roles);
    }

    public boolean isOperator() {
        return roles.contains(Role.OPERATOR);
    }

    /** The same caller acting for another tenant (an operator naming one). */
    public Caller actingFor(String otherTenant) {
        return new Caller(subject, otherTenant, roles, credential, expiresAtMs);
    }
}
