package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import dev.skein.adapters.AgentSpec;
import dev.skein.ingress.A2aSettings;
import dev.skein.topologies.session.AgentTools;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the agents ({@code skein.agents}, and an {@code openai} agent when only the environment
 * names an OpenAI-compatible endpoint), the default agent, and what of them is served over A2A
 * ({@code skein.a2a}).
 */
final class AgentsReader {

    private AgentsReader() {}

    static String defaultAgent(Config config, Map<String, String> environment) {
        String configured = config.getString("skein.session.default-agent").trim();
        if (!configured.isEmpty()) {
            return configured;
        }
        return openAiFromEnvironment(config, environment) ? OPENAI_FROM_ENVIRONMENT : "demo";
    }

    private static final String OPENAI_FROM_ENVIRONMENT = "openai";

    /** True when the environment names an OpenAI-compatible endpoint and no agent but demo is defined. */
    private static boolean openAiFromEnvironment(Config config, Map<String, String> environment) {
        boolean onlyDemo = config.getObject("skein.agents.definitions").keySet().equals(java.util.Set.of("demo"));
        return onlyDemo && (environment.containsKey("OPENAI_API_KEY") || environment.containsKey("OPENAI_BASE_URL"));
    }

    /** The agents by name, from {@code skein.agents.definitions} (and the environment, see reference.conf). */
    static List<AgentSpec> agents(Config config, Map<String, String> environment) {
        List<AgentSpec> agents = new ArrayList<>();
        Config definitions = config.getConfig("skein.agents.definitions");
        for (String name : new java.util.TreeSet<>(definitions.root().keySet())) {
            String where = "skein.agents.definitions." + name;
            try {
                Config agent = definitions.getConfig(ConfigUtil.quoteString(name));
                Map<String, String> options = new LinkedHashMap<>();
                for (var entry : agent.entrySet()) {
                    String key = entry.getKey();
                    // The context budget is the topology's (ContextReader), not the adapter's.
                    // So are its tools (AgentTools): what the topology offers it.
                    if (!List.of("kind", "system-prompt", "timeout", "handoffs", "tools")
                                    .contains(key)
                            && !key.startsWith("context.")) {
                        options.put(key, String.valueOf(entry.getValue().unwrapped()));
                    }
                }
                agents.add(new AgentSpec(
                        name,
                        agent.getString("kind"),
                        options,
                        agent.hasPath("system-prompt") ? agent.getString("system-prompt") : "",
                        agent.hasPath("timeout")
                                ? agent.getDuration("timeout")
                                : config.getDuration("skein.agents.timeout"),
                        agent.hasPath("handoffs") ? agent.getStringList("handoffs") : List.of()));
            } catch (ConfigException | IllegalArgumentException e) {
                throw new ConfigException.BadValue(where, e.getMessage());
            }
        }
        if (openAiFromEnvironment(config, environment)) {
            agents.add(new AgentSpec(
                    OPENAI_FROM_ENVIRONMENT,
                    "openai",
                    Map.of("model", environment.getOrDefault("OPENAI_MODEL", "gpt-4o-mini")),
                    "",
                    config.getDuration("skein.agents.timeout"),
                    List.of()));
        }
        return agents;
    }

    /** The tools each agent is offered: its own {@code tools} list, else {@code skein.agents.tools}. */
    static AgentTools tools(Config config, List<AgentSpec> agents) {
        Config definitions = config.getConfig("skein.agents.definitions");
        Map<String, List<String>> byAgent = new LinkedHashMap<>();
        for (AgentSpec agent : agents) {
            String path = ConfigUtil.quoteString(agent.name()) + ".tools";
            if (definitions.hasPath(path)) {
                try {
                    byAgent.put(agent.name(), definitions.getStringList(path));
                } catch (ConfigException e) {
                    throw new ConfigException.BadValue(
                            "skein.agents.definitions." + agent.name() + ".tools",
                            "must be a list of tool names or globs, e.g. [calculator, \"mcp_files_*\"]");
                }
            }
        }
        try {
            return new AgentTools(config.getStringList("skein.agents.tools"), byAgent);
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue("skein.agents.tools", e.getMessage());
        }
    }

    /**
     * What is served over A2A 1.0 ({@code skein.a2a}): every agent of {@link #agents()}, the
     * default agent on the well-known card.
     *
     * @throws ConfigException.BadValue naming the key of a bad value
     */
    static A2aSettings a2a(Config config, Map<String, String> environment) {
        String url = config.getString("skein.a2a.public-url").trim();
        Map<String, String> descriptions = new LinkedHashMap<>();
        Config described = config.getConfig("skein.a2a.descriptions");
        for (String name : described.root().keySet()) {
            descriptions.put(name, described.getString(ConfigUtil.quoteString(name)));
        }
        try {
            return new A2aSettings(
                    config.getBoolean("skein.a2a.enabled"),
                    agents(config, environment).stream().map(AgentSpec::name).toList(),
                    defaultAgent(config, environment),
                    url.isEmpty() ? null : URI.create(url),
                    descriptions);
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue("skein.a2a", e.getMessage());
        }
    }
}
