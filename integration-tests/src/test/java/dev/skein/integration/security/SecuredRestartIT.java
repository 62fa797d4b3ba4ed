package dev.skein.integration.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.app.kafka.LocalKafka;
import dev.skein.app.kafka.LocalKafkaSecurity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A secured broker restarted on its data directory keeps its CA (clients keep trusting it) and takes new passwords. */
@Tag("security")
class SecuredRestartIT {

    @Test
    void aRestartKeepsTheCaAndAChangedPasswordReplacesTheOldOne(@TempDir Path dataDir) throws Exception {
        byte[] ca;
        try (LocalKafka kafka = new LocalKafka(
                        LocalKafka.Options.inDirectory(dataDir),
                        LocalKafkaSecurity.scramOverTls(ScramMechanism.SCRAM_SHA_256, "skein", "first"))
                .start()) {
            ca = Files.readAllBytes(kafka.caCertificate());
            assertThatCode(() -> describe(kafka, "first")).doesNotThrowAnyException();
        }

        try (LocalKafka kafka = new LocalKafka(
                        LocalKafka.Options.inDirectory(dataDir),
                        LocalKafkaSecurity.scramOverTls(ScramMechanism.SCRAM_SHA_256, "skein", "second"))
                .start()) {
            assertThat(Files.readAllBytes(kafka.caCertificate())).isEqualTo(ca);
            assertThatCode(() -> describe(kafka, "second")).doesNotThrowAnyException();
            assertThatThrownBy(() -> describe(kafka, "first")).hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    private static void describe(LocalKafka kafka, String password) throws Exception {
        Map<String, Object> config = new HashMap<>(kafka.clientSettings("skein"));
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"skein\" password=\""
                        + password + "\";");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(config)) {
            admin.describeCluster().nodes().get(20, TimeUnit.SECONDS);
        }
    }
}
