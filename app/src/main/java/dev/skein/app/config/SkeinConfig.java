package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.skein.topologies.session.SessionTopologyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Skein's configuration, layered: defaults ({@code reference.conf}, which documents every key)
 * &lt; a file &lt; environment variables &lt; command-line flags. Validated on load; a bad value
 * fails with the key it is under.
 */
public final class SkeinConfig {

    private final Config config;

    private SkeinConfig(Config config) {
        this.config = config;
        validate();
    }

    /**
     * @param file an optional HOCON/JSON/properties file
     * @param flags values from the command line, by full key (for example {@code skein.http.port})
     */
    public static SkeinConfig load(Optional<Path> file, Map<String, ?> flags) {
        Config layered = ConfigFactory.parseMap(flags, "command-line flags");
        if (file.isPresent()) {
            if (!Files.isReadable(file.get())) {
                throw new IllegalArgumentException("configuration file " + file.get() + " cannot be read");
            }
            layered = layered.withFallback(ConfigFactory.parseFile(file.get().toFile(),
                    ConfigParseOptions.defaults().setAllowMissing(false)));
        }
        // reference.conf resolves the ${?SKEIN_...} environment overrides of each key.
        return new SkeinConfig(layered.withFallback(ConfigFactory.defaultReference()).resolve());
    }

    public static SkeinConfig defaults() {
        return load(Optional.empty(), Map.of());
    }

    private void validate() {
        try {
            dataDir();
            if (httpPort() < 0 || httpPort() > 65535) {
                throw new ConfigException.BadValue("skein.http.port", "must be between 0 and 65535");
            }
            if (partitions() < 1) {
                throw new ConfigException.BadValue("skein.topics.partitions", "must be at least 1");
            }
            if (!tiers().contains(workerTier())) {
                throw new ConfigException.BadValue("skein.workers.tier",
                        "'" + workerTier() + "' is not one of skein.workers.tiers " + tiers());
            }
            sessionTopology();
            commitInterval();
            registryUrl();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("Invalid configuration: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid configuration: " + e.getMessage(), e);
        }
    }

    public Path dataDir() {
        return Path.of(config.getString("skein.data-dir")).toAbsolutePath();
    }

    /** Empty when Skein should start its embedded broker. */
    public Optional<String> bootstrapServers() {
        return nonBlank(config.getString("skein.kafka.bootstrap-servers"));
    }

    public int embeddedKafkaPort() {
        return config.getInt("skein.kafka.embedded-port");
    }

    /** Empty when Skein should use its embedded registry. */
    public Optional<String> registryUrl() {
        return nonBlank(config.getString("skein.schema-registry.url"));
    }

    public String topicPrefix() {
        return config.getString("skein.topics.prefix");
    }

    public int partitions() {
        return config.getInt("skein.topics.partitions");
    }

    public short replicationFactor() {
        return (short) config.getInt("skein.topics.replication-factor");
    }

    public String httpHost() {
        return config.getString("skein.http.host");
    }

    public int httpPort() {
        return config.getInt("skein.http.port");
    }

    public int maxMessageBytes() {
        return config.getInt("skein.http.max-message-bytes");
    }

    public String defaultTenant() {
        return config.getString("skein.http.default-tenant");
    }

    public Duration defaultWait() {
        return config.getDuration("skein.http.default-wait");
    }

    public Duration maxWait() {
        return config.getDuration("skein.http.max-wait");
    }

    public SessionTopologyConfig sessionTopology() {
        return new SessionTopologyConfig(
                config.getString("skein.session.default-agent"),
                config.getDuration("skein.session.turn-timeout"),
                config.getInt("skein.session.max-queued-turns"),
                config.getInt("skein.session.max-steps"),
                config.getInt("skein.session.max-agent-attempts"),
                config.getInt("skein.session.context-messages"),
                tiers(),
                config.getDuration("skein.session.deadline-check-interval"),
                config.getInt("skein.session.remembered-turn-ids"));
    }

    public String streamsApplicationId() {
        return config.getString("skein.streams.application-id");
    }

    public Duration commitInterval() {
        return config.getDuration("skein.streams.commit-interval");
    }

    public int streamThreads() {
        return config.getInt("skein.streams.threads");
    }

    public int standbyReplicas() {
        return config.getInt("skein.streams.standby-replicas");
    }

    public Duration streamsSessionTimeout() {
        return config.getDuration("skein.streams.session-timeout");
    }

    public Duration streamsStartupTimeout() {
        return config.getDuration("skein.streams.startup-timeout");
    }

    public String agentShareGroup() {
        return config.getString("skein.agents.share-group");
    }

    public Duration agentTimeout() {
        return config.getDuration("skein.agents.timeout");
    }

    public List<String> tiers() {
        return config.getStringList("skein.workers.tiers");
    }

    public String workerTier() {
        return config.getString("skein.workers.tier");
    }

    public Duration heartbeatInterval() {
        return config.getDuration("skein.workers.heartbeat-interval");
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
