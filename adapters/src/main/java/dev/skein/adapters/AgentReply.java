package dev.skein.adapters;

import java.util.List;
import java.util.Objects;

/** What an {@link AgentAdapter} decided for one step. */
public sealed interface AgentReply {

    /** Tokens the provider reports for one step; either may be null when it reports none. */
    record Usage(Long inputTokens, Long outputTokens) {
        public static final Usage UNKNOWN = new Usage(null, null);
    }

    /** Token usage of this step, as the provider reported it. */
    Usage usage();

    /**
     * The final answer of the turn.
     *
     * @param continuation the adapter's own handle to resume the remote conversation on the next
     *     turn (for {@code a2a}, the id of the task that waits for input), or null. Skein keeps it
     *     on the assistant message and gives it back in later invocations' history; it never reads it.
     * @param awaitingInput true when the answer asks the user for input and the agent continues
     *     with the next turn's message; shown on the history message and the turn's completion
     */
    record Answer(String content, Usage usage, String continuation, boolean awaitingInput) implements AgentReply {
        public Answer {
            Objects.requireNonNull(content, "answer content must not be null (use an empty string)");
            usage = usage == null ? Usage.UNKNOWN : usage;
        }

        public Answer(String content, Usage usage) {
            this(content, usage, null, false);
        }

        public Answer(String content) {
            this(content, Usage.UNKNOWN);
        }

        /** An answer that asks the user for input; {@code continuation} may be null. */
        public static Answer awaitingInput(String content, String continuation) {
            return new Answer(content, Usage.UNKNOWN, continuation, true);
        }
    }

    /**
     * Hands the session to another agent (the Swarm pattern): the adapter saw its model call the
     * platform tool {@code transfer_to_<agent>} that the runner offered it. The named agent takes
     * this turn's next step and the session's later turns.
     *
     * @param callId the model's id of the transfer call, or null to let the runner assign one
     */
    record Handoff(String callId, String agent, String content, Usage usage) implements AgentReply {
        public Handoff {
            if (agent == null || agent.isBlank()) {
                throw new IllegalArgumentException("a handoff names the agent to hand to");
            }
            usage = usage == null ? Usage.UNKNOWN : usage;
        }
    }

    /**
     * Tools the agent wants Skein to run before it continues.
     *
     * @param content optional text the model produced alongside its calls; may be null
     * @param calls at least one call
     */
    record ToolCalls(String content, List<Call> calls, Usage usage) implements AgentReply {
        public ToolCalls {
            if (calls == null || calls.isEmpty()) {
                throw new IllegalArgumentException("a ToolCalls reply needs at least one call");
            }
            calls = List.copyOf(calls);
            usage = usage == null ? Usage.UNKNOWN : usage;
        }

        public ToolCalls(String content, List<Call> calls) {
            this(content, calls, Usage.UNKNOWN);
        }
    }

    /**
     * One tool call.
     *
     * @param callId the model's id for the call, or null to let the runner assign one
     * @param name the tool's name
     * @param argumentsJson the arguments as a JSON object, exactly as the model produced them
     */
    record Call(String callId, String name, String argumentsJson) {
        public Call {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a tool call needs the name of a tool");
            }
            Objects.requireNonNull(argumentsJson, "argumentsJson must not be null (use \"{}\")");
        }
    }

    /**
     * The agent could not decide.
     *
     * @param message what went wrong, in words a person can act on
     * @param retryable true when asking again later may succeed (rate limit, model unreachable)
     */
    record Failure(String message, boolean retryable) implements AgentReply {
        public Failure {
            Objects.requireNonNull(message, "failure message must not be null");
        }

        @Override
        public Usage usage() {
            return Usage.UNKNOWN;
        }
    }
}
