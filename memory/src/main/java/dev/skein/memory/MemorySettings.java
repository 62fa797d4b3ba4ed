package dev.skein.memory;

import java.time.Duration;

/**
 * {@code skein.memory}: long-term memory (docs/memory.md).
 *
 * @param enabled      the memory tools on workers and {@code /v1/memory} on the ingress
 * @param embedder     the embedding model; only {@code all-minilm-l6-v2} (in process) for now
 * @param recallLimit  how many memories {@code recall} returns when the call names no limit
 * @param writeTimeout how long a write may take, until this instance's index holds it
 */
public record MemorySettings(boolean enabled, String embedder, int recallLimit, Duration writeTimeout) {

    public static final MemorySettings DEFAULTS =
            new MemorySettings(true, MiniLmEmbedder.MODEL, 5, Duration.ofSeconds(10));

    public MemorySettings {
        if (!MiniLmEmbedder.MODEL.equals(embedder)) {
            throw new IllegalArgumentException(
                    "skein.memory.embedder '" + embedder + "' is not known; use " + MiniLmEmbedder.MODEL);
        }
        if (recallLimit < 1 || recallLimit > 50) {
            throw new IllegalArgumentException("skein.memory.recall-limit must be 1 to 50, got " + recallLimit);
        }
    }

    /** A new embedder of this configuration (the model loads on first use). */
    public Embedder newEmbedder() {
        return new MiniLmEmbedder();
    }
}
