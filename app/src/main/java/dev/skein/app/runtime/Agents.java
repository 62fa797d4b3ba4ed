package dev.skein.app.runtime;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Builds the configured agents with the adapter factories found on the class path. */
final class Agents {

    private Agents() {}

    /**
     * @param specs the configured agents
     * @param inCode agents built in code (tests, embedding applications); their names must not
     *     repeat a configured one
     */
    static List<AgentAdapter> build(List<AgentSpec> specs, List<AgentAdapter> inCode, Map<String, String> environment) {
        Map<String, AgentAdapterFactory> factories = new TreeMap<>();
        for (AgentAdapterFactory factory : ServiceLoader.load(AgentAdapterFactory.class)) {
            factories.put(factory.kind(), factory);
        }
        List<AgentAdapter> agents = new ArrayList<>(inCode);
        for (AgentSpec spec : specs) {
            if (inCode.stream().anyMatch(a -> a.name().equals(spec.name()))) {
                throw new IllegalArgumentException("agent " + spec.name() + " is both configured and built in code");
            }
            AgentAdapterFactory factory = factories.get(spec.kind());
            if (factory == null) {
                throw new IllegalArgumentException("agent " + spec.name() + " has kind '" + spec.kind()
                        + "', which no adapter on the class path provides (kinds: " + factories.keySet() + ")");
            }
            agents.add(factory.create(spec, environment));
        }
        return agents;
    }
}
