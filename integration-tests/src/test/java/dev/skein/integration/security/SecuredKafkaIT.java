package dev.skein.integration.security;

import static dev.skein.integration.security.SecuredBroker.OUTSIDER;
import static dev.skein.integration.security.SecuredBroker.OUTSIDER_PASSWORD;
import static dev.skein.integration.security.SecuredBroker.SUPER_PASSWORD;
import static dev.skein.integration.security.SecuredBroker.SUPER_USER;
import static dev.skein.integration.security.SecuredBroker.login;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Skein on a broker that takes SASL/SCRAM-SHA-512 over TLS only, with an ACL authorizer: the node,
 * configured with its credentials and the broker's CA certificate, starts and serves a turn, while
 * clients without credentials, with a wrong password, or that do not trust the broker's certificate
 * are refused, and an authenticated user without ACLs is denied Skein's topics.
 */
@Tag("security")
class SecuredKafkaIT {

    /** How long a client that will be refused is given: long enough to connect, short enough to fail fast. */
    private static final int REFUSED_TIMEOUT_MS = 8_000;

    private static SkeinNode node;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        node = SkeinNode.start(
                TestNodes.config("secured", SecuredBroker.nodeKeys(SUPER_USER, SUPER_PASSWORD)),
                Set.of(Role.CORE, Role.AGENTS, Role.WORKER),
                false);
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aNodeWithCredentialsServesATurnWithAToolCall() {
        SkeinClient.Response response = client.postTurn("secured", "what is 12*7?", true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body().path("status").asText()).isEqualTo("COMPLETED");
        assertThat(response.body().path("answer").asText()).contains("84");
        // The calculator ran on the worker: the turn crossed the share groups and the topology's transactions.
        assertThat(SkeinClient.roles(client.awaitHistory("secured", 4)))
                .containsExactly("user", "assistant", "tool", "assistant");
    }

    @Test
    void aClientWithoutCredentialsIsRefused() {
        // Plaintext on the TLS port: the broker closes the connection, the client never gets an answer.
        Map<String, Object> plaintext = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SecuredBroker.kafka().bootstrapServers());
        assertThatThrownBy(() -> describeCluster(plaintext)).hasCauseInstanceOf(TimeoutException.class);

        // TLS without SASL: the broker refuses every request before a SASL login.
        Map<String, Object> tlsOnly = new HashMap<>(login(SUPER_USER, SUPER_PASSWORD));
        tlsOnly.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        tlsOnly.remove(SaslConfigs.SASL_MECHANISM);
        tlsOnly.remove(SaslConfigs.SASL_JAAS_CONFIG);
        assertThatThrownBy(() -> describeCluster(tlsOnly)).hasCauseInstanceOf(TimeoutException.class);

        // The same port, TLS and truststore with the login: answered, so the refusals above were the broker's.
        assertThatCode(() -> describeCluster(login(SUPER_USER, SUPER_PASSWORD))).doesNotThrowAnyException();
    }

    @Test
    void aWrongPasswordOrAnUnknownUserIsRefused() {
        assertThatThrownBy(() -> describeCluster(login(SUPER_USER, "not-the-password")))
                .hasCauseInstanceOf(SaslAuthenticationException.class)
                .hasMessageContaining("SCRAM-SHA-512");
        assertThatThrownBy(() -> describeCluster(login("nobody", SUPER_PASSWORD)))
                .hasCauseInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void aClientThatDoesNotTrustTheBrokersCertificateFailsTheHandshake() {
        Map<String, Object> untrusting = login(SUPER_USER, SUPER_PASSWORD);
        // The JVM's own CAs do not include the broker's.
        untrusting.remove(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG);
        untrusting.remove(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG);

        assertThatThrownBy(() -> describeCluster(untrusting)).hasCauseInstanceOf(SslAuthenticationException.class);
    }

    @Test
    void anAuthenticatedUserWithoutAclsIsDeniedSkeinsTopics() {
        String turns = node.topics().turns.name();
        try (Admin admin = Admin.create(withTimeouts(login(OUTSIDER, OUTSIDER_PASSWORD)))) {
            assertThatThrownBy(() -> admin.describeTopics(List.of(turns))
                            .allTopicNames()
                            .get(REFUSED_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    private static Map<String, Object> withTimeouts(Map<String, Object> settings) {
        Map<String, Object> config = new HashMap<>(settings);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, REFUSED_TIMEOUT_MS);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, REFUSED_TIMEOUT_MS);
        return config;
    }

    /** A describe-cluster call with {@code settings}; throws the ExecutionException of a refused client. */
    private static void describeCluster(Map<String, Object> settings) throws Exception {
        try (Admin admin = Admin.create(withTimeouts(settings))) {
            admin.describeCluster().nodes().get(REFUSED_TIMEOUT_MS * 2L, TimeUnit.MILLISECONDS);
        }
    }
}
