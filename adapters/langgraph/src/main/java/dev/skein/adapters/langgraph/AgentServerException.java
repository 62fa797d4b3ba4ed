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

    /** A failure the client already repeated as often as it may: final, naming the requests made. */
    static AgentServerException spent(String message, int requests) {
        return new AgentServerException(
                message + (requests > 1 ? " (" + dev.skein.adapters.RetryBudget.requests(requests) + ")" : ""), false);
    }

    /** True when asking again later may succeed (rate limit, server error, connection lost). */
    boolean retryable() {
        return retryable;
    }
}
