package dev.skein.adapters.a2a;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Builds {@link A2aAgent}s, kind {@value #KIND}. Options:
 * <ul>
 *   <li>{@code card-url} or {@code base-url} (one of them is required): the agent card's URL, or
 *       the agent's base URL under which the card is discovered;</li>
 *   <li>{@code api-key-env} (no default): the environment variable holding a token sent as
 *       {@code Authorization: Bearer <token>}; no header when unset;</li>
 *   <li>{@code blocking} (default true): {@code configuration.blocking} of {@code message/send};
 *       with false the adapter polls the task until it settles;</li>
 *   <li>{@code streaming} (default true): use {@code message/stream} when the card offers it;</li>
 *   <li>{@code max-retries} (default {@value #DEFAULT_MAX_RETRIES}): how often a request the agent
 *       refused without acting on it (429, 503, connection refused) is repeated.</li>
 * </ul>
 */
public final class A2aAgentFactory implements AgentAdapterFactory {

    public static final String KIND = "a2a";
    static final int DEFAULT_MAX_RETRIES = 2;

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        Optional<String> cardUrl = spec.option("card-url");
        Optional<String> baseUrl = spec.option("base-url");
        if (cardUrl.isEmpty() && baseUrl.isEmpty()) {
            throw new IllegalArgumentException("agent " + spec.name() + " (a2a) needs skein.agents.definitions." + spec.name()
                    + ".card-url or skein.agents.definitions." + spec.name() + ".base-url");
        }
        A2aAgent.CardSource source = cardUrl.isPresent()
                ? new A2aAgent.CardSource(httpUrl(spec, "card-url", cardUrl.get()), null)
                : new A2aAgent.CardSource(null, httpUrl(spec, "base-url", baseUrl.get()).toString().replaceAll("/+$", ""));
        String apiKey = spec.option("api-key-env").map(environment::get).filter(key -> !key.isBlank()).orElse(null);
        if (spec.option("api-key-env").isPresent() && apiKey == null) {
            throw new IllegalArgumentException("agent " + spec.name() + ": the environment variable "
                    + spec.option("api-key-env").get() + " named by api-key-env is not set");
        }
        ObjectMapper json = new ObjectMapper();
        A2aClient client = new A2aClient(apiKey, spec.timeout(), maxRetries(spec), json);
        return new A2aAgent(spec, source, client, flag(spec, "blocking"), flag(spec, "streaming"), json);
    }

    private static URI httpUrl(AgentSpec spec, String key, String value) {
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

    private static boolean flag(AgentSpec spec, String key) {
        String value = spec.option(key).orElse("true").trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("agent " + spec.name() + ": " + key + " must be true or false, got '"
                    + value + "'");
        };
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
