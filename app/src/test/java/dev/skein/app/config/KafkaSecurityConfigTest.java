package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.skein.schemas.kafka.KafkaConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code skein.kafka.security} and {@code skein.kafka.client-properties}: what every client is handed, and what is refused. */
class KafkaSecurityConfigTest {

    @TempDir
    Path dir;

    private Path caPem;
    private Path keystore;

    @BeforeEach
    void files() throws Exception {
        caPem = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        keystore = Files.write(dir.resolve("client.p12"), new byte[] {1});
    }

    private static Map<String, String> settings(Map<String, ?> flags, Map<String, String> environment) {
        Map<String, Object> all = new HashMap<>(flags);
        all.put("skein.kafka.bootstrap-servers", "kafka-1:9093");
        return SkeinConfig.load(Optional.empty(), all, environment).kafkaClientSettings();
    }

    private static Map<String, String> settings(Map<String, ?> flags) {
        return settings(flags, Map.of());
    }

    @Test
    void aPlaintextClusterGetsNoSettingsAtAll() {
        // Unchanged clients for the unsecured case: not even security.protocol=PLAINTEXT is added.
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of()).kafkaClientSettings())
                .isEmpty();
    }

    @Test
    void scramOverTlsFromTheEnvironmentBecomesKafkasKeys() {
        Map<String, String> settings = settings(
                Map.of(),
                Map.of(
                        "SKEIN_KAFKA_SECURITY_PROTOCOL", "sasl_ssl",
                        "SKEIN_KAFKA_SECURITY_SASL_MECHANISM", "SCRAM-SHA-512",
                        "SKEIN_KAFKA_SECURITY_SASL_USERNAME", "skein-core",
                        "SKEIN_KAFKA_SECURITY_SASL_PASSWORD", "pa\"ss\\word",
                        "SKEIN_KAFKA_SECURITY_TLS_TRUSTSTORE_LOCATION", caPem.toString()));

        assertThat(settings)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", caPem.toString())
                .containsEntry("ssl.truststore.type", "PEM");
        // Kafka's own JAAS parser reads back the user and the password, quotes and backslash included.
        var entry = JaasContext.loadClientContext(
                        Map.of("sasl.jaas.config", new Password(settings.get("sasl.jaas.config"))))
                .configurationEntries()
                .getFirst();
        assertThat(entry.getLoginModuleName()).isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule");
        assertThat(entry.getOptions().get("username")).isEqualTo("skein-core");
        assertThat(entry.getOptions().get("password")).isEqualTo("pa\"ss\\word");
    }

    @Test
    void plainAndMutualTlsAndOAuthMapToTheirKafkaKeys() {
        assertThat(settings(Map.of(
                        "skein.kafka.security.protocol", "SASL_SSL",
                        "skein.kafka.security.sasl.mechanism", "PLAIN",
                        "skein.kafka.security.sasl.username", "u",
                        "skein.kafka.security.sasl.password", "p")))
                .containsEntry(
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";");

        assertThat(settings(Map.of(
                        "skein.kafka.security.protocol",
                        "SSL",
                        "skein.kafka.security.tls.keystore-location",
                        keystore.toString(),
                        "skein.kafka.security.tls.keystore-password",
                        "kp",
                        "skein.kafka.security.tls.hostname-verification",
                        false)))
                .containsExactly(
                        entry("security.protocol", "SSL"),
                        entry("ssl.keystore.location", keystore.toString()),
                        entry("ssl.keystore.type", "PKCS12"),
                        entry("ssl.keystore.password", "kp"),
                        entry("ssl.endpoint.identification.algorithm", ""));

        assertThat(settings(Map.of(
                        "skein.kafka.security.protocol", "SASL_SSL",
                        "skein.kafka.security.sasl.mechanism", "OAUTHBEARER",
                        "skein.kafka.security.sasl.oauthbearer.token-endpoint-url", "https://idp.example/token",
                        "skein.kafka.security.sasl.oauthbearer.client-id", "skein",
                        "skein.kafka.security.sasl.oauthbearer.client-secret", "cs",
                        "skein.kafka.security.sasl.oauthbearer.scope", "kafka")))
                .containsEntry("sasl.mechanism", "OAUTHBEARER")
                .containsEntry(
                        "sasl.login.callback.handler.class",
                        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler")
                .containsEntry("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token")
                .containsEntry("sasl.oauthbearer.client.credentials.client.id", "skein")
                .containsEntry("sasl.oauthbearer.client.credentials.client.secret", "cs")
                .containsEntry("sasl.oauthbearer.scope", "kafka");
    }

    @Test
    void clientPropertiesPassThroughAndWinOverTheSecuritySettings() {
        Map<String, String> settings = settings(
                Map.of("skein.kafka.security.protocol", "SSL", "skein.kafka.security.tls.hostname-verification", false),
                Map.of(
                        "SKEIN_KAFKA_CLIENT_PROPERTIES",
                        "{\"ssl.enabled.protocols\" = TLSv1.3, ssl.endpoint.identification.algorithm = https}"));

        assertThat(settings)
                .containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.enabled.protocols", "TLSv1.3")
                .containsEntry("ssl.endpoint.identification.algorithm", "https");
    }

    @Test
    void inconsistentSettingsFailNamingTheKeyAndNeverTheSecret() {
        assertRefused(
                Map.of(
                        "skein.kafka.security.protocol",
                        "SASL_SSL",
                        "skein.kafka.security.sasl.mechanism",
                        "SCRAM-SHA-256"),
                "skein.kafka.security.sasl.username",
                "needs a username and a password");
        assertRefused(
                Map.of(
                        "skein.kafka.security.protocol", "SASL_SSL",
                        "skein.kafka.security.sasl.mechanism", "SCRAM-SHA-256",
                        "skein.kafka.security.sasl.username", "u"),
                "skein.kafka.security.sasl.password",
                "needs a username and a password");
        assertRefused(
                Map.of("skein.kafka.security.protocol", "SASL_PLAINTEXT"),
                "skein.kafka.security.sasl.mechanism",
                "needs a mechanism");
        assertRefused(
                Map.of("skein.kafka.security.sasl.mechanism", "PLAIN"),
                "skein.kafka.security.sasl.mechanism",
                "protocol is PLAINTEXT");
        assertRefused(
                Map.of(
                        "skein.kafka.security.protocol", "SASL_PLAINTEXT",
                        "skein.kafka.security.sasl.mechanism", "PLAIN",
                        "skein.kafka.security.sasl.username", "u",
                        "skein.kafka.security.sasl.password", "hunter2",
                        "skein.kafka.security.tls.truststore-location", caPem.toString()),
                "skein.kafka.security.tls.truststore-location",
                "use SSL or SASL_SSL");
        assertRefused(
                Map.of("skein.kafka.security.protocol", "TLS"), "skein.kafka.security.protocol", "must be one of");
        assertRefused(
                Map.of(
                        "skein.kafka.security.protocol",
                        "SSL",
                        "skein.kafka.security.tls.truststore-location",
                        dir.resolve("missing.jks").toString()),
                "skein.kafka.security.tls.truststore-location",
                "not a readable file");
        assertRefused(
                Map.of(
                        "skein.kafka.security.protocol", "SSL",
                        "skein.kafka.security.tls.truststore-location", caPem.toString(),
                        "skein.kafka.security.tls.truststore-password", "hunter2"),
                "skein.kafka.security.tls.truststore-password",
                "PEM truststore takes no password");
        assertRefused(
                Map.of(
                        "skein.kafka.security.protocol",
                        "SSL",
                        "skein.kafka.security.tls.keystore-location",
                        keystore.toString()),
                "skein.kafka.security.tls.keystore-password",
                "needs its password");
        assertRefused(
                Map.of(
                        "skein.kafka.security.protocol", "SASL_SSL",
                        "skein.kafka.security.sasl.mechanism", "OAUTHBEARER",
                        "skein.kafka.security.sasl.oauthbearer.token-endpoint-url", "https://idp.example/token",
                        "skein.kafka.security.sasl.oauthbearer.client-id", "skein"),
                "skein.kafka.security.sasl.oauthbearer.client-secret",
                "client id and a client secret");
        assertRefused(
                Map.of("skein.kafka.client-properties", Map.of("bootstrap.servers", "elsewhere:9092")),
                "skein.kafka.client-properties",
                "skein.kafka.bootstrap-servers");
    }

    @Test
    void securityWithoutAClusterIsRefused() {
        // The embedded broker of `skein up` is plaintext: settings for another cluster would be silently wrong.
        assertThatThrownBy(() ->
                        SkeinConfig.load(Optional.empty(), Map.of("skein.kafka.security.protocol", "SSL"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.kafka.bootstrap-servers")
                .hasMessageContaining("embedded broker");
    }

    @Test
    void theConnectionShowsNoSecretWhenLogged() {
        SkeinConfig config = SkeinConfig.load(
                Optional.empty(),
                Map.of(
                        "skein.kafka.bootstrap-servers", "kafka-1:9093",
                        "skein.kafka.security.protocol", "SASL_SSL",
                        "skein.kafka.security.sasl.mechanism", "SCRAM-SHA-512",
                        "skein.kafka.security.sasl.username", "skein-core",
                        "skein.kafka.security.tls.truststore-location", caPem.toString()),
                Map.of("SKEIN_KAFKA_SECURITY_SASL_PASSWORD", "hunter2"));
        KafkaConnection connection = config.kafkaConnection("kafka-1:9093");

        assertThat(connection.clientConfig())
                .containsEntry("bootstrap.servers", "kafka-1:9093")
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(connection.toString())
                .contains("kafka-1:9093", "SASL_SSL", "SCRAM-SHA-512")
                .doesNotContain("hunter2");
    }

    private static void assertRefused(Map<String, ?> flags, String key, String why) {
        assertThatThrownBy(() -> settings(flags))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key)
                .hasMessageContaining(why)
                .hasMessageNotContaining("hunter2");
    }
}
