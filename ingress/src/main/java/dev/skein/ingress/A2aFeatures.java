package dev.skein.ingress;

import java.util.Objects;

/**
 * The optional parts of the A2A server that need more than the ingress's configuration: push
 * notifications (their settings and where their configs are kept) and the key that signs the cards.
 *
 * @param push      {@link A2aPushSettings#OFF}: no push notifications
 * @param pushStore where configs are kept; in memory (lost on restart) when none is given
 * @param signer    signs the cards; {@link A2aCardSigner#NONE}: cards are not signed
 */
public record A2aFeatures(A2aPushSettings push, A2aPushStore pushStore, A2aCardSigner signer) {

    public static final A2aFeatures NONE = new A2aFeatures(A2aPushSettings.OFF, null, A2aCardSigner.NONE);

    public A2aFeatures {
        Objects.requireNonNull(push, "push");
        Objects.requireNonNull(signer, "signer");
        pushStore = pushStore == null ? A2aPushStore.inMemory() : pushStore;
    }
}
