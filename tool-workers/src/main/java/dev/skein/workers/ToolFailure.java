package dev.skein.workers;

/**
 * A tool's error meant for the agent: the message is what the agent reads, so it should say what
 * was wrong with the call and, where it can, how to call it instead.
 *
 * <p>A failure is final unless created with {@link #retryable}: then the worker runs the call
 * again under the tool's {@link Retry} (its attempts and backoff) even when {@code retryOn} does
 * not name it, e.g. for a service that answered "busy".
 */
public class ToolFailure extends Exception {

    private final boolean retryable;

    public ToolFailure(String message) {
        this(message, null, false);
    }

    public ToolFailure(String message, Throwable cause) {
        this(message, cause, false);
    }

    protected ToolFailure(String message, Throwable cause, boolean retryable) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** A failure that may go away when the call is tried again. */
    public static ToolFailure retryable(String message) {
        return new ToolFailure(message, null, true);
    }

    /** A failure that may go away when the call is tried again, caused by {@code cause}. */
    public static ToolFailure retryable(String message, Throwable cause) {
        return new ToolFailure(message, cause, true);
    }

    public boolean isRetryable() {
        return retryable;
    }
}
