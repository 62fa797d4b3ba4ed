package dev.skein.ingress;

import io.vertx.core.json.JsonObject;

/** Signs agent cards (A2A 1.0, section 8.4): adds a {@code signatures} entry to a card. */
public interface A2aCardSigner {

    /** Cards go unsigned. */
    A2aCardSigner NONE = card -> card;

    /** {@code card} with its signature added; the card without its {@code signatures} is what is signed. */
    JsonObject sign(JsonObject card);
}
