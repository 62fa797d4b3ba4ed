package dev.skein.adapters;

import dev.skein.events.AgentInvocation;

/**
 * One retry budget per step: a failure is repeated by one layer, never by both. What an
 * adapter's client repeats itself ({@code max-retries}, with backoff) is final once that client
 * gives up, so the session does not ask again and multiply the requests; what the client does not
 * repeat, and may pass, goes back to the session as retryable, whose attempts
 * ({@code skein.session.max-agent-attempts}) then send one request each. A request the agent may
 * have acted on (a timeout after it was sent to an A2A agent) is repeated by neither.
 *
 * <p>The failure's message says how many requests the step made when there was more than one,
 * so that the session's "(gave up after N attempts)" is read with the real count.
 */
public final class RetryBudget {

    private RetryBudget() {}

    /**
     * A failure the adapter's own client already repeated as often as it may: final.
     *
     * @param requests the requests this invocation made for it
     */
    public static AgentReply.Failure spent(String message, int requests) {
        return new AgentReply.Failure(message + (requests > 1 ? " (" + requests(requests) + ")" : ""), false);
    }

    /**
     * A failure the adapter did not repeat and that may pass: the session may ask again. Each
     * attempt made one request (an earlier attempt that ended this way made exactly one), so the
     * step has made {@code attempt} requests.
     */
    public static AgentReply.Failure askAgain(String message, AgentInvocation invocation) {
        int attempt = Math.max(1, invocation.getAttempt());
        return new AgentReply.Failure(
                message + (attempt > 1 ? " (" + requests(attempt) + " in " + attempt + " attempts)" : ""), true);
    }

    /** {@code "1 request"}, {@code "3 requests"}. */
    public static String requests(int count) {
        return count + (count == 1 ? " request" : " requests");
    }
}
