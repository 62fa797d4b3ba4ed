package dev.skein.adapters;

import dev.skein.events.AgentInvocation;

/**
 * One agent framework or model behind Skein. Given the bounded context window and the tools the
 * session may use, an adapter decides the next step: a final answer, tool calls, or a failure.
 *
 * <p>Adapters never execute tools themselves: Skein runs every call on its worker pools, so calls
 * are durable, scheduled and observable. An adapter may be slow (it usually waits on a model); the
 * runner calls it on a virtual thread, bounds it with a timeout and interrupts it when that passes.
 * The same invocation may be delivered again after a crash, so an adapter must not keep state
 * between calls that changes its answer.
 */
public interface AgentAdapter {

    /** The name sessions use to pick this agent, e.g. {@code demo}. */
    String name();

    /**
     * Decides the next step of a turn.
     *
     * @param invocation the turn's context window and available tools
     * @param deltas where to stream text as it is produced (may be called from this thread only)
     * @return the decision; never null
     * @throws java.io.IOException when the model could not be reached (the runner marks it retryable)
     * @throws Exception any other failure, reported to the session as a non-retryable error
     */
    AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws Exception;

    /**
     * Whether a step that ran past its timeout may be asked again. True (the default) when the
     * agent cannot have acted on a request it did not answer, as a model call; false when it may
     * have, as an A2A agent that received the message: the runner then fails the turn naming the
     * timeout instead of sending the message again.
     */
    default boolean mayRepeatUnanswered() {
        return true;
    }
}
