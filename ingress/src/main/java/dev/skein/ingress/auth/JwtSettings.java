package dev.skein.ingress.auth;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How bearer tokens (JWTs) are checked ({@code skein.auth.jwt}). Every token must be signed by
 * one of the keys (HS256 with the shared secret, or RS256, ES256 and the other algorithms of the
 * JWKS's keys), come from {@code issuer}, name one of {@code audiences} and carry an {@code exp}
 * that has not passed; {@code alg: none} is never accepted.
 *
 * @param issuer      the {@code iss} every token must carry
 * @param audiences   a token's {@code aud} must name at least one
 * @param hs256Secret the shared secret of HS256 tokens; null for none
 * @param jwksFile    a JWKS document ({@code {"keys": [...]}}) on disk; null for none
 * @param jwksUrl     a JWKS document fetched at start and every {@code jwksRefresh}; null for none
 * @param jwksRefresh how often the JWKS URL is fetched again (keys rotate)
 * @param tenantClaim the claim that names the tenant
 * @param rolesClaim  the claim with the roles (a list, or one space-separated string); absent: user
 * @param leeway      clock skew allowed on {@code exp}, {@code nbf} and {@code iat}
 */
public record JwtSettings(
        String issuer,
        List<String> audiences,
        String hs256Secret,
        Path jwksFile,
        URI jwksUrl,
        Duration jwksRefresh,
        String tenantClaim,
        String rolesClaim,
        Duration leeway) {

    /** Shorter than this, an HS256 secret can be guessed offline from one token (RFC 7518 3.2: at least 256 bits). */
    static final int MIN_SECRET_BYTES = 32;

    public JwtSettings {
        if (issuer == null || issuer.isBlank()) {
            throw new IllegalArgumentException("skein.auth.jwt.issuer must be set: tokens from any issuer would pass");
        }
        audiences = audiences == null ? List.of() : List.copyOf(audiences);
        if (audiences.isEmpty() || audiences.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException(
                    "skein.auth.jwt.audiences must name at least one audience: tokens for any service would pass");
        }
        hs256Secret = hs256Secret == null || hs256Secret.isEmpty() ? null : hs256Secret;
        if (hs256Secret != null
                && hs256Secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("skein.auth.jwt.hs256-secret must be at least " + MIN_SECRET_BYTES
                    + " bytes (RFC 7518 3.2); generate one with: openssl rand -base64 48");
        }
        if (hs256Secret == null && jwksFile == null && jwksUrl == null) {
            throw new IllegalArgumentException("skein.auth.jwt needs keys: set hs256-secret, jwks-file or jwks-url");
        }
        if (jwksRefresh == null || jwksRefresh.isNegative() || jwksRefresh.isZero()) {
            throw new IllegalArgumentException("skein.auth.jwt.jwks-refresh must be positive, got " + jwksRefresh);
        }
        if (tenantClaim == null || tenantClaim.isBlank() || rolesClaim == null || rolesClaim.isBlank()) {
            throw new IllegalArgumentException("skein.auth.jwt.tenant-claim and roles-claim must not be blank");
        }
        if (leeway == null || leeway.isNegative()) {
            throw new IllegalArgumentException("skein.auth.jwt.leeway must not be negative, got " + leeway);
        }
    }

    @Override
    public String toString() {
        // Never print the secret (this record is logged and shown in configuration errors).
        return "JwtSettings[issuer=" + issuer + ", audiences=" + audiences + ", hs256Secret="
                + (hs256Secret == null ? "none" : "(set)") + ", jwksFile=" + jwksFile + ", jwksUrl=" + jwksUrl + "]";
    }
}
