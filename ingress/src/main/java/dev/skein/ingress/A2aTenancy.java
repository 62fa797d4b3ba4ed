package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * A2A 1.0 multi-tenancy ({@code tenant} in every request, and the HTTP+JSON binding's optional
 * {@code /{tenant}/...} path prefix) on Skein's tenants. With authentication on, the tenant is the
 * credential's (or the one an operator names in the tenant header, as on {@code /v1}): a request
 * may repeat it, and one that names another is refused with 403 ({@code PERMISSION_DENIED}), so a
 * credential can never reach another tenant's tasks by naming it. With authentication off, the
 * caller is an anonymous operator, as on {@code /v1}: a named tenant is used, else the default one.
 */
final class A2aTenancy {

    static final String PATH_TENANT = "tenant";

    private A2aTenancy() {}

    /**
     * Applies the tenant named by the path prefix and the request's {@code tenant} field (either may
     * be absent; when both are given they must agree).
     *
     * @throws A2aError 400 for an invalid or contradictory tenant, 403 for another tenant than the credential's
     */
    static void resolve(RoutingContext ctx, JsonObject params) {
        String fromPath = blankToNull(ctx.pathParam(PATH_TENANT));
        Object field = params == null ? null : params.getValue("tenant");
        if (field != null && !(field instanceof String)) {
            throw A2aError.invalidParams("'tenant' must be a string");
        }
        String fromBody = blankToNull((String) field);
        if (fromPath != null && fromBody != null && !fromPath.equals(fromBody)) {
            throw A2aError.invalidParams("the path names tenant " + ClientText.quote(fromPath)
                    + " and the request's tenant field " + ClientText.quote(fromBody) + "; name one tenant");
        }
        String named = fromPath != null ? fromPath : fromBody;
        if (named == null) {
            return;
        }
        if (!SessionAddress.isValidPart(named)) {
            throw A2aError.invalidParams("tenant " + ClientText.quote(named)
                    + " is not a valid tenant id: 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        }
        Caller caller = Caller.of(ctx);
        if (caller.tenant().equals(named)) {
            return;
        }
        if (caller.credential() == Caller.Credential.NONE) {
            caller.actingFor(named).attachTo(ctx);
            return;
        }
        throw A2aError.http(
                403,
                "tenant " + ClientText.quote(named) + " is not this credential's tenant ('" + caller.tenant()
                        + "'): the tenant is"
                        + " the credential's, so name it or leave the field and the path prefix out");
    }

    private static String blankToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }
}
