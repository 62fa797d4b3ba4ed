package dev.skein.topologies.context;

import java.time.Duration;
import java.util.Set;

/**
 * Rolling summaries ({@code skein.session.summaries}).
 *
 * @param enabled whether sessions are summarized at all
 * @param summarizer the agent that writes summaries; blank for the agent of the turn that triggers one
 * @param afterMessages how many messages may fall outside the context window, unsummarized, before a
 *     summary of them is asked for
 * @param retryAfter how long a summary request may go unanswered (or stay failed) before it is asked again
 * @param unsummarized agents whose sessions are never summarized: those whose adapters send the remote
 *     agent only the newest message (a2a, langgraph), since it keeps the conversation itself
 */
public record SummarySettings(
        boolean enabled, String summarizer, int afterMessages, Duration retryAfter, Set<String> unsummarized) {

    public static final SummarySettings OFF = new SummarySettings(false, "", 1, Duration.ofMinutes(1), Set.of());

    public SummarySettings {
        summarizer = summarizer == null ? "" : summarizer.strip();
        unsummarized = Set.copyOf(unsummarized);
        if (afterMessages < 1) {
            throw new IllegalArgumentException("summaries after-messages must be >= 1, got " + afterMessages);
        }
        if (retryAfter == null || retryAfter.toMillis() <= 0) {
            throw new IllegalArgumentException("summaries retry-after must be positive");
        }
    }

    /** Whether turns of {@code turnAgent} leave history to summarize. */
    public boolean summarizes(String turnAgent) {
        return enabled && !unsummarized.contains(turnAgent);
    }

    /** The agent that summarizes a session whose turn runs {@code turnAgent}. */
    public String summarizerFor(String turnAgent) {
        return summarizer.isEmpty() ? turnAgent : summarizer;
    }
}
