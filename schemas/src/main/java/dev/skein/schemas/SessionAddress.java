package dev.skein.schemas;

import java.util.regex.Pattern;

/**
 * The key of every session-scoped topic: {@code <tenant>/<session-id>}, each part matching
 * {@code [A-Za-z0-9._-]{1,128}}.
 */
public record SessionAddress(String tenant, String sessionId) {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    public SessionAddress {
        requireValid("tenant", tenant);
        requireValid("session id", sessionId);
    }

    /** Parses {@code tenant/session}; throws {@link IllegalArgumentException} saying what is wrong. */
    public static SessionAddress parse(String address) {
        if (address == null) {
            throw new IllegalArgumentException("session address is missing");
        }
        int slash = address.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(
                    "session address " + ClientText.quote(address) + " must be <tenant>/<session-id>");
        }
        return new SessionAddress(address.substring(0, slash), address.substring(slash + 1));
    }

    /**
     * The address of {@code tenant}'s session {@code sessionId} as topics key it, without
     * validating the parts: for events whose address was validated when the session was first
     * addressed, so that a consumer writes back under exactly the key it read.
     */
    public static String key(String tenant, String sessionId) {
        return tenant + "/" + sessionId;
    }

    /** True when {@code part} is a valid tenant or session id. */
    public static boolean isValidPart(String part) {
        return part != null && PART.matcher(part).matches();
    }

    private static void requireValid(String what, String value) {
        if (!isValidPart(value)) {
            throw new IllegalArgumentException(what + " " + ClientText.quote(value)
                    + " is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        }
    }

    @Override
    public String toString() {
        return key(tenant, sessionId);
    }
}
