package dev.skein.ingress.auth;

import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a request's credential into a {@link Caller}: an API key, or a JWT, given as
 * {@code Authorization: Bearer <credential>}; an API key also as the password of
 * {@code Authorization: Basic} (what Confluent's serializers send to a schema registry); and, on
 * WebSocket upgrades only, as the {@code access_token} query parameter (browsers cannot set headers
 * on a WebSocket). Fails with an {@link AuthFailure} (401).
 *
 * <p>The caller's tenant is the credential's; an operator credential without one acts for the
 * default tenant. Choosing another tenant by header is {@code AuthGuard}'s business.
 */
public final class Authenticator {

    private final AuthConfig config;
    private final ApiKeyStore keys;
    private final JwtVerifier jwt;
    private final String defaultTenant;

    /** @param jwt null when tokens are not accepted */
    public Authenticator(AuthConfig config, ApiKeyStore keys, JwtVerifier jwt, String defaultTenant) {
        this.config = config;
        this.keys = keys;
        this.jwt = jwt;
        this.defaultTenant = defaultTenant;
    }

    public boolean enabled() {
        return config.enabled();
    }

    /**
     * @param queryTokenAllowed whether {@code access_token} may carry the credential (WebSocket upgrades)
     */
    public Future<Caller> authenticate(HttpServerRequest request, boolean queryTokenAllowed) {
        return authenticate(
                request.headers().getAll(HttpHeaders.AUTHORIZATION),
                queryTokenAllowed ? request.params().getAll("access_token") : null);
    }

    /**
     * @param headers     the request's {@code Authorization} headers
     * @param queryTokens its {@code access_token} parameters; null where they may not carry a credential
     */
    public Future<Caller> authenticate(List<String> headers, List<String> queryTokens) {
        boolean queryTokenAllowed = queryTokens != null;
        queryTokens = queryTokenAllowed ? queryTokens : List.of();
        if (headers.size() + queryTokens.size() > 1) {
            return Future.failedFuture(AuthFailure.invalid("send exactly one credential (one Authorization header)"));
        }
        String credential;
        try {
            credential = headers.isEmpty()
                    ? (queryTokens.isEmpty() ? null : queryTokens.getFirst())
                    : credentialOf(headers.getFirst());
        } catch (AuthFailure e) {
            return Future.failedFuture(e);
        }
        if (credential == null || credential.isBlank()) {
            return Future.failedFuture(AuthFailure.missing("this server requires a credential: send Authorization:"
                    + " Bearer <API key or token>" + (queryTokenAllowed ? " (or ?access_token= on a WebSocket)" : "")));
        }
        return check(credential.trim());
    }

    /** Whether a caller's credential is still good: not expired, and (an API key) not revoked since. */
    public boolean stillValid(Caller caller, long nowMs) {
        if (caller.credential() == Caller.Credential.API_KEY) {
            return keys.find(caller.subject()).isPresent();
        }
        return nowMs < caller.expiresAtMs();
    }

    private Future<Caller> check(String credential) {
        if (ApiKeys.isKey(credential)) {
            String id = ApiKeys.idOf(credential);
            return keys.find(id)
                    .filter(stored -> ApiKeys.matches(credential, stored.sha256()))
                    .map(stored -> Future.succeededFuture(new Caller(
                            stored.id(),
                            stored.tenant() == null ? defaultTenant : stored.tenant(),
                            stored.roles(),
                            Caller.Credential.API_KEY,
                            Long.MAX_VALUE)))
                    .orElseGet(() -> Future.failedFuture(AuthFailure.invalid("unknown or revoked API key")));
        }
        if (credential.startsWith(ApiKeys.PREFIX)) {
            return Future.failedFuture(
                    AuthFailure.invalid("malformed API key: expected skein_<12 characters>_<64 hex digits>"));
        }
        if (jwt == null) {
            return Future.failedFuture(
                    AuthFailure.invalid("not an API key (skein_...); this server accepts no tokens"));
        }
        long dots = credential.chars().filter(c -> c == '.').count();
        // Two dots for a signed token; one for an unsigned one, which the verifier refuses by name.
        if (dots < 1 || dots > 2) {
            return Future.failedFuture(AuthFailure.invalid(
                    "neither an API key (skein_...) nor a JWT (three" + " base64url parts separated by dots)"));
        }
        return jwt.verify(credential).compose(claims -> {
            try {
                return Future.succeededFuture(callerOf(claims));
            } catch (AuthFailure e) {
                return Future.failedFuture(e);
            }
        });
    }

    private Caller callerOf(JsonObject claims) {
        JwtSettings settings = jwt.settings();
        Set<Role> roles = rolesOf(claims.getValue(settings.rolesClaim()), settings.rolesClaim());
        Object tenantClaim = claims.getValue(settings.tenantClaim());
        String tenant;
        if (tenantClaim == null && roles.contains(Role.OPERATOR)) {
            tenant = defaultTenant;
        } else if (tenantClaim instanceof String text && SessionAddress.isValidPart(text)) {
            tenant = text;
        } else {
            throw AuthFailure.invalid(
                    tenantClaim == null
                            ? "token has no '" + settings.tenantClaim() + "' claim naming its tenant"
                            : "token's '" + settings.tenantClaim()
                                    + "' claim is not a tenant (1 to 128 of A-Z a-z 0-9 . _ -)");
        }
        String subject = claims.getValue("sub") instanceof String sub ? sub : "(no sub)";
        long expiresAtMs = claims.getLong("exp") * 1000 + settings.leeway().toMillis();
        return new Caller(subject, tenant, roles, Caller.Credential.JWT, expiresAtMs);
    }

    /** Skein's roles among a claim's: absent means user; present with none of Skein's is refused. */
    private static Set<Role> rolesOf(Object claim, String name) {
        if (claim == null) {
            return Set.of(Role.USER);
        }
        List<String> texts = new ArrayList<>();
        if (claim instanceof String text) {
            texts.addAll(List.of(text.trim().split("\\s+")));
        } else if (claim instanceof JsonArray array) {
            array.forEach(item -> texts.add(String.valueOf(item)));
        }
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String text : texts) {
            for (Role role : Role.values()) {
                if (role.label().equals(text.toLowerCase(Locale.ROOT))) {
                    roles.add(role);
                }
            }
        }
        if (roles.isEmpty()) {
            throw AuthFailure.invalid("token's '" + name + "' claim names none of the roles operator, user, reader");
        }
        return roles;
    }

    private static String credentialOf(String header) {
        String trimmed = header.trim();
        int space = trimmed.indexOf(' ');
        String scheme = space < 0 ? trimmed : trimmed.substring(0, space);
        String value = space < 0 ? "" : trimmed.substring(space + 1).trim();
        if (scheme.equalsIgnoreCase("Bearer")) {
            return value;
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw AuthFailure.invalid("Basic credentials are not base64");
            }
            int colon = decoded.indexOf(':');
            // The password is the key; the user name is free (Confluent clients need one).
            return colon < 0 ? decoded : decoded.substring(colon + 1);
        }
        throw AuthFailure.invalid(
                "unsupported Authorization scheme " + ClientText.quote(scheme) + ": use Bearer <API key or token>");
    }
}
