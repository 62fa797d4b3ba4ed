package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.a2a.AgentCardSignatures;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a signing key every card the ingress serves carries a JWS that its public key verifies. */
class A2aSignedCardTest {

    @TempDir
    static Path dir;

    private static ECKey key;
    private static SkeinIngress ingress;
    private static A2aTestCalls a2a;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        key = new ECKeyGenerator(Curve.P_256).keyID("skein-test").generate();
        Path file = Files.writeString(dir.resolve("card-key.jwk"), key.toJSONString());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .a2a(new A2aSettings(
                                        true,
                                        List.of("demo", "helper"),
                                        "demo",
                                        java.net.URI.create("https://agents.example.test"),
                                        Map.of()))
                                .build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .a2a(new A2aFeatures(A2aPushSettings.OFF, null, A2aCardSigner.fromKeyFile(Optional.of(file))))
                .build();
        port = ingress.start();
        a2a = new A2aTestCalls(port, null);
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    @Test
    void everyCardIsSignedByTheConfiguredKey() throws Exception {
        for (String path : List.of(
                "/.well-known/agent-card.json",
                "/a2a/helper/.well-known/agent-card.json",
                "/a2a/demo/rest/extendedAgentCard")) {
            String card = a2a.get(path).body();
            JsonObject signature =
                    new JsonObject(card).getJsonArray("signatures").getJsonObject(0);
            JsonObject header = new JsonObject(new String(
                    Base64.getUrlDecoder().decode(signature.getString("protected")), StandardCharsets.UTF_8));
            assertThat(header.getString("alg")).isEqualTo("ES256");
            assertThat(header.getString("typ")).isEqualTo("JOSE");
            assertThat(header.getString("kid")).isEqualTo("skein-test");
            AgentCardSignatures.verify(card, List.of(key.toPublicJWK()));
            assertThatThrownBy(() -> AgentCardSignatures.verify(
                            card.replace("\"name\":\"", "\"name\":\"x"), List.of(key.toPublicJWK())))
                    .isInstanceOf(AgentCardSignatures.InvalidSignature.class);
        }
    }

    @Test
    void aKeyFileThatHoldsNoPrivateKeyIsRefusedNamingTheSetting() throws Exception {
        Path publicOnly =
                Files.writeString(dir.resolve("public.jwk"), key.toPublicJWK().toJSONString());
        assertThatThrownBy(() -> A2aCardSigner.fromKeyFile(Optional.of(publicOnly)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.a2a.signing-key-path")
                .hasMessageContaining("private");
    }

    @Test
    void aSignedCardNamesThePublicUrlWhateverHostTheRequestNames() throws Exception {
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream()
                    .write(("GET /a2a/demo/.well-known/agent-card.json HTTP/1.1\r\nHost: evil.example\r\n"
                                    + "Connection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200").doesNotContain("evil.example");
            assertThat(answer).contains("https://agents.example.test/a2a/demo");
        }
    }

    @Test
    void signingWithoutAPublicUrlIsRefusedAtStart() {
        SkeinIngress unsafe = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .a2a(new A2aSettings(true, List.of("demo"), "demo", null, Map.of()))
                                .build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .a2a(new A2aFeatures(A2aPushSettings.OFF, null, A2aCardSigner.with(key)))
                .build();
        try {
            assertThatThrownBy(unsafe::start).hasStackTraceContaining("skein.a2a.public-url");
        } finally {
            unsafe.close();
        }
    }
}
