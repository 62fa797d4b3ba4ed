package dev.skein.topologies.context;

import java.util.Map;

/**
 * How the session topology builds context windows: each agent's budget (the agents not listed get
 * {@code defaults}), and rolling summaries.
 *
 * @param defaults the budget of an agent without one of its own ({@code skein.agents.context})
 * @param byAgent budgets by agent name, each with the agent's system prompt
 * @param summaries when and by whom older history is summarized
 */
public record ContextSettings(ContextBudget defaults, Map<String, ContextBudget> byAgent, SummarySettings summaries) {

    /** A large budget, estimated tokens, no summaries: the window is bounded by its message count alone. */
    public static final ContextSettings UNBOUNDED = new ContextSettings(
            new ContextBudget(1_000_000, 4_096, Tokenizer.ESTIMATE, 100_000, ""), Map.of(), SummarySettings.OFF);

    public ContextSettings {
        if (defaults == null || summaries == null) {
            throw new IllegalArgumentException("context settings need defaults and summary settings");
        }
        byAgent = Map.copyOf(byAgent);
    }

    /** The budget of {@code agent}. */
    public ContextBudget budgetOf(String agent) {
        return byAgent.getOrDefault(agent, defaults);
    }
}
