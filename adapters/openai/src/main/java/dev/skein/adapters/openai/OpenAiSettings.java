package dev.skein.adapters.openai;

import dev.skein.adapters.AgentSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How an {@code openai} agent connects and what it asks for, read from its {@link AgentSpec}
 * options ({@code skein.agents.definitions.<name>.<key>}) and the environment.
 *
 * <table>
 * <caption>Options</caption>
 * <tr><th>key</th><th>default</th></tr>
 * <tr><td>base-url</td><td>env {@code OPENAI_BASE_URL}, else {@code https://api.openai.com/v1}</td></tr>
 * <tr><td>model</td><td>env {@code OPENAI_MODEL}; required</td></tr>
 * <tr><td>api-key-env</td><td>{@code OPENAI_API_KEY}: the variable that holds the key (may be unset for local servers)</td></tr>
 * <tr><td>max-tokens</td><td>none: sent as {@code max_tokens}, which every compatible server knows</td></tr>
 * <tr><td>max-completion-tokens</td><td>none: sent as {@code max_completion_tokens}, which OpenAI's reasoning models require</td></tr>
 * <tr><td>temperature</td><td>none (the server's default)</td></tr>
 * <tr><td>stream</td><td>true</td></tr>
 * <tr><td>max-retries</td><td>2: retries of 408, 409, 429, 5xx and connection errors, with backoff</td></tr>
 * </table>
 *
 * @param apiKey absent when the variable named by {@code api-key-env} is unset or blank
 * @param timeout from {@link AgentSpec#timeout()}: bounds each HTTP request, streamed body included
 */
public record OpenAiSettings(
        String baseUrl,
        String model,
        Optional<String> apiKey,
        String apiKeyEnv,
        Long maxTokens,
        Long maxCompletionTokens,
        Double temperature,
        boolean stream,
        int maxRetries,
        Duration timeout) {

    public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
    public static final String BASE_URL_ENV = "OPENAI_BASE_URL";
    public static final String MODEL_ENV = "OPENAI_MODEL";
    public static final String DEFAULT_API_KEY_ENV = "OPENAI_API_KEY";

    public OpenAiSettings {
        requireHttpUrl(baseUrl);
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("max-retries must not be negative, got " + maxRetries);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    /**
     * @throws IllegalArgumentException naming the key to fix when an option is missing or malformed
     */
    public static OpenAiSettings from(AgentSpec spec, Map<String, String> environment) {
        String baseUrl = spec.option("base-url")
                .or(() -> nonBlank(environment.get(BASE_URL_ENV)))
                .orElse(DEFAULT_BASE_URL);
        try {
            requireHttpUrl(baseUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key(spec, "base-url") + ": " + e.getMessage(), e);
        }
        String model = spec.option("model")
                .or(() -> nonBlank(environment.get(MODEL_ENV)))
                .orElseThrow(() -> new IllegalArgumentException("agent " + spec.name() + " (openai) needs "
                        + key(spec, "model") + " (or the environment variable " + MODEL_ENV + ")"));
        String apiKeyEnv = spec.option("api-key-env").orElse(DEFAULT_API_KEY_ENV);
        return new OpenAiSettings(
                baseUrl,
                model,
                nonBlank(environment.get(apiKeyEnv)),
                apiKeyEnv,
                positiveLong(spec, "max-tokens"),
                positiveLong(spec, "max-completion-tokens"),
                temperature(spec),
                bool(spec, "stream", true),
                spec.maxRetries(),
                spec.timeout());
    }

    private static Optional<String> nonBlank(String value) {
        return Optional.ofNullable(value).map(String::strip).filter(v -> !v.isEmpty());
    }

    private static String key(AgentSpec spec, String option) {
        return "skein.agents.definitions." + spec.name() + "." + option;
    }

    private static void requireHttpUrl(String url) {
        if (url == null) {
            throw new IllegalArgumentException("the base URL must not be null");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getMessage(), e);
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
                || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + url + "' is not an http(s) URL such as " + DEFAULT_BASE_URL
                    + " or http://localhost:11434/v1");
        }
    }

    private static Long positiveLong(AgentSpec spec, String option) {
        return spec.option(option)
                .map(v -> {
                    long parsed = parse(spec, option, v, "a positive whole number", Long::parseLong);
                    if (parsed <= 0) {
                        throw new IllegalArgumentException(
                                key(spec, option) + " must be a positive whole number, got '" + v + "'");
                    }
                    return parsed;
                })
                .orElse(null);
    }

    private static Double temperature(AgentSpec spec) {
        return spec.option("temperature")
                .map(v -> {
                    double parsed = parse(spec, "temperature", v, "a number from 0 to 2", Double::parseDouble);
                    if (!(parsed >= 0 && parsed <= 2)) {
                        throw new IllegalArgumentException(
                                key(spec, "temperature") + " must be a number from 0 to 2, got '" + v + "'");
                    }
                    return parsed;
                })
                .orElse(null);
    }

    private static <T> T parse(
            AgentSpec spec, String option, String value, String expected, Function<String, T> parser) {
        try {
            return parser.apply(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key(spec, option) + " must be " + expected + ", got '" + value + "'", e);
        }
    }

    private static boolean bool(AgentSpec spec, String option, boolean fallback) {
        return spec.option(option)
                .map(v -> switch (v.strip().toLowerCase(Locale.ROOT)) {
                    case "true", "yes", "on" -> true;
                    case "false", "no", "off" -> false;
                    default ->
                        throw new IllegalArgumentException(
                                key(spec, option) + " must be true or false, got '" + v + "'");
                })
                .orElse(fallback);
    }
}
