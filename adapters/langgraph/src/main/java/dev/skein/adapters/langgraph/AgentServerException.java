package dev.skein.adapters.langgraph;

/**
 * The Agent Server answered with an error, or with something Skein cannot read.
 *
 * @see AgentServerClient
 */
final class AgentServerException extends Exception {

    private final boolean retryable;

    AgentServerException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    /** True when asking again later may succeed (rate limit, server error, connection lost). */
    boolean retryable() {
        return retryable;
    }
}
