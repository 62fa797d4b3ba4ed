package dev.skein.schemas.kafka;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * How every client of one Skein process reaches the cluster: the bootstrap servers and the settings
 * that every client takes alike (security protocol, TLS, SASL, anything passed through). Kafka
 * Streams, producers, consumers, share consumers and admin clients all start from
 * {@link #clientConfig()}, so a secured cluster is configured in one place.
 *
 * <p>{@link #toString()} hides every secret: a connection can be logged.
 *
 * @param bootstrapServers {@code host:port[,host:port...]}
 * @param settings client properties besides {@code bootstrap.servers}, applied to every client
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> settings) {

    public KafkaConnection {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("a Kafka connection needs bootstrap servers");
        }
        Objects.requireNonNull(settings, "settings");
        if (settings.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException("bootstrap.servers is the connection's own field, not a setting");
        }
        // Kept in the order given, so that what a client is handed reads like its configuration.
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** An unsecured connection: bootstrap servers only, Kafka's defaults for everything else. */
    public static KafkaConnection to(String bootstrapServers) {
        return new KafkaConnection(bootstrapServers, Map.of());
    }

    /** The same settings against other servers (the embedded broker, once it knows its port). */
    public KafkaConnection withBootstrapServers(String servers) {
        return new KafkaConnection(servers, settings);
    }

    /** A new, modifiable map for a client: bootstrap servers first, then the settings. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.putAll(settings);
        return config;
    }

    /** {@link #clientConfig()} as {@link Properties}, for the APIs that take them. */
    public Properties properties() {
        Properties properties = new Properties();
        properties.putAll(clientConfig());
        return properties;
    }

    /** Whether the connection authenticates or encrypts (any protocol but PLAINTEXT). */
    public boolean secured() {
        String protocol = settings.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        return !protocol.equalsIgnoreCase("PLAINTEXT");
    }

    /** True for a setting whose value must never be shown: Kafka's password-typed keys, and any that looks like one. */
    public static boolean isSecret(String key) {
        for (ConfigDef definitions : new ConfigDef[] {ProducerConfig.configDef(), ConsumerConfig.configDef()}) {
            ConfigDef.ConfigKey known = definitions.configKeys().get(key);
            if (known != null && known.type == ConfigDef.Type.PASSWORD) {
                return true;
            }
        }
        String lower = key.toLowerCase(Locale.ROOT);
        return lower.contains("password")
                || lower.contains("secret")
                || lower.contains("jaas")
                || lower.endsWith(".key");
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        settings.forEach((key, value) -> shown.put(key, isSecret(key) ? "[hidden]" : value));
        return "KafkaConnection[" + bootstrapServers + (shown.isEmpty() ? "" : ", " + shown) + "]";
    }
}
