package dev.skein.adapters.langgraph;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.net.URI;
import java.util.Map;

/**
 * Builds {@link LangGraphAgent}s, kind {@value #KIND}. Options:
 * <ul>
 *   <li>{@code base-url} (required): the Agent Server, e.g. {@code http://localhost:2024};</li>
 *   <li>{@code assistant-id} (required): the assistant or graph id to run, e.g. {@code agent};</li>
 *   <li>{@code api-key-env} (default {@value #DEFAULT_API_KEY_ENV}): the environment variable
 *       holding the key sent as {@code x-api-key}; when the default variable is unset no key is
 *       sent (local servers), when a variable named here is unset the agent is refused;</li>
 *   <li>{@code max-retries} (default {@value AgentSpec#DEFAULT_MAX_RETRIES}): how often a request the
 *       server refused without acting on it (429, 503, connection refused) is repeated;</li>
 *   <li>{@code resume-format} (default {@code tool-results-object}): the shape of the value a
 *       tool interrupt is resumed with, {@code {"tool_results": [...]}} or, with
 *       {@code tool-messages-list}, the list alone ({@link ResumeFormat}).</li>
 * </ul>
 * One request, a blocking run included, may take the agent's timeout.
 */
public final class LangGraphAgentFactory implements AgentAdapterFactory {

    public static final String KIND = "langgraph";
    static final String DEFAULT_API_KEY_ENV = "LANGSMITH_API_KEY";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        URI baseUrl = spec.httpUrl("base-url");
        String assistantId = spec.required("assistant-id");
        // A local server (langgraph dev) needs no key, so the default variable may be unset; one
        // named on purpose must be there.
        String apiKey = spec.apiKey(environment, DEFAULT_API_KEY_ENV).orElse(null);
        ObjectMapper json = new ObjectMapper();
        AgentServerClient server = new AgentServerClient(baseUrl, apiKey, spec.timeout(), spec.maxRetries(), json);
        return new LangGraphAgent(spec, assistantId, server, json, ResumeFormat.of(spec));
    }
}
