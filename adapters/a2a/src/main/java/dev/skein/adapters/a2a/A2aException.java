package dev.skein.adapters.a2a;

/** The remote agent answered with an error, or with something Skein cannot read. */
final class A2aException extends Exception {

    private final boolean retryable;

    A2aException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    /** True when asking again later may succeed (rate limit, server error, connection lost). */
    boolean retryable() {
        return retryable;
    }
}
