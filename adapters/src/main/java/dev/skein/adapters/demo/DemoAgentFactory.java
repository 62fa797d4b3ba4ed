package dev.skein.adapters.demo;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.util.Map;

/** Kind {@code demo}: the deterministic agent that needs no model. */
public final class DemoAgentFactory implements AgentAdapterFactory {

    @Override
    public String kind() {
        return "demo";
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        return new DemoAgent(spec.name());
    }
}
