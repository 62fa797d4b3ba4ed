package dev.skein.adapters.a2a;

/** The remote agent answered with an error, or with something Skein cannot read. */
final class A2aException extends Exception {

    private final boolean retryable;

    A2aException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    /** A failure the client already repeated as often as it may: final, naming the requests made. */
    static A2aException spent(String message, int requests) {
        return new A2aException(
                message + (requests > 1 ? " (" + dev.skein.adapters.RetryBudget.requests(requests) + ")" : ""), false);
    }

    /** True when asking again later may succeed (rate limit, server error, connection lost). */
    boolean retryable() {
        return retryable;
    }
}
