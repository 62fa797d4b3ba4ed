package dev.skein.ingress;

import dev.skein.ingress.auth.AuthFailure;
import dev.skein.ingress.auth.Authenticator;
import dev.skein.ingress.auth.Caller;
import dev.skein.ingress.auth.Permission;
import dev.skein.ingress.auth.Role;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guards in front of every {@code /v1}, {@code /metrics} and {@code /registry} route:
 * {@link #authenticate} puts the request's {@link Caller} on it (401 when its credential is missing
 * or does not pass), {@link #require} checks that the caller's roles allow what the route does (403).
 *
 * <p>The tenant comes from the credential. Only an operator may act for another tenant, by naming
 * it in the tenant header; any other credential that names a tenant not its own gets a 403 (it
 * would otherwise be silently ignored, which hides the mistake). With authentication off the caller
 * is an anonymous operator of the header's tenant or the default tenant, as it was before
 * authentication existed. Refusals under {@code /registry} are in Confluent's error shape.
 */
final class AuthGuard {

    private static final Logger log = LoggerFactory.getLogger(AuthGuard.class);

    private final IngressConfig config;
    private final Authenticator authenticator;

    AuthGuard(IngressConfig config, Authenticator authenticator) {
        this.config = config;
        this.authenticator = authenticator;
    }

    void authenticate(RoutingContext ctx) {
        String named = ctx.request().getHeader(config.tenantHeader());
        if (!authenticator.enabled()) {
            if (invalidTenant(ctx, named)) {
                return;
            }
            Caller.anonymous(named == null ? config.defaultTenant() : named).attachTo(ctx);
            ctx.next();
            return;
        }
        boolean webSocket = ctx.request().canUpgradeToWebSocket();
        authenticator.authenticate(ctx.request(), webSocket).onComplete(checked -> {
            if (checked.failed()) {
                refuse(ctx, checked.cause());
                return;
            }
            Caller caller = checked.result();
            if (named != null && !named.equals(caller.tenant())) {
                if (!caller.isOperator()) {
                    forbid(
                            ctx,
                            "this credential acts for its own tenant only; send no " + config.tenantHeader()
                                    + " header (only an operator may name another tenant)");
                    return;
                }
                if (invalidTenant(ctx, named)) {
                    return;
                }
                caller = caller.actingFor(named);
            }
            caller.attachTo(ctx);
            ctx.next();
        });
    }

    /**
     * Answers 400 when the tenant header names no valid tenant. Checked here, once, because not every
     * route addresses a session (whose address checks it too): /v1/memory keys records by
     * {@code <tenant>/<user>/<id>}, and the catalog and MCP routes filter by the name as given.
     */
    private static boolean invalidTenant(RoutingContext ctx, String named) {
        if (named == null || SessionAddress.isValidPart(named)) {
            return false;
        }
        JsonReply.error(
                ctx,
                400,
                "tenant " + ClientText.quote(named) + " is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        return true;
    }

    /** A guard that lets the request through only when the caller's roles grant {@code permission}. */
    Handler<RoutingContext> require(Permission permission) {
        return ctx -> {
            Caller caller = Caller.of(ctx);
            if (caller.may(permission)) {
                ctx.next();
            } else {
                forbid(
                        ctx,
                        "the role "
                                + caller.roles().stream()
                                        .map(Role::label)
                                        .sorted()
                                        .collect(Collectors.joining(", ")) + " may not " + what(permission));
            }
        };
    }

    /** For a WebSocket opened by {@code caller}: false once its credential expires or is revoked. */
    BooleanSupplier stillValid(Caller caller) {
        if (!authenticator.enabled()) {
            return () -> true;
        }
        return () -> authenticator.stillValid(caller, System.currentTimeMillis());
    }

    private void refuse(RoutingContext ctx, Throwable cause) {
        if (!(cause instanceof AuthFailure failure)) {
            log.error(
                    "{} {}: authentication failed unexpectedly",
                    ctx.request().method(),
                    ctx.request().path(),
                    cause);
            JsonReply.error(ctx, 500, "authentication failed unexpectedly; the server log has the details");
            return;
        }
        // Neither the credential nor a part of it is logged: only what was wrong with it.
        log.debug("{} {}: 401: {}", ctx.request().method(), ctx.request().path(), failure.getMessage());
        ctx.response().putHeader("WWW-Authenticate", failure.challenge());
        if (RegistryEndpoint.isUnder(ctx.request().path())) {
            RegistryReply.error(ctx, 401, 401, failure.getMessage());
        } else {
            JsonReply.error(ctx, 401, failure.getMessage());
        }
    }

    private static void forbid(RoutingContext ctx, String message) {
        if (RegistryEndpoint.isUnder(ctx.request().path())) {
            RegistryReply.error(ctx, 403, 403, message);
        } else {
            JsonReply.error(ctx, 403, message);
        }
    }

    private static String what(Permission permission) {
        return switch (permission) {
            case READ_SESSION -> "read sessions";
            case WRITE_SESSION -> "post turns or send session commands (read-only access)";
            case LIST_TOOLS -> "list tools";
            case LIST_WORKERS -> "list the worker pools (operators only)";
            case SCRAPE_METRICS -> "read the metrics (operators only)";
            case READ_SCHEMAS -> "read schemas";
            case REGISTER_SCHEMAS -> "register schemas (operators only)";
        };
    }
}
