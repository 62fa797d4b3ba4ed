package dev.skein.adapters.langchain4j;

import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Builds {@link LangChain4jAgent}s of kind {@value #KIND} from configuration. Options
 * ({@code skein.agents.definitions.<name>.<key>}):
 * <ul>
 *   <li>{@code provider}: {@code anthropic} or {@code openai} (required)</li>
 *   <li>{@code model}: the provider's model name (required)</li>
 *   <li>{@code base-url}: the API root, for proxies and compatible servers; defaults to the
 *       provider's ({@code https://api.anthropic.com/v1/}, {@code https://api.openai.com/v1})</li>
 *   <li>{@code api-key-env}: the environment variable holding the key; defaults to
 *       {@code ANTHROPIC_API_KEY} or {@code OPENAI_API_KEY}</li>
 *   <li>{@code max-tokens}: the most tokens one reply may have; Anthropic requires a value and
 *       gets LangChain4j's 1024 when unset, OpenAI gets none</li>
 *   <li>{@code temperature}: unset leaves the provider's default</li>
 *   <li>{@code max-retries}: how often LangChain4j retries a rate limit, 5xx, timeout or
 *       connection error (with backoff) before the step fails as retryable; default 2</li>
 * </ul>
 * The HTTP timeout is the agent's {@code timeout}. Other providers are plugged in code with
 * {@link LangChain4jAgent#LangChain4jAgent(AgentSpec, ChatModel)}.
 */
public final class LangChain4jAgentFactory implements AgentAdapterFactory {

    public static final String KIND = "langchain4j";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        // The configured models retry with spec.maxRetries() themselves (below).
        return new LangChain4jAgent(spec, model(spec, environment), spec.maxRetries());
    }

    /** The model the options describe. */
    static ChatModel model(AgentSpec spec, Map<String, String> environment) {
        String provider = spec.required("provider").toLowerCase(Locale.ROOT);
        return switch (provider) {
            case "anthropic" -> anthropic(spec, environment);
            case "openai" -> openAi(spec, environment);
            default ->
                throw new IllegalArgumentException("agent " + spec.name() + " (" + KIND + ") has provider '" + provider
                        + "'; skein.agents.definitions." + spec.name() + ".provider must be anthropic or openai"
                        + " (other LangChain4j models are plugged in code with new LangChain4jAgent(spec, model))");
        };
    }

    private static ChatModel anthropic(AgentSpec spec, Map<String, String> environment) {
        AnthropicChatModel.AnthropicChatModelBuilder builder = AnthropicChatModel.builder()
                .modelName(spec.required("model"))
                .apiKey(spec.requiredApiKey(environment, "ANTHROPIC_API_KEY"))
                .timeout(spec.timeout())
                .maxRetries(spec.maxRetries());
        spec.option("base-url").ifPresent(builder::baseUrl);
        spec.wholeNumber("max-tokens").ifPresent(builder::maxTokens);
        decimal(spec, "temperature").ifPresent(builder::temperature);
        return builder.build();
    }

    private static ChatModel openAi(AgentSpec spec, Map<String, String> environment) {
        OpenAiChatModel.OpenAiChatModelBuilder builder = OpenAiChatModel.builder()
                .modelName(spec.required("model"))
                .apiKey(spec.requiredApiKey(environment, "OPENAI_API_KEY"))
                .timeout(spec.timeout())
                .maxRetries(spec.maxRetries());
        spec.option("base-url").ifPresent(builder::baseUrl);
        // max_completion_tokens: OpenAI's current name; max_tokens is refused by its reasoning models.
        spec.wholeNumber("max-tokens").ifPresent(builder::maxCompletionTokens);
        decimal(spec, "temperature").ifPresent(builder::temperature);
        return builder.build();
    }

    private static Optional<Double> decimal(AgentSpec spec, String key) {
        return spec.option(key).map(value -> {
            try {
                return Double.parseDouble(value.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "skein.agents.definitions." + spec.name() + "." + key + " must be a number, got '" + value
                                + "'",
                        e);
            }
        });
    }
}
