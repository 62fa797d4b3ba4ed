package dev.skein.adapters.openai;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.util.Map;

/** Builds {@code kind = openai} agents; options in {@link OpenAiSettings}. */
public final class OpenAiAgentFactory implements AgentAdapterFactory {

    public static final String KIND = "openai";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        return new OpenAiAgent(spec, OpenAiSettings.from(spec, environment));
    }
}
