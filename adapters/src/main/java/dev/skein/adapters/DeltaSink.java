package dev.skein.adapters;

/** Where an adapter streams the text of its answer as it is produced (becomes {@code AgentDelta} TEXT events). */
@FunctionalInterface
public interface DeltaSink {

    /** A sink that drops everything: for callers that do not stream. */
    DeltaSink NONE = chunk -> {};

    /** The next piece of text, in order; the pieces concatenated are the answer. */
    void text(String chunk);
}
