package dev.skein.schemas.a2a;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agent card signatures: the canonical payload (RFC 8785), signing, and what verification refuses. */
class AgentCardSignaturesTest {

    private static final String CARD =
            "{\"name\":\"demo\",\"version\":\"1.0\",\"skills\":[{\"id\":\"demo\",\"tags\":[]}],"
                    + "\"capabilities\":{\"streaming\":true,\"pushNotifications\":false},\"description\":\"caf\\u00e9 \\u20ac\"}";

    @TempDir
    Path dir;

    @Test
    void thePayloadIsTheCardInCanonicalFormWithoutDefaultsOrSignatures() throws Exception {
        String withSignatures = CARD.replace("{\"name\"", "{\"signatures\":[{\"protected\":\"x\"}],\"name\"");
        String payload = new String(AgentCardSignatures.payload(withSignatures), StandardCharsets.UTF_8);
        // RFC 8785: keys sorted, no whitespace, non-ASCII as UTF-8 (not escaped); ProtoJSON defaults left out.
        assertThat(payload)
                .isEqualTo("{\"capabilities\":{\"streaming\":true},\"description\":\"café €\",\"name\":\"demo\","
                        + "\"skills\":[{\"id\":\"demo\"}],\"version\":\"1.0\"}");
        assertThat(new String(
                        AgentCardSignatures.payload("{\"n\":1.50,\"m\":1e30,\"k\":-0.0000001}"),
                        StandardCharsets.UTF_8))
                .isEqualTo("{\"k\":-1e-7,\"m\":1e+30,\"n\":1.5}");
    }

    @Test
    void aCardSignedWithAnEcOrRsaKeyVerifiesWithItsPublicKeyOnly() throws Exception {
        for (JWK key : List.of(
                new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate(),
                new RSAKeyGenerator(2048).keyID("rsa-1").generate())) {
            String signed = AgentCardSignatures.sign(CARD, key);
            AgentCardSignatures.verify(signed, List.of(key.toPublicJWK()));

            String header = new String(
                    Base64.getUrlDecoder()
                            .decode(new com.fasterxml.jackson.databind.ObjectMapper()
                                    .readTree(signed)
                                    .path("signatures")
                                    .get(0)
                                    .path("protected")
                                    .asText()),
                    StandardCharsets.UTF_8);
            assertThat(header).contains("\"typ\":\"JOSE\"").contains("\"kid\":\"" + key.getKeyID() + "\"");

            // Reordering and re-spacing the card does not break it: the canonical form is signed.
            String reordered = signed.replace("\"name\":\"demo\",", "")
                    .replace("{\"version\"", "{ \"name\" : \"demo\", \"version\"");
            AgentCardSignatures.verify(reordered, List.of(key.toPublicJWK()));
        }
    }

    @Test
    void aChangedCardAnotherKeyAndNoSignatureAreRefusedWithTheReason() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("ec-2").generate();
        String signed = AgentCardSignatures.sign(CARD, key);

        assertThatThrownBy(() -> AgentCardSignatures.verify(
                        signed.replace("\"streaming\":true", "\"streaming\":true,\"extendedAgentCard\":true"),
                        List.of(key.toPublicJWK())))
                .isInstanceOf(AgentCardSignatures.InvalidSignature.class)
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> AgentCardSignatures.verify(signed, List.of(other.toPublicJWK())))
                .hasMessageContaining("not among the trusted keys");
        assertThatThrownBy(() -> AgentCardSignatures.verify(CARD, List.of(key.toPublicJWK())))
                .hasMessageContaining("no signatures");
        // A key of the same id but another key: a mismatch, not a pass.
        ECKey impostor = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        assertThatThrownBy(() -> AgentCardSignatures.verify(signed, List.of(impostor.toPublicJWK())))
                .hasMessageContaining("does not match");
    }

    @Test
    void keysAreReadFromJwkAndPemFiles() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
        Path jwk = Files.writeString(dir.resolve("card.jwk"), ec.toJSONString());
        JWK signing = AgentCardSignatures.readPrivateKey(jwk);
        assertThat(signing.getKeyID()).isNotBlank();
        Path jwks = Files.writeString(
                dir.resolve("trusted.json"),
                "{\"keys\":[" + signing.toPublicJWK().toJSONString() + "]}");
        AgentCardSignatures.verify(AgentCardSignatures.sign(CARD, signing), AgentCardSignatures.readPublicKeys(jwks));

        var rsa = new RSAKeyGenerator(2048).generate();
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(rsa.toRSAPrivateKey().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        JWK fromPem = AgentCardSignatures.readPrivateKey(Files.writeString(dir.resolve("card.pem"), pem));
        String publicPem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(rsa.toRSAPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        List<JWK> trusted =
                AgentCardSignatures.readPublicKeys(Files.writeString(dir.resolve("trusted.pem"), publicPem));
        AgentCardSignatures.verify(AgentCardSignatures.sign(CARD, fromPem), trusted);

        assertThatThrownBy(() -> AgentCardSignatures.readPrivateKey(jwks)).hasMessageContaining("private");
    }
}
