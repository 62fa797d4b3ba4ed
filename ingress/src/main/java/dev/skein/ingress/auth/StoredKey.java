package dev.skein.ingress.auth;

import dev.skein.schemas.SessionAddress;
import java.util.HexFormat;
import java.util.Set;

/**
 * What Skein keeps of an API key: its id, the SHA-256 of its text, the tenant it acts for and its
 * roles. From the configuration ({@code skein.auth.api-keys}) or the keys topic.
 *
 * @param tenant null only for an operator key: it acts for the tenant the request names, or the default
 */
public record StoredKey(String id, String sha256, String tenant, Set<Role> roles, String description) {

    public StoredKey {
        if (!ApiKeys.isId(id)) {
            throw new IllegalArgumentException("key id '" + id + "' is invalid: 12 of the characters a-z 0-9");
        }
        if (sha256 == null || sha256.length() != 64 || !isHex(sha256)) {
            throw new IllegalArgumentException(
                    "key " + id + ": sha256 must be 64 lower-case hex digits (skein keys hash prints it)");
        }
        if (roles == null || roles.isEmpty()) {
            throw new IllegalArgumentException("key " + id + " has no role: give operator, user or reader");
        }
        roles = Set.copyOf(roles);
        if (tenant == null && !roles.contains(Role.OPERATOR)) {
            throw new IllegalArgumentException("key " + id + " has no tenant: only an operator key may have none");
        }
        if (tenant != null && !SessionAddress.isValidPart(tenant)) {
            throw new IllegalArgumentException(
                    "key " + id + ": tenant '" + tenant + "' is invalid: 1 to 128 of A-Z a-z 0-9 . _ -");
        }
    }

    private static boolean isHex(String text) {
        try {
            HexFormat.of().parseHex(text);
            return text.equals(text.toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
