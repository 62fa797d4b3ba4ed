package dev.skein.topologies.session;

import java.time.Duration;
import java.util.Set;

/**
 * Memory extraction after each turn ({@code skein.memory.extractor}, docs/memory.md).
 *
 * @param agent the extractor agent; blank: no extraction
 * @param turnAgents the agents whose turns are extracted from; empty: every agent's
 * @param maxMemories memories taken from one answer; the rest are left out
 * @param timeout how long an extraction may take, from the request to its last memory written, before it
 *     is given up (and the deadline of its invocation and of its remember calls)
 */
public record ExtractionSettings(String agent, Set<String> turnAgents, int maxMemories, Duration timeout) {

    public static final ExtractionSettings OFF = new ExtractionSettings("", Set.of(), 10, Duration.ofMinutes(2));

    public ExtractionSettings {
        agent = agent == null ? "" : agent.strip();
        turnAgents = Set.copyOf(turnAgents);
        if (maxMemories < 1 || maxMemories > 100) {
            throw new IllegalArgumentException(
                    "skein.memory.extractor.max-memories must be between 1 and 100, got " + maxMemories);
        }
        if (timeout == null || timeout.toMillis() <= 0) {
            throw new IllegalArgumentException("skein.memory.extractor.timeout must be positive");
        }
    }

    public boolean enabled() {
        return !agent.isEmpty();
    }

    /** Whether a completed turn of {@code turnAgent} is extracted from. */
    public boolean extractsFrom(String turnAgent) {
        return enabled() && (turnAgents.isEmpty() || turnAgents.contains(turnAgent));
    }
}
