package dev.skein.adapters;

import java.util.Map;

/**
 * Builds adapters of one kind from their configuration; found by {@link java.util.ServiceLoader}
 * (META-INF/services/dev.skein.adapters.AgentAdapterFactory), so a new framework plugs in by
 * adding a jar.
 */
public interface AgentAdapterFactory {

    /** The kind this factory builds, as named in configuration, e.g. {@code openai}. */
    String kind();

    /**
     * @param spec the agent's configuration
     * @param environment where credentials are read from (the process environment in production)
     * @throws IllegalArgumentException when the configuration is incomplete or wrong: say which key
     */
    AgentAdapter create(AgentSpec spec, Map<String, String> environment);
}
