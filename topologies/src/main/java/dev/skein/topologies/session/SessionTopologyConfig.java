package dev.skein.topologies.session;

import java.time.Duration;
import java.util.List;

/**
 * What the session state machine needs to know, validated on construction.
 *
 * @param defaultAgent agent for turns that name none and sessions without an active agent
 * @param turnTimeout wall-clock deadline of a turn, from its start, when the turn sets none
 * @param maxQueuedTurns turns a busy session holds before it rejects new ones
 * @param maxSteps agent steps one turn may take before it fails
 * @param maxAgentAttempts invocations of one step when the agent reports a retryable error
 * @param contextMessages messages of history sent to the agent with each invocation
 * @param tiers configured tool tiers; the first is the default
 * @param deadlineCheckInterval how often the wall-clock punctuator looks for due turns
 * @param rememberedTurnIds finished turn ids kept per session to drop duplicates
 */
public record SessionTopologyConfig(
        String defaultAgent,
        Duration turnTimeout,
        int maxQueuedTurns,
        int maxSteps,
        int maxAgentAttempts,
        int contextMessages,
        List<String> tiers,
        Duration deadlineCheckInterval,
        int rememberedTurnIds) {

    public SessionTopologyConfig {
        require(defaultAgent != null && !defaultAgent.isBlank(), "defaultAgent must be set");
        require(turnTimeout.toMillis() > 0, "turnTimeout must be positive");
        require(maxQueuedTurns >= 0, "maxQueuedTurns must be >= 0");
        require(maxSteps >= 1, "maxSteps must be >= 1");
        require(maxAgentAttempts >= 1, "maxAgentAttempts must be >= 1");
        require(contextMessages >= 1, "contextMessages must be >= 1");
        require(tiers != null && !tiers.isEmpty(), "at least one tool tier must be configured");
        require(deadlineCheckInterval.toMillis() > 0, "deadlineCheckInterval must be positive");
        require(rememberedTurnIds >= 1, "rememberedTurnIds must be >= 1");
        tiers = List.copyOf(tiers);
    }

    public static SessionTopologyConfig defaults() {
        return new SessionTopologyConfig("demo", Duration.ofMinutes(2), 16, 10, 3, 50, List.of("small"),
                Duration.ofMillis(500), 64);
    }

    public SessionTopologyConfig withTurnTimeout(Duration timeout) {
        return new SessionTopologyConfig(defaultAgent, timeout, maxQueuedTurns, maxSteps, maxAgentAttempts,
                contextMessages, tiers, deadlineCheckInterval, rememberedTurnIds);
    }

    public SessionTopologyConfig withMaxQueuedTurns(int max) {
        return new SessionTopologyConfig(defaultAgent, turnTimeout, max, maxSteps, maxAgentAttempts,
                contextMessages, tiers, deadlineCheckInterval, rememberedTurnIds);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("session topology: " + message);
        }
    }
}
