package dev.skein.app.config;

import com.typesafe.config.ConfigException;
import dev.skein.adapters.AgentSpec;
import dev.skein.topologies.routing.TierEnvelope;
import java.util.List;
import java.util.OptionalInt;

/**
 * The checks of a configuration as a whole, run once when it is loaded: every key is read (so
 * that a bad value fails the start naming its key), and what no single key can say is checked
 * here (ports in range, min ISR within the replication factor, worker tiers that exist, handoffs
 * to defined agents).
 */
final class ConfigChecks {

    private ConfigChecks() {}

    /** @throws IllegalArgumentException "Invalid configuration: ..." naming the key */
    static void check(SkeinConfig config) {
        try {
            config.dataDir();
            config.tracing();
            if (config.httpPort() < 0 || config.httpPort() > 65535) {
                throw new ConfigException.BadValue("skein.http.port", "must be between 0 and 65535");
            }
            OptionalInt probePort = config.probePort();
            if (probePort.isPresent() && (probePort.getAsInt() < 0 || probePort.getAsInt() > 65535)) {
                throw new ConfigException.BadValue(SkeinConfig.PROBE_PORT, "must be empty or between 0 and 65535");
            }
            if (config.partitions() < 1) {
                throw new ConfigException.BadValue("skein.topics.partitions", "must be at least 1");
            }
            if (config.replicationFactor() < 1) {
                throw new ConfigException.BadValue("skein.topics.replication-factor", "must be at least 1");
            }
            OptionalInt minInsync = config.minInsyncReplicas();
            if (minInsync.isPresent()
                    && (minInsync.getAsInt() < 1 || minInsync.getAsInt() > config.replicationFactor())) {
                throw new ConfigException.BadValue(
                        SkeinConfig.MIN_INSYNC_REPLICAS,
                        "must be empty (the brokers' default) or between 1 and skein.topics.replication-factor ("
                                + config.replicationFactor() + "), was " + minInsync.getAsInt());
            }
            List<String> tierNames =
                    config.tiers().stream().map(TierEnvelope::name).toList();
            for (String tier : config.workerTiers()) {
                if (!tierNames.contains(tier)) {
                    throw new ConfigException.BadValue(
                            "skein.worker.tiers",
                            "'" + tier + "' is not a configured tier " + tierNames + " (skein.tiers)");
                }
            }
            config.workerMemoryBytes();
            config.workerResources();
            config.streamsProperties();
            config.tenantQuotas();
            try {
                config.streamSettings();
            } catch (IllegalArgumentException e) {
                throw new ConfigException.BadValue("skein.event-streams", e.getMessage());
            }
            if (config.deltasRetention().isNegative()
                    || config.deltasRetention().isZero()) {
                throw new ConfigException.BadValue("skein.topics.deltas-retention", "must be positive");
            }
            if (config.forwardTimeout().isNegative() || config.forwardTimeout().isZero()) {
                throw new ConfigException.BadValue("skein.cluster.forward-timeout", "must be positive");
            }
            config.pools();
            config.agentSessionTimeout();
            config.agentDispatch();
            tierNames.forEach(config::tierDispatch);
            config.workerSessionTimeout();
            config.sessionTopology();
            List<AgentSpec> agents = config.agents();
            List<String> names = agents.stream().map(AgentSpec::name).toList();
            // Whether the default agent exists is checked where agents are built: it may be one built in code.
            for (AgentSpec agent : agents) {
                for (String target : agent.handoffs()) {
                    if (!names.contains(target)) {
                        throw new ConfigException.BadValue(
                                "skein.agents.definitions." + agent.name() + ".handoffs",
                                "'" + target + "' is not a defined agent " + names);
                    }
                }
            }
            config.mcpServers();
            // A transaction lasts at least one commit interval: a timeout below it would abort every one.
            if (config.streamsTransactionTimeout().compareTo(config.commitInterval()) <= 0) {
                throw new ConfigException.BadValue(
                        "skein.streams.transaction-timeout",
                        "must be longer than skein.streams.commit-interval (" + config.commitInterval() + ")");
            }
            config.registryUrl();
            config.kafkaClientSettings();
            config.auth();
            config.httpTls();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("Invalid configuration: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid configuration: " + e.getMessage(), e);
        }
    }
}
