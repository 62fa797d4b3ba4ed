package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import dev.skein.adapters.AgentSpec;
import dev.skein.events.DoubleTexting;
import dev.skein.ingress.A2aSettings;
import dev.skein.ingress.IngressConfig;
import dev.skein.ingress.StreamSettings;
import dev.skein.ingress.TenantQuotas;
import dev.skein.ingress.auth.AuthConfig;
import dev.skein.schemas.TenantAccess;
import dev.skein.schemas.kafka.Dispatch;
import dev.skein.schemas.kafka.KafkaConnection;
import dev.skein.schemas.resources.ByteSize;
import dev.skein.topologies.routing.TierEnvelope;
import dev.skein.topologies.session.ApprovalPolicy;
import dev.skein.topologies.session.SessionTopologyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Skein's configuration, layered: defaults ({@code reference.conf}, which documents every key)
 * &lt; a file &lt; environment variables &lt; command-line flags ({@link ConfigLayers}). Validated
 * on load; a bad value fails with the key it is under.
 */
public final class SkeinConfig {

    private final Config config;
    private final Map<String, String> environment;

    private SkeinConfig(Config config, Map<String, String> environment) {
        this.config = config;
        this.environment = Map.copyOf(environment);
        validate();
    }

    /**
     * @param file an optional HOCON/JSON/properties file
     * @param flags values from the command line, by full key (for example {@code skein.http.port})
     */
    public static SkeinConfig load(Optional<Path> file, Map<String, ?> flags) {
        return load(file, flags, System.getenv());
    }

    /** As {@link #load(Optional, Map)}, with the environment given (for tests). */
    public static SkeinConfig load(Optional<Path> file, Map<String, ?> flags, Map<String, String> environment) {
        Config layered = ConfigLayers.resolve(file, flags, environment);
        try {
            return new SkeinConfig(layered, environment);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("Invalid configuration: " + e.getMessage(), e);
        }
    }

    /** The environment variable of a key: skein.http.port is SKEIN_HTTP_PORT. */
    public static String environmentVariableOf(String key) {
        return ConfigLayers.environmentVariableOf(key);
    }

    public static SkeinConfig defaults() {
        return load(Optional.empty(), Map.of());
    }

    /** Reads every key once, so that a bad value fails the start naming its key (see {@link ConfigChecks}). */
    private void validate() {
        ConfigChecks.check(this);
    }

    public Path dataDir() {
        return Path.of(config.getString("skein.data-dir")).toAbsolutePath();
    }

    /** Empty when Skein should start its embedded broker. */
    public Optional<String> bootstrapServers() {
        return nonBlank(config.getString("skein.kafka.bootstrap-servers"));
    }

    /**
     * The properties every Kafka client of this process takes besides the bootstrap servers:
     * {@code skein.kafka.security} turned into Kafka's keys, then {@code skein.kafka.client-properties}.
     * Empty for a plaintext cluster.
     */
    public Map<String, String> kafkaClientSettings() {
        return KafkaSecurityReader.read(config);
    }

