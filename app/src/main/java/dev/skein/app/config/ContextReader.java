package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import dev.skein.adapters.AgentSpec;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.context.MemoryShare;
import dev.skein.topologies.context.SummarySettings;
import dev.skein.topologies.context.Tokenizer;
import dev.skein.topologies.session.ExtractionSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads the context budgets ({@code skein.agents.context}, and each agent's own
 * {@code skein.agents.definitions.<name>.context} over it) and the rolling summaries
 * ({@code skein.session.summaries}). See docs/context.md.
 */
final class ContextReader {

    private ContextReader() {}

    static ContextSettings context(Config config, List<AgentSpec> agents) {
        Config defaults = config.getConfig("skein.agents.context");
        // Without memory nothing can be recalled: no share of any budget is kept for it.
        boolean memory = config.getBoolean("skein.memory.enabled");
        ContextBudget fallback = budget(defaults, "", "skein.agents.context", memory);
        Map<String, ContextBudget> byAgent = new LinkedHashMap<>();
        Config definitions = config.getConfig("skein.agents.definitions");
        for (AgentSpec agent : agents) {
            String path = ConfigUtil.quoteString(agent.name()) + ".context";
            Config own = definitions.hasPath(path) ? definitions.getConfig(path) : defaults;
            byAgent.put(
                    agent.name(),
                    budget(
                            own.withFallback(defaults),
                            agent.systemPrompt(),
                            "skein.agents.definitions." + agent.name() + ".context",
                            memory));
        }
        return new ContextSettings(fallback, byAgent, summaries(config, agents));
    }

    private static ContextBudget budget(Config context, String systemPrompt, String where, boolean memory) {
        try {
            MemoryShare share = new MemoryShare(context.getDouble("memory-share"), context.getInt("memory-limit"));
            return new ContextBudget(
                    context.getInt("max-tokens"),
                    context.getInt("reserve-for-answer"),
                    Tokenizer.named(context.getString("tokenizer")),
                    context.getInt("max-tool-result-tokens"),
                    systemPrompt,
                    memory ? share : new MemoryShare(0, share.limit()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(where, e.getMessage());
        }
    }

    /** Adapters that send the remote agent only the newest message: it keeps the conversation itself. */
    private static final Set<String> REMOTE_HISTORY_KINDS = Set.of("a2a", "langgraph");

    private static SummarySettings summaries(Config config, List<AgentSpec> agents) {
        String where = "skein.session.summaries";
        try {
            Config summaries = config.getConfig(where);
            String summarizer = summaries.getString("summarizer").strip();
            if (!summarizer.isEmpty() && agents.stream().noneMatch(a -> a.name().equals(summarizer))) {
                throw new IllegalArgumentException("summarizer '" + summarizer
                        + "' is not an agent of skein.agents.definitions; name one, or leave it empty for the"
                        + " session's own agent");
            }
            return new SummarySettings(
                    summaries.getBoolean("enabled"),
                    summarizer,
                    summaries.getInt("after-messages"),
                    summaries.getDuration("retry-after"),
                    agents.stream()
                            .filter(a -> REMOTE_HISTORY_KINDS.contains(a.kind()))
                            .map(AgentSpec::name)
                            .collect(Collectors.toSet()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(where, e.getMessage());
        }
    }

    /** {@code skein.memory.extractor}: memory extraction after each turn; its agent must be defined. */
    static ExtractionSettings extraction(Config config, List<AgentSpec> agents) {
        String where = "skein.memory.extractor";
        try {
            Config extractor = config.getConfig(where);
            String agent = extractor.getString("agent").strip();
            if (!agent.isEmpty() && agents.stream().noneMatch(a -> a.name().equals(agent))) {
                throw new IllegalArgumentException(
                        "extractor agent '" + agent
                                + "' is not an agent of skein.agents.definitions; name one, or leave it empty for no extraction");
            }
            // Such an adapter sends the remote agent the request as a message of the session's own conversation.
            if (agents.stream().anyMatch(a -> a.name().equals(agent) && REMOTE_HISTORY_KINDS.contains(a.kind()))) {
                throw new IllegalArgumentException("extractor agent '" + agent + "' is of a kind that keeps the"
                        + " session's conversation itself (" + String.join(", ", REMOTE_HISTORY_KINDS)
                        + "); an extraction request would become part of it. Name a model agent");
            }
            return new ExtractionSettings(
                    agent,
                    Set.copyOf(extractor.getStringList("agents")),
                    extractor.getInt("max-memories"),
                    extractor.getDuration("timeout"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(where, e.getMessage());
        }
    }
}
