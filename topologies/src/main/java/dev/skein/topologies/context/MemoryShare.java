package dev.skein.topologies.context;

/**
 * The part of an agent's input budget kept free for recalled long-term memories
 * ({@code skein.agents.context.memory-share} and {@code memory-limit}; docs/memory.md).
 *
 * @param share the fraction of the input tokens ({@code max-tokens - reserve-for-answer}) reserved; 0: none, the
 *     history window has the whole budget and no memories are recalled
 * @param limit at most this many memories (top-k)
 */
public record MemoryShare(double share, int limit) {

    /** The most of an invocation that memories may take: the rest is for the conversation itself. */
    public static final double MAX_SHARE = 0.5;

    /** The most memories one invocation recalls: the recall tool's own limit. */
    public static final int MAX_LIMIT = 50;

    /** Nothing reserved, nothing recalled. */
    public static final MemoryShare OFF = new MemoryShare(0, 5);

    public MemoryShare {
        if (!(share >= 0 && share <= MAX_SHARE)) {
            throw new IllegalArgumentException(
                    "context memory-share must be between 0 and " + MAX_SHARE + ", got " + share);
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException(
                    "context memory-limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
    }

    /** The tokens reserved out of {@code inputTokens}, rounded down. */
    public int tokensOf(int inputTokens) {
        return (int) Math.floor(inputTokens * share);
    }
}
