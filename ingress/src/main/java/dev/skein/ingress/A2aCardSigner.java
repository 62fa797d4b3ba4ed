package dev.skein.ingress;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import dev.skein.schemas.a2a.AgentCardSignatures;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/** Signs agent cards (A2A 1.0, section 8.4): adds a {@code signatures} entry to a card. */
public interface A2aCardSigner {

    /** Cards go unsigned. */
    A2aCardSigner NONE = card -> card;

    /** {@code card} with its signature added; the card without its {@code signatures} is what is signed. */
    JsonObject sign(JsonObject card);

    /**
     * The signer of {@code skein.a2a.signing-key-path}: none when empty.
     *
     * @throws IllegalArgumentException naming the key and the file when it cannot be used
     */
    static A2aCardSigner fromKeyFile(Optional<Path> file) {
        if (file.isEmpty()) {
            return NONE;
        }
        JWK key;
        try {
            key = AgentCardSignatures.readPrivateKey(file.get());
        } catch (IOException e) {
            throw new IllegalArgumentException("skein.a2a.signing-key-path: " + e.getMessage(), e);
        }
        return with(key);
    }

    /** Signs with {@code key} (a private JWK: EC P-256/384/521 or RSA). */
    static A2aCardSigner with(JWK key) {
        return card -> {
            try {
                return new JsonObject(AgentCardSignatures.sign(card.encode(), key));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (JOSEException e) {
                throw new IllegalStateException("signing the agent card failed: " + e.getMessage(), e);
            }
        };
    }
}
