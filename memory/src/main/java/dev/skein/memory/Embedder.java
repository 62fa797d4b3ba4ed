package dev.skein.memory;

/**
 * Turns text into a vector for the memory index. Vectors of different models are not comparable,
 * so every record carries its {@link #model()} and an index only answers with records of its own.
 */
public interface Embedder {

    /** The model's name as stored on each record, e.g. {@code all-minilm-l6-v2}. */
    String model();

    /** The length of every vector this embedder returns. */
    int dimensions();

    /** The vector of {@code text}; thread-safe. */
    float[] embed(String text);
}
