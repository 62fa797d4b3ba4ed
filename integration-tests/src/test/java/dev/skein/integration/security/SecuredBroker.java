package dev.skein.integration.security;

import dev.skein.app.kafka.LocalKafka;
import dev.skein.app.kafka.LocalKafkaSecurity;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * One broker per test JVM that takes SASL/SCRAM-SHA-512 over TLS only, with an ACL authorizer,
 * started on first use and stopped by a shutdown hook. Its users: {@link #SUPER_USER}, an
 * {@link #OUTSIDER} without ACLs, and one user per Skein role ({@link #ROLE_USERS}) whose ACLs the
 * tests grant themselves.
 */
final class SecuredBroker {

    static final String SUPER_USER = "skein";
    /** Quotes, a backslash and spaces: what a password may hold, through JAAS's quoting. */
    static final String SUPER_PASSWORD = "s3cret \"quoted\" \\ and spaced";

    static final String OUTSIDER = "outsider";
    static final String OUTSIDER_PASSWORD = "outsider-password";
    static final Map<String, String> ROLE_USERS =
            Map.of("skein-core", "core-password", "skein-agents", "agents-password", "skein-worker", "worker-password");

    private static LocalKafka kafka;

    private SecuredBroker() {}

    static synchronized LocalKafka kafka() {
        if (kafka == null) {
            kafka = start();
        }
        return kafka;
    }

    /** Settings for {@code user} with {@code password} on the broker's TLS port, bootstrap servers included. */
    static Map<String, Object> login(String user, String password) {
        Map<String, Object> settings = new HashMap<>(kafka().clientSettings(SUPER_USER));
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka().bootstrapServers());
        settings.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                        + password.replace("\\", "\\\\").replace("\"", "\\\"") + "\";");
        return settings;
    }

    /** What an operator writes for a node that logs in as {@code user}: Skein's own keys. */
    static Map<String, Object> nodeKeys(String user, String password) {
        Map<String, Object> keys = new HashMap<>();
        keys.put("skein.kafka.bootstrap-servers", kafka().bootstrapServers());
        keys.put("skein.kafka.security.protocol", "SASL_SSL");
        keys.put("skein.kafka.security.sasl.mechanism", "SCRAM-SHA-512");
        keys.put("skein.kafka.security.sasl.username", user);
        keys.put("skein.kafka.security.sasl.password", password);
        // The CA certificate as the truststore: PEM, by its name.
        keys.put(
                "skein.kafka.security.tls.truststore-location",
                kafka().caCertificate().toString());
        return keys;
    }

    private static LocalKafka start() {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("skein-secured-kafka");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LocalKafkaSecurity security = LocalKafkaSecurity.scramOverTls(
                        ScramMechanism.SCRAM_SHA_512, SUPER_USER, SUPER_PASSWORD)
                .withUser(OUTSIDER, OUTSIDER_PASSWORD);
        for (Map.Entry<String, String> user : ROLE_USERS.entrySet()) {
            security = security.withUser(user.getKey(), user.getValue());
        }
        LocalKafka started = new LocalKafka(LocalKafka.Options.inDirectory(dataDir), security);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            started.close();
                            deleteRecursively(dataDir);
                        },
                        "secured-broker-shutdown"));
        return started.start();
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            // A temporary directory left behind is the OS's to clean.
        }
    }
}
