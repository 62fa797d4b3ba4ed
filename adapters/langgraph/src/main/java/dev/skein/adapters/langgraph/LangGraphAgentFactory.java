package dev.skein.adapters.langgraph;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

/**
 * Builds {@link LangGraphAgent}s, kind {@value #KIND}. Options:
 * <ul>
 *   <li>{@code base-url} (required): the Agent Server, e.g. {@code http://localhost:2024};</li>
 *   <li>{@code assistant-id} (required): the assistant or graph id to run, e.g. {@code agent};</li>
 *   <li>{@code api-key-env} (default {@value #DEFAULT_API_KEY_ENV}): the environment variable
 *       holding the key sent as {@code x-api-key}; when the default variable is unset no key is
 *       sent (local servers), when a variable named here is unset the agent is refused;</li>
 *   <li>{@code max-retries} (default {@value #DEFAULT_MAX_RETRIES}): how often a request the
 *       server refused without acting on it (429, 503, connection refused) is repeated.</li>
 * </ul>
 * One request, a blocking run included, may take the agent's timeout.
 */
public final class LangGraphAgentFactory implements AgentAdapterFactory {

    public static final String KIND = "langgraph";
    static final String DEFAULT_API_KEY_ENV = "LANGSMITH_API_KEY";
    static final int DEFAULT_MAX_RETRIES = 2;

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        URI baseUrl = httpUrl(spec, "base-url");
        String assistantId = spec.required("assistant-id");
        String keyVariable = spec.option("api-key-env").orElse(DEFAULT_API_KEY_ENV);
        String apiKey = environment.get(keyVariable);
        // A local server (langgraph dev) needs no key, so the default variable may be unset; one
        // named on purpose must be there.
        if (spec.option("api-key-env").isPresent() && (apiKey == null || apiKey.isBlank())) {
            throw new IllegalArgumentException("agent " + spec.name() + ": the environment variable " + keyVariable
                    + " named by api-key-env is not set");
        }
        int maxRetries = maxRetries(spec);
        ObjectMapper json = new ObjectMapper();
        AgentServerClient server = new AgentServerClient(baseUrl, apiKey == null || apiKey.isBlank() ? null : apiKey,
                spec.timeout(), maxRetries, json);
        return new LangGraphAgent(spec, assistantId, server, json);
    }

    private static URI httpUrl(AgentSpec spec, String key) {
        String value = spec.required(key);
        try {
            URI uri = new URI(value);
            if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("agent " + spec.name() + ": " + key + " must be an http(s) URL, got '" + value + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("agent " + spec.name() + ": " + key + " is not a URL: '" + value + "'", e);
        }
    }

    private static int maxRetries(AgentSpec spec) {
        String value = spec.option("max-retries").orElse(String.valueOf(DEFAULT_MAX_RETRIES));
        try {
            int retries = Integer.parseInt(value.trim());
            if (retries < 0) {
                throw new NumberFormatException("negative");
            }
            return retries;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("agent " + spec.name() + ": max-retries must be a whole number of 0 or more, got '"
                    + value + "'", e);
        }
    }
}
