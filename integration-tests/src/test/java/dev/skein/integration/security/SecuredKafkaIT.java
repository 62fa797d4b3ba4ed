package dev.skein.integration.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.app.config.SkeinConfig;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.app.kafka.LocalKafkaSecurity;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.config.SaslConfigs;
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

    private static final String SKEIN_USER = "skein";
    private static final String SKEIN_PASSWORD = "s3cret \"quoted\" \\ and spaced";
    private static final String OUTSIDER = "outsider";
    private static final String OUTSIDER_PASSWORD = "outsider-password";
    /** How long a client that will be refused is given: long enough to connect, short enough to fail fast. */
    private static final int REFUSED_TIMEOUT_MS = 8_000;

    private static Path dataDir;
    private static LocalKafka kafka;
    private static SkeinNode node;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("skein-secured-kafka");
        kafka = new LocalKafka(
                        LocalKafka.Options.inDirectory(dataDir),
                        LocalKafkaSecurity.scramOverTls(ScramMechanism.SCRAM_SHA_512, SKEIN_USER, SKEIN_PASSWORD)
                                .withUser(OUTSIDER, OUTSIDER_PASSWORD))
                .start();
        // What an operator writes: Skein's own keys, the CA certificate as the truststore (PEM by its name).
        Map<String, Object> keys = new HashMap<>();
        keys.put("skein.kafka.bootstrap-servers", kafka.bootstrapServers());
        keys.put("skein.kafka.security.protocol", "SASL_SSL");
        keys.put("skein.kafka.security.sasl.mechanism", "SCRAM-SHA-512");
        keys.put("skein.kafka.security.sasl.username", SKEIN_USER);
        keys.put("skein.kafka.security.sasl.password", SKEIN_PASSWORD);
        keys.put(
                "skein.kafka.security.tls.truststore-location",
                kafka.caCertificate().toString());
        SkeinConfig config = TestNodes.config("secured", keys);
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() throws IOException {
        if (node != null) {
            node.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (dataDir != null) {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
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
        Map<String, Object> plaintext = Map.of();
        assertThatThrownBy(() -> describeCluster(plaintext)).hasCauseInstanceOf(TimeoutException.class);

        // TLS without SASL: the broker refuses every request before a SASL login.
        Map<String, Object> tlsOnly = new HashMap<>(kafka.clientSettings(SKEIN_USER));
        tlsOnly.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        tlsOnly.remove(SaslConfigs.SASL_MECHANISM);
        tlsOnly.remove(SaslConfigs.SASL_JAAS_CONFIG);
        assertThatThrownBy(() -> describeCluster(tlsOnly)).hasCauseInstanceOf(TimeoutException.class);

        // The same port, TLS and truststore with the login: answered, so the refusals above were the broker's.
        assertThatCode(() -> describeCluster(login(SKEIN_USER, SKEIN_PASSWORD))).doesNotThrowAnyException();
    }

    @Test
    void aWrongPasswordOrAnUnknownUserIsRefused() {
        assertThatThrownBy(() -> describeCluster(login(SKEIN_USER, "not-the-password")))
                .hasCauseInstanceOf(SaslAuthenticationException.class)
                .hasMessageContaining("SCRAM-SHA-512");
        assertThatThrownBy(() -> describeCluster(login("nobody", SKEIN_PASSWORD)))
                .hasCauseInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void aClientThatDoesNotTrustTheBrokersCertificateFailsTheHandshake() {
        Map<String, Object> untrusting = login(SKEIN_USER, SKEIN_PASSWORD);
        // The JVM's own CAs do not include the broker's.
        untrusting.remove("ssl.truststore.location");
        untrusting.remove("ssl.truststore.type");

        assertThatThrownBy(() -> describeCluster(untrusting)).hasCauseInstanceOf(SslAuthenticationException.class);
    }

    @Test
    void anAuthenticatedUserWithoutAclsIsDeniedSkeinsTopics() {
        String turns = node.topics().turns.name();
        try (Admin admin = Admin.create(withServers(login(OUTSIDER, OUTSIDER_PASSWORD)))) {
            assertThatThrownBy(() -> admin.describeTopics(List.of(turns))
                            .allTopicNames()
                            .get(REFUSED_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    private static Map<String, Object> login(String user, String password) {
        Map<String, Object> settings = new HashMap<>(kafka.clientSettings(SKEIN_USER));
        settings.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                        + password.replace("\\", "\\\\").replace("\"", "\\\"") + "\";");
        return settings;
    }

    private static Map<String, Object> withServers(Map<String, Object> settings) {
        Map<String, Object> config = new HashMap<>(settings);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, REFUSED_TIMEOUT_MS);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, REFUSED_TIMEOUT_MS);
        return config;
    }

    /** A describe-cluster call with {@code settings}; throws the ExecutionException of a refused client. */
    private static void describeCluster(Map<String, Object> settings) throws Exception {
        try (Admin admin = Admin.create(withServers(settings))) {
            admin.describeCluster().nodes().get(REFUSED_TIMEOUT_MS * 2L, TimeUnit.MILLISECONDS);
        }
    }
}
