package dev.skein.adapters.a2a;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.schemas.a2a.AgentCardSignatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code trusted-card-keys}, the adapter talks to a peer only when its A2A 1.0 card carries a
 * signature by one of those keys that matches the card as served.
 */
class A2aCardTrustTest {

    private static final String CARD = """
            {"name": "Travel Planner", "description": "Plans trips.", "version": "2.0.0",
             "supportedInterfaces": [{"url": "{{BASE}}/a2a/v1", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
             "capabilities": {"streaming": false},
             "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"], "skills": []}
            """;
    private static final String ANSWER = """
            {"jsonrpc": "2.0", "id": "x", "result": {"task": {"id": "t", "contextId": "c",
             "status": {"state": "TASK_STATE_COMPLETED"}, "artifacts": [{"artifactId": "a", "parts": [{"text": "Go by train."}]}]}}}
            """;

    @TempDir
    Path dir;

    private FakeA2aServer server;
    private ECKey key;
    private Path trusted;

    @BeforeEach
    void start() throws Exception {
        server = new FakeA2aServer();
        key = new ECKeyGenerator(Curve.P_256).keyID("peer-1").generate();
        trusted = Files.writeString(
                dir.resolve("peer.jwks"), "{\"keys\":[" + key.toPublicJWK().toJSONString() + "]}");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aCardSignedByATrustedKeyIsUsed() throws Exception {
        server.json(200, AgentCardSignatures.sign(card(), key)).json(200, ANSWER);

        AgentReply reply = agent(trusted.toString()).decide(invocation(), delta -> {});

        assertThat(reply).isEqualTo(new AgentReply.Answer("Go by train."));
    }

    @Test
    void anUnsignedATamperedOrAnotherKeysCardIsRefusedAndNoMessageIsSent() throws Exception {
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("peer-1").generate();
        for (String card : List.of(
                card(),
                AgentCardSignatures.sign(card(), key).replace("Plans trips.", "Plans heists."),
                AgentCardSignatures.sign(card(), stranger))) {
            server.close();
            server = new FakeA2aServer();
            server.json(200, card).json(200, ANSWER);
            AgentReply reply = agent(trusted.toString()).decide(invocation(), delta -> {});
            // A final failure the session shows, not a retry: the card will not sign itself.
            assertThat(reply)
                    .isInstanceOfSatisfying(
                            AgentReply.Failure.class,
                            failure ->
                                    assertThat(failure.message()).contains("not signed by a key of trusted-card-keys"));
            assertThat(((AgentReply.Failure) reply).retryable()).isFalse();
            assertThat(server.requests()).hasSize(1);
        }
    }

    @Test
    void aTrustedKeyFileThatCannotBeReadIsAConfigurationError() {
        assertThatThrownBy(() -> agent(dir.resolve("missing.jwks").toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trusted-card-keys");
    }

    private String card() {
        return CARD.replace("{{BASE}}", server.base());
    }

    private AgentAdapter agent(String keys) {
        return new A2aAgentFactory()
                .create(
                        new AgentSpec(
                                "travel",
                                "a2a",
                                Map.of("base-url", server.base(), "trusted-card-keys", keys),
                                "",
                                Duration.ofSeconds(5),
                                List.of()),
                        Map.of());
    }

    private static AgentInvocation invocation() {
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s-42")
                .setTurnId("t-3")
                .setStep(1)
                .setAttempt(1)
                .setAgent("travel")
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setSequence(0)
                        .setRole(Role.USER)
                        .setContent("Paris to Berlin?")
                        .setToolCalls(List.of())
                        .setTurnId("t-3")
                        .setTimestampMs(0)
                        .build()))
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();
    }
}