    /** How this process's clients reach the cluster at {@code servers}: {@link #kafkaClientSettings()} applied. */
    public KafkaConnection kafkaConnection(String servers) {
        return new KafkaConnection(servers, kafkaClientSettings());
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

    static final String MIN_INSYNC_REPLICAS = "skein.topics.min-insync-replicas";

    /** {@code min.insync.replicas} of the topics Skein creates; empty: the brokers' default. */
    public OptionalInt minInsyncReplicas() {
        return nonBlank(config.getString(MIN_INSYNC_REPLICAS))
                .map(text -> OptionalInt.of(config.getInt(MIN_INSYNC_REPLICAS)))
                .orElse(OptionalInt.empty());
    }

    /**
     * The configs every topic Skein creates gets besides its own (retention, compaction): {@code
     * min.insync.replicas} when {@link #minInsyncReplicas()} is set, else none.
     */
    public Map<String, String> createdTopicConfigs() {
        OptionalInt minInsync = minInsyncReplicas();
        return minInsync.isPresent()
                ? Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minInsync.getAsInt()))
                : Map.of();
    }

    public String httpHost() {
        return config.getString("skein.http.host");
    }

    public int httpPort() {
        return config.getInt("skein.http.port");
    }

    static final String PROBE_PORT = "skein.http.probe-port";

    /** Where a process without the HTTP API serves /health and /metrics; empty: nowhere. */
    public OptionalInt probePort() {
        return nonBlank(config.getString(PROBE_PORT))
                .map(text -> OptionalInt.of(config.getInt(PROBE_PORT)))
                .orElse(OptionalInt.empty());
    }

    /** The host other instances reach this one's HTTP API at; empty: derived from the listen host. */
    public Optional<String> advertisedHost() {
        return nonBlank(config.getString("skein.cluster.advertised-host"));
    }

    public String clusterSecret() {
        return config.getString("skein.cluster.secret");
    }

    public boolean standbyReads() {
        return config.getBoolean("skein.cluster.standby-reads");
    }

    public Duration forwardTimeout() {
        return config.getDuration("skein.cluster.forward-timeout");
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

    public Duration httpIdleTimeout() {
        return config.getDuration("skein.http.idle-timeout");
    }

    public Duration httpRequestHeaderTimeout() {
        return config.getDuration("skein.http.request-header-timeout");
    }

    /** How session streams (SSE, WebSocket) are served: {@code skein.event-streams}. */
    public StreamSettings streamSettings() {
        return new StreamSettings(
                config.getDuration("skein.event-streams.heartbeat"),
                config.getInt("skein.event-streams.replay-readers"),
                config.getInt("skein.event-streams.max-pending-events"),
                config.getDuration("skein.event-streams.turn-lookback"));
    }

    /** How long {@code skein.deltas} keeps a session's events, and so how far back a stream can resume. */
    public Duration deltasRetention() {
        return config.getDuration("skein.topics.deltas-retention");
    }

    public SessionTopologyConfig sessionTopology() {
        return new SessionTopologyConfig(
                defaultAgent(),
                config.getDuration("skein.session.turn-timeout"),
                config.getInt("skein.session.max-queued-turns"),
                config.getInt("skein.session.max-steps"),
                config.getInt("skein.session.max-agent-attempts"),
                config.getInt("skein.session.context-messages"),
                tiers(),
                config.getDuration("skein.session.deadline-check-interval"),
                config.getInt("skein.session.remembered-turn-ids"),
                config.getDuration("skein.session.worker-timeout"),
                config.getDuration("skein.session.cache-ttl"),
                approvals(),
                tenantAccess(),
                doubleTexting(),
                ContextReader.context(config, agents()),
                config.getInt("skein.trace.keep-turns"),
                AgentsReader.tools(config, agents()),
                ContextReader.extraction(config, agents()),
                RetentionReader.read(config));
    }

    /** {@code skein.auth}: API keys and JWT, and whether an unauthenticated API may leave loopback. */
    public AuthConfig auth() {
        return AuthReader.auth(config);
    }

    /** {@code skein.http.tls}: the PEM files to serve HTTPS with; null for plain HTTP. */
    public IngressConfig.Tls httpTls() {
        return AuthReader.tls(config);
    }

    /** {@code skein.tenants}: the agents and tools each tenant may use. */
    public TenantAccess tenantAccess() {
        return AuthReader.tenants(config);
    }

    /**
     * {@code skein.session.approvals}: the tools whose calls wait for a person's approval, for
     * every session ({@code tools}), by agent ({@code by-agent}) and by tenant ({@code by-tenant});
     * {@code "*"} names every tool.
     */
    /**
     * {@code skein.session.double-texting}: what a turn does when it arrives while its session is
     * busy, unless the turn or the session names a policy: enqueue, reject, interrupt or rollback.
     */
    public DoubleTexting doubleTexting() {
        String value = config.getString("skein.session.double-texting");
        try {
            return DoubleTexting.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(
                    "skein.session.double-texting",
                    "must be enqueue, reject, interrupt or rollback, got '" + value + "'");
        }
    }

    /** {@code skein.quotas}: what each tenant may use at once (0: no limit). */
    public TenantQuotas tenantQuotas() {
        return QuotasReader.read(config);
    }

    public ApprovalPolicy approvals() {
        return ApprovalsReader.read(config);
    }

    /** Empty for the default, {@code <prefix>sessions} (skein-sessions). */
    public Optional<String> streamsApplicationId() {
        return nonBlank(config.getString("skein.streams.application-id"));
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

    /** Kafka Streams' producer {@code transaction.timeout.ms}: how long a transaction left open by a dead process holds back read_committed readers. */
    public Duration streamsTransactionTimeout() {
        return config.getDuration("skein.streams.transaction-timeout");
    }

    public Duration streamsStartupTimeout() {
        return config.getDuration("skein.streams.startup-timeout");
    }

    /** Empty for the default, {@code <prefix>agents} (skein-agents). */
    public Optional<String> agentShareGroup() {
        return nonBlank(config.getString("skein.agents.share-group"));
    }

    public Map<String, String> environment() {
        return environment;
    }

    public Duration agentTimeout() {
        return config.getDuration("skein.agents.timeout");
    }

    /** {@code skein.agents.delta-window}, {@code skein.agents.consumers}, {@code skein.worker.consumers}. */
    public PoolSettings pools() {
        return PoolSettings.read(config);
    }

    /** The tier share groups' session timeout; empty: the broker's default. */
    public Optional<Duration> workerSessionTimeout() {
        return optionalDuration("skein.worker.session-timeout");
    }

    /** {@code skein.agents.dispatch}: when agent runners may take a request (docs/dispatch.md). */
    public Dispatch agentDispatch() {
        return DispatchReader.agents(config);
    }

    /** A tier's dispatch: its {@code skein.tiers} entry's {@code dispatch}, else {@code skein.worker.dispatch}. */
    public Dispatch tierDispatch(String tier) {
        return DispatchReader.tier(config, tier);
    }

    /** The agents share group's session timeout; empty: the broker's default. */
    public Optional<Duration> agentSessionTimeout() {
        return optionalDuration("skein.agents.session-timeout");
    }

    /** A duration whose empty string means "not set" (the broker's default applies). */
    private Optional<Duration> optionalDuration(String key) {
        return nonBlank(config.getString(key)).map(text -> config.getDuration(key));
    }

    /** The agent of turns that name none. */
    /** The agents by name, from {@code skein.agents.definitions} (and the environment, see reference.conf). */
    public List<AgentSpec> agents() {
        return AgentsReader.agents(config, environment);
    }

    /** The agent of turns that name none: {@code skein.session.default-agent}, else openai or demo. */
    public String defaultAgent() {
        return AgentsReader.defaultAgent(config, environment);
    }

    /**
     * What is served over A2A 1.0 ({@code skein.a2a}): every agent of {@link #agents()}, the
     * default agent on the well-known card.
     *
     * @throws ConfigException.BadValue naming the key of a bad value
     */
    public A2aSettings a2a() {
        return AgentsReader.a2a(config, environment);
    }

    /** A2A push notifications ({@code skein.a2a.push}). */
    public dev.skein.ingress.A2aPushSettings a2aPush() {
        return A2aReader.push(config);
    }

    /** The key that signs the agent cards ({@code skein.a2a.signing-key-path}); empty: cards are not signed. */
    public java.util.Optional<java.nio.file.Path> a2aSigningKey() {
        return A2aReader.signingKey(config);
    }

    /** The tiers, smallest first, from {@code skein.tiers}. */
    public List<TierEnvelope> tiers() {
        return TiersReader.tiers(config);
    }

    /** Tiers this process's worker serves; empty for every tier its node can serve. */
    public List<String> workerTiers() {
        return config.getStringList("skein.worker.tiers");
    }

    /** Empty for the default id (host-pid). */
    public Optional<String> workerId() {
        return nonBlank(config.getString("skein.worker.id"));
    }

    /** Configured cpus, or empty to detect them. */
    public Optional<Double> workerCpus() {
        double cpus = config.getDouble("skein.worker.cpus");
        return cpus > 0 ? Optional.of(cpus) : Optional.empty();
    }

    /** Configured GPUs, or empty to detect them. */
    public Optional<Integer> workerGpus() {
        int gpus = config.getInt("skein.worker.gpus");
        return gpus >= 0 ? Optional.of(gpus) : Optional.empty();
    }

    /** Configured memory in bytes, or empty to detect it. */
    public Optional<Long> workerMemoryBytes() {
        // The same reading of sizes as the tool API's (ByteSize: every unit binary, 64g = 64GB = 64 GiB).
        return nonBlank(config.getString("skein.worker.memory")).map(ByteSize::parse);
    }

    /**
     * Kafka Streams properties of the session topology, applied after Skein's own (which they may
     * override): {@code skein.streams.properties { "max.task.idle.ms" = -1 }}. Dotted keys may be
     * quoted or not; either way they become the dotted property name.
     */
    public Map<String, String> streamsProperties() {
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> entry :
                config.getConfig("skein.streams.properties").entrySet()) {
            result.put(
                    String.join(".", ConfigUtil.splitPath(entry.getKey())),
                    String.valueOf(entry.getValue().unwrapped()));
        }
        return result;
    }

    /** Custom resources this node offers. */
    public Map<String, Double> workerResources() {
        Config resources = config.getConfig("skein.worker.resources");
        Map<String, Double> result = new LinkedHashMap<>();
        resources.root().keySet().forEach(k -> result.put(k, resources.getDouble(k)));
        return result;
    }

    /** {@code skein.mcp.servers}: the MCP servers whose tools workers of their tier import. */
    public List<dev.skein.workers.mcp.McpServerSpec> mcpServers() {
        return McpReader.read(config, tiers().stream().map(TierEnvelope::name).toList());
    }

    /** {@code skein.tracing}: OpenTelemetry traces, off unless enabled. */
    public dev.skein.app.tracing.TracingSettings tracing() {
        return TracingReader.read(config);
    }

    /** How long the agent runner waits for the memories it adds to an invocation ({@code skein.memory.injection-timeout}). */
    public Duration memoryInjectionTimeout() {
        return config.getDuration("skein.memory.injection-timeout");
    }

    /** Long-term memory ({@code skein.memory}). */
    public dev.skein.memory.MemorySettings memory() {
        try {
            return new dev.skein.memory.MemorySettings(
                    config.getBoolean("skein.memory.enabled"),
                    config.getString("skein.memory.embedder"),
                    config.getInt("skein.memory.recall-limit"),
                    config.getDuration("skein.memory.write-timeout"),
                    new dev.skein.memory.MemorySettings.OpenAi(
                            config.getString("skein.memory.openai.base-url"),
                            config.getString("skein.memory.openai.model"),
                            config.getInt("skein.memory.openai.dimensions"),
                            config.getString("skein.memory.openai.api-key"),
                            config.getDuration("skein.memory.openai.timeout")));
        } catch (IllegalArgumentException e) {
            throw new com.typesafe.config.ConfigException.BadValue("skein.memory", e.getMessage());
        }
    }

    public int workerMaxInFlight() {
        return config.getInt("skein.worker.max-in-flight");
    }

    /** {@code skein.session.worker-forget-after}: when a silent worker is dropped from the ingress's views. */
    public Duration workerForgetAfter() {
        return config.getDuration("skein.session.worker-forget-after");
    }

    public Duration heartbeatInterval() {
        return config.getDuration("skein.worker.heartbeat-interval");
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
