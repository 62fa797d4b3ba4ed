package dev.skein.topologies.context;

/**
 * One agent's context budget ({@code skein.agents.definitions.<name>.context}, defaults in
 * {@code skein.agents.context}): what its model's window holds and how Skein fills it.
 *
 * @param maxTokens the model's context window: everything sent plus the answer
 * @param reserveForAnswer tokens left free for the model's answer
 * @param tokenizer how this agent's tokens are counted
 * @param maxToolResultTokens a tool result longer than this is truncated in the context (never in the history)
 * @param systemPrompt the agent's system prompt, which its adapter prepends: counted, never cut
 * @param memory the share of the input tokens kept for recalled long-term memories
 */
public record ContextBudget(
        int maxTokens,
        int reserveForAnswer,
        Tokenizer tokenizer,
        int maxToolResultTokens,
        String systemPrompt,
        MemoryShare memory) {

    /** A budget that reserves nothing for memories. */
    public ContextBudget(
            int maxTokens, int reserveForAnswer, Tokenizer tokenizer, int maxToolResultTokens, String systemPrompt) {
        this(maxTokens, reserveForAnswer, tokenizer, maxToolResultTokens, systemPrompt, MemoryShare.OFF);
    }

    public ContextBudget {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("context max-tokens must be >= 1, got " + maxTokens);
        }
        if (reserveForAnswer < 0 || reserveForAnswer >= maxTokens) {
            throw new IllegalArgumentException("context reserve-for-answer must be >= 0 and below max-tokens ("
                    + maxTokens + "), got " + reserveForAnswer);
        }
        if (maxToolResultTokens < 1) {
            throw new IllegalArgumentException(
                    "context max-tool-result-tokens must be >= 1, got " + maxToolResultTokens);
        }
        if (tokenizer == null) {
            throw new IllegalArgumentException("context tokenizer must be set");
        }
        systemPrompt = systemPrompt == null ? "" : systemPrompt;
        memory = memory == null ? MemoryShare.OFF : memory;
    }

    /** What an invocation may hold: the window less the answer's reserve. */
    public int inputTokens() {
        return maxTokens - reserveForAnswer;
    }

    /** The tokens kept for recalled memories: {@link MemoryShare#tokensOf} the input tokens. */
    public int memoryTokens() {
        return memory.tokensOf(inputTokens());
    }

    /**
     * The budget the history window is built within: the input tokens less {@link #memoryTokens()},
     * so that the window and the memories the runner adds stay within {@link #inputTokens()}
     * together. Valid because a share is at most {@link MemoryShare#MAX_SHARE}: some input is always left.
     */
    public ContextBudget forHistory() {
        int reserved = memoryTokens();
        return reserved == 0
                ? this
                : new ContextBudget(
                        maxTokens, reserveForAnswer + reserved, tokenizer, maxToolResultTokens, systemPrompt, memory);
    }

    /** The same budget for an agent with another system prompt. */
    public ContextBudget withSystemPrompt(String prompt) {
        return new ContextBudget(maxTokens, reserveForAnswer, tokenizer, maxToolResultTokens, prompt, memory);
    }
}
