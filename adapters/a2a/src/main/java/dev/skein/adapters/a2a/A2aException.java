package dev.skein.adapters.a2a;

/** The remote agent answered with an error, or with something Skein cannot read. */
final class A2aException extends Exception {

    /** JSON-RPC's code for a task id the agent does not know (A2A's TaskNotFoundError). */
    static final int TASK_NOT_FOUND = -32001;
    /** JSON-RPC's invalid params: what the A2A SDKs answer for a message to a task in a terminal state. */
    static final int INVALID_PARAMS = -32602;
    /** A2A's UnsupportedOperationError: what a 1.0 agent answers for a message to a task in a terminal state. */
    static final int UNSUPPORTED_OPERATION = -32004;

    private final boolean retryable;
    private final int code;

    A2aException(String message, boolean retryable) {
        this(message, retryable, 0);
    }

    /** @param code the JSON-RPC error code the agent answered with, 0 when it answered none */
    A2aException(String message, boolean retryable, int code) {
        super(message);
        this.retryable = retryable;
        this.code = code;
    }

    /** A failure the client already repeated as often as it may: final, naming the requests made. */
    static A2aException spent(String message, int requests) {
        return new A2aException(
                message + (requests > 1 ? " (" + dev.skein.adapters.RetryBudget.requests(requests) + ")" : ""), false);
    }

    /**
     * True when the agent refused to continue the task a message named: it does not know the
     * task (expired, another deployment), or the task is over. The agent did not act on the
     * message, so it may be sent again as a new task.
     */
    boolean taskCannotContinue() {
        return code == TASK_NOT_FOUND || code == INVALID_PARAMS || code == UNSUPPORTED_OPERATION;
    }

    /** True when asking again later may succeed (rate limit, server error, connection lost). */
    boolean retryable() {
        return retryable;
    }
}
