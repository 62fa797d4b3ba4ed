package dev.skein.adapters;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An agent as configured by name ({@code skein.agents.definitions.<name>}): which adapter kind
 * runs it, where and how it connects, and how it behaves.
 *
 * @param name how sessions and turns name it
 * @param kind the adapter kind: {@code demo}, {@code openai}, {@code langchain4j}, {@code langgraph}, {@code a2a}
 * @param options kind-specific settings, e.g. {@code base-url}, {@code model}, {@code api-key-env},
 *     {@code provider}, {@code assistant-id}, {@code card-url}, {@code max-tokens}, {@code temperature}
 * @param systemPrompt prepended to every invocation when not blank
 * @param timeout how long one step may take before it fails as retryable
 * @param handoffs agents this one may hand the session to (offered as {@code transfer_to_<name>} tools)
 */
public record AgentSpec(
        String name,
        String kind,
        Map<String, String> options,
        String systemPrompt,
        Duration timeout,
        List<String> handoffs) {

    public AgentSpec {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("agent name '" + name + "' must be 1 to 64 of A-Z a-z 0-9 . _ -");
        }
        if (kind == null || kind.isBlank()) {
            throw new IllegalArgumentException(
                    "agent " + name + " needs a kind (demo, openai, langchain4j, langgraph, a2a)");
        }
        options = Map.copyOf(options);
        systemPrompt = systemPrompt == null ? "" : systemPrompt;
        handoffs = List.copyOf(handoffs);
    }

    /** How often an adapter repeats a failed request when {@code max-retries} is unset. */
    public static final int DEFAULT_MAX_RETRIES = 2;

    /** An agent with no options, system prompt or handoffs (its timeout has no default here: reference.conf's). */
    public static AgentSpec of(String name, String kind, Duration timeout) {
        return new AgentSpec(name, kind, Map.of(), "", timeout, List.of());
    }

    public Optional<String> option(String key) {
        return Optional.ofNullable(options.get(key)).filter(v -> !v.isBlank());
    }

    /** The option, or a clear error naming the key to set. */
    public String required(String key) {
        return option(key)
                .orElseThrow(() -> new IllegalArgumentException(
                        "agent " + name + " (" + kind + ") needs skein.agents.definitions." + name + "." + key));
    }

    /** The option as an {@code http} or {@code https} URL with a host; required. */
    public URI httpUrl(String key) {
        String value = required(key);
        try {
            URI uri = new URI(value);
            if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "agent " + name + ": " + key + " must be an http(s) URL, got '" + value + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("agent " + name + ": " + key + " is not a URL: '" + value + "'", e);
        }
    }

    /** The option as a whole number of 0 or more, e.g. {@code max-retries}; empty when unset. */
    public Optional<Integer> wholeNumber(String key) {
        return option(key).map(value -> {
            try {
                int parsed = Integer.parseInt(value.strip());
                if (parsed < 0) {
                    throw new NumberFormatException("negative");
                }
                return parsed;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "skein.agents.definitions." + name + "." + key + " must be a whole number of 0 or more, got '"
                                + value + "'",
                        e);
            }
        });
    }

    /**
     * The {@code max-retries} option, default {@value #DEFAULT_MAX_RETRIES}: how often the adapter
     * repeats a request that failed in a way it may retry (what that is depends on the adapter).
     */
    public int maxRetries() {
        return wholeNumber("max-retries").orElse(DEFAULT_MAX_RETRIES);
    }

    /**
     * The credential in the environment variable named by the {@code api-key-env} option, else in
     * {@code defaultVariable}. Empty when the default variable (null for none) is unset or blank:
     * a local server needs no key.
     *
     * @throws IllegalArgumentException when a variable named by {@code api-key-env} is unset or blank
     */
    public Optional<String> apiKey(Map<String, String> environment, String defaultVariable) {
        Optional<String> named = option("api-key-env");
        String variable = named.orElse(defaultVariable);
        Optional<String> key =
                Optional.ofNullable(variable).map(environment::get).filter(value -> !value.isBlank());
        if (named.isPresent() && key.isEmpty()) {
            throw apiKeyNotSet(variable);
        }
        return key;
    }

    /** Like {@link #apiKey}, for providers that always need a key: an unset default variable is an error too. */
    public String requiredApiKey(Map<String, String> environment, String defaultVariable) {
        return apiKey(environment, defaultVariable).orElseThrow(() -> apiKeyNotSet(defaultVariable));
    }

    private IllegalArgumentException apiKeyNotSet(String variable) {
        return new IllegalArgumentException("agent " + name + " (" + kind
                + ") reads its API key from the environment variable "
                + variable + ", which is not set; set it, or name another one with skein.agents.definitions." + name
                + ".api-key-env");
    }
}
