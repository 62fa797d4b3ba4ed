package dev.skein.memory;

import java.time.Duration;

/**
 * {@code skein.memory}: long-term memory (docs/memory.md).
 *
 * @param enabled      the memory tools on workers and {@code /v1/memory} on the ingress
 * @param embedder     {@code all-minilm-l6-v2} (in process) or {@code openai} (an OpenAI-compatible endpoint)
 * @param recallLimit  how many memories {@code recall} returns when the call names no limit
 * @param writeTimeout how long a write may take, until this instance's index holds it
 * @param openAi       the endpoint of {@code embedder = openai}
 */
public record MemorySettings(boolean enabled, String embedder, int recallLimit, Duration writeTimeout, OpenAi openAi) {

    /** {@code skein.memory.openai}: base URL (…/v1), model, its vectors' length, API key, timeout. */
    public record OpenAi(String baseUrl, String model, int dimensions, String apiKey, Duration timeout) {}

    public static final String OPENAI = "openai";

    public MemorySettings {
        if (!MiniLmEmbedder.MODEL.equals(embedder) && !OPENAI.equals(embedder)) {
            throw new IllegalArgumentException("skein.memory.embedder '" + embedder + "' is not known; use "
                    + MiniLmEmbedder.MODEL + " or " + OPENAI);
        }
        if (OPENAI.equals(embedder)
                && (openAi.baseUrl().isBlank() || openAi.model().isBlank() || openAi.dimensions() < 1)) {
            throw new IllegalArgumentException(
                    "skein.memory.embedder = openai needs skein.memory.openai.base-url, .model and .dimensions");
        }
        if (recallLimit < 1 || recallLimit > 50) {
            throw new IllegalArgumentException("skein.memory.recall-limit must be 1 to 50, got " + recallLimit);
        }
    }

    /** A new embedder of this configuration (the model loads on first use). */
    public Embedder newEmbedder() {
        return OPENAI.equals(embedder)
                ? new OpenAiEmbedder(
                        openAi.baseUrl(), openAi.model(), openAi.dimensions(), openAi.apiKey(), openAi.timeout())
                : new MiniLmEmbedder();
    }
}
