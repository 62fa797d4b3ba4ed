package dev.skein.workers;

/**
 * A tool's error meant for the agent: the message is what the agent reads, so it should say what
 * was wrong with the call and, where it can, how to call it instead.
 */
public class ToolFailure extends Exception {

    public ToolFailure(String message) {
        super(message);
    }

    public ToolFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
