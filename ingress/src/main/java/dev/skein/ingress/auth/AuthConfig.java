package dev.skein.ingress.auth;

import java.util.List;

/**
 * Whether and how requests are authenticated ({@code skein.auth}).
 *
 * @param enabled               off: every request is an operator's, the tenant from the tenant header
 *                              (the single-user local default)
 * @param allowUnauthenticated  serve a non-loopback address with authentication off; without it the
 *                              ingress refuses to start there
 * @param keys                  API keys from the configuration
 * @param keysTopic             also accept the keys of the compacted keys topic ({@code skein keys add})
 * @param jwt                   how bearer tokens are checked; null: no tokens, API keys only
 */
public record AuthConfig(
        boolean enabled, boolean allowUnauthenticated, List<StoredKey> keys, boolean keysTopic, JwtSettings jwt) {

    /** Authentication off; only a loopback address may be served. */
    public static final AuthConfig OFF = new AuthConfig(false, false, List.of(), false, null);

    public AuthConfig {
        keys = keys == null ? List.of() : List.copyOf(keys);
        if (keys.stream().map(StoredKey::id).distinct().count() != keys.size()) {
            throw new IllegalArgumentException("skein.auth.api-keys names a key id twice");
        }
        if (enabled && keys.isEmpty() && !keysTopic && jwt == null) {
            throw new IllegalArgumentException("skein.auth.enabled is true, but no credential could ever pass:"
                    + " configure skein.auth.api-keys, skein.auth.api-keys-topic or skein.auth.jwt");
        }
    }
}
