package dev.skein.ingress.auth;

/**
 * A request whose credential is missing or does not pass: answered 401 with
 * {@code WWW-Authenticate} and {@code {"error": message}}. The message says what is wrong with the
 * credential and never repeats it. Carries no stack trace: it is an answer, not a bug.
 */
public final class AuthFailure extends RuntimeException {

    private final boolean credentialGiven;

    AuthFailure(String message, boolean credentialGiven) {
        super(message, null, false, false);
        this.credentialGiven = credentialGiven;
    }

    static AuthFailure missing(String message) {
        return new AuthFailure(message, false);
    }

    static AuthFailure invalid(String message) {
        return new AuthFailure(message, true);
    }

    /** The {@code WWW-Authenticate} challenge (RFC 6750 3: {@code invalid_token} when a credential was given). */
    public String challenge() {
        return credentialGiven
                ? "Bearer realm=\"skein\", error=\"invalid_token\", error_description=\""
                        + getMessage().replace('"', '\'') + "\""
                : "Bearer realm=\"skein\"";
    }
}
