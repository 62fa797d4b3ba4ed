package dev.skein.app.runtime;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentRunner;
import dev.skein.adapters.AgentRunnerOptions;
import dev.skein.adapters.AgentSpec;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.app.kafka.OAuthTokenEndpoints;
import dev.skein.app.tracing.ProcessTracing;
import dev.skein.ingress.A2aFeatures;
import dev.skein.ingress.Admission;
import dev.skein.ingress.ClusterReads;
import dev.skein.ingress.Health;
import dev.skein.ingress.IngressConfig;
import dev.skein.ingress.KafkaApiKeyView;
import dev.skein.ingress.KafkaCatalogView;
import dev.skein.ingress.KafkaSessionEvents;
import dev.skein.ingress.KafkaTenantLoad;
import dev.skein.ingress.KafkaTurnGateway;
import dev.skein.ingress.ProbeServer;
import dev.skein.ingress.RegistryApi;
import dev.skein.ingress.SkeinIngress;
import dev.skein.ingress.TracedTurnGateway;
import dev.skein.ingress.auth.ApiKeyStore;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.kafka.KafkaConnection;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.schemas.registry.RestSchemaRegistry;
import dev.skein.schemas.registry.SchemaRegistry;
import dev.skein.topologies.session.CoPartitioning;
import dev.skein.topologies.session.SessionPartitions;
import dev.skein.topologies.session.SessionStreamsConfig;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolWorker;
import dev.skein.workers.Tools;
import dev.skein.workers.WorkerOptions;
import dev.skein.workers.mcp.McpServerSpec;
import dev.skein.workers.mcp.McpToolSource;
import dev.skein.workers.node.NodeCapabilities;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Skein process: the parts its roles call for, started in dependency order and closed in
 * reverse. {@code skein up} runs every role with an embedded broker; {@code skein core},
 * {@code skein agents} and {@code skein worker} run one role each against a given cluster.
 */
public final class SkeinNode implements AutoCloseable {

    /** What a process runs. */
    public enum Role {
        /** The session topology and the HTTP/WebSocket ingress that queries its stores. */
        CORE,
        /** An agent runner. */
        AGENTS,
        /** A tool worker for the configured tier. */
        WORKER
    }

    private static final Logger log = LoggerFactory.getLogger(SkeinNode.class);

    private final SkeinConfig config;
    private final Set<Role> roles;
    /** A started part and what to call it when it is stopped. */
    private record Part(String name, AutoCloseable closeable) {}

    // Admin.close() waits without a bound for requests in flight: a node whose broker is gone would
    // never stop.

    private final Deque<Part> started = new ArrayDeque<>();
    private String bootstrapServers;
    private SkeinTopics topics;
    private SessionPartitions sessionPartitions;
    private SessionService sessions;
    private SkeinIngress ingress;
    private KafkaSessionEvents events;
    private KafkaCatalogView catalog;
    private KafkaApiKeyView apiKeys;
    /** Built first, so that a configuration the ingress refuses (the loopback rule) fails before anything starts. */
    private IngressConfig ingressConfig;

    private AgentRunner agentRunner;
    private ToolWorker toolWorker;
    private dev.skein.memory.MemoryStore memoryStore;
    private PrometheusMeterRegistry metrics;
    /** What the ingress serves under /registry: the embedded registry, or a pointer to the external one. */
    private RegistryApi registryApi;

    private EmbeddedSchemaRegistry embeddedRegistry;
    /** The HTTP port (chosen before the ingress listens when configured as 0) and what other instances reach. */
    private int listenPort;

    private HostInfo advertised;

    private final boolean embedBroker;
    private final List<AgentAdapter> adapters;

    private SkeinNode(SkeinConfig config, Set<Role> roles, boolean embedBroker, List<AgentAdapter> adapters) {
        this.config = config;
        this.roles = EnumSet.copyOf(roles);
        this.embedBroker = embedBroker;
        this.adapters = List.copyOf(adapters);
    }

    /**
     * Starts the roles; on failure closes whatever had started and rethrows.
     *
     * @param embedBroker when no bootstrap servers are configured: true starts the embedded broker,
     *     false joins the embedded broker of a {@code skein up} already running on this machine
     */
    public static SkeinNode start(SkeinConfig config, Set<Role> roles, boolean embedBroker) throws Exception {
        return start(config, roles, embedBroker, List.of());
    }

    /**
     * As {@link #start(SkeinConfig, Set, boolean)}, with agents built in code beside the configured
     * ones (a name may not be both).
     */
    public static SkeinNode start(SkeinConfig config, Set<Role> roles, boolean embedBroker, List<AgentAdapter> adapters)
            throws Exception {
        SkeinNode node = new SkeinNode(config, roles, embedBroker, adapters);
        try {
            node.startParts();
            return node;
        } catch (Exception | Error e) {
            node.close();
            throw e;
        }
    }

    private void startParts() throws Exception {
        HttpAddress.HeldPort heldHttpPort = null;
        if (roles.contains(Role.CORE)) {
            // A port of 0 is chosen here: it is advertised to the other instances before the ingress listens.
            heldHttpPort = HttpAddress.hold(config.httpHost(), config.httpPort());
            own("the held HTTP port", heldHttpPort);
            listenPort = heldHttpPort.port();
            ingressConfig = RoleOptions.ingress(config, listenPort);
        }
        Files.createDirectories(config.dataDir());
        // First, so that every part's spans are exported, and flushed after the last part closed.
        ProcessTracing tracing = ProcessTracing.start(
                config.tracing(),
                roles.stream().map(r -> r.name().toLowerCase()).toList());
        if (tracing != null) {
            own("the trace exporter", tracing);
        }
        metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        own("the metrics registry", metrics::close);
        bootstrapServers = config.bootstrapServers()
                .orElseGet(() -> embedBroker ? startEmbeddedBroker() : "127.0.0.1:" + config.embeddedKafkaPort());
        if (heldHttpPort != null) {
            heldHttpPort.close(); // the broker's ports are bound now: the ingress may have this one
        }
        KafkaConnection connection = config.kafkaConnection(bootstrapServers);
        OAuthTokenEndpoints.allow(connection);
        log.info("Kafka clients connect to {}", connection);
        // Every client of this node (admin, producers, consumers, share consumers, Kafka Streams)
        // starts from the same settings, so that a secured cluster is configured once.
        Map<String, Object> clients = Collections.unmodifiableMap(connection.clientConfig());

        SchemaRegistry registry;
        if (config.registryUrl().isPresent()) {
            registry = new RestSchemaRegistry(config.registryUrl().get());
            registryApi = RegistryApi.external(config.registryUrl().get());
        } else {
            EmbeddedSchemaRegistry embedded = new EmbeddedSchemaRegistry(
                    connection.properties(),
                    EmbeddedSchemaRegistry.defaultTopic(config.topicPrefix()),
                    config.replicationFactor(),
                    EmbeddedSchemaRegistry.DEFAULT_TIMEOUT,
                    config.createdTopicConfigs());
            registry = embedded;
            embeddedRegistry = embedded;
            registryApi = RegistryApi.serving(embedded);
        }
        own("the schema registry client", registry);
        topics = new SkeinTopics(config.topicPrefix(), registry);

        try (Admin admin = Admin.create(Map.copyOf(clients))) {
            TopicSetup.ensure(
                    admin,
                    topics,
                    config.tiers(),
                    config.partitions(),
                    config.replicationFactor(),
                    config.deltasRetention(),
                    config.createdTopicConfigs());
            if (roles.contains(Role.CORE)) {
                // The core serves the streams, so it keeps their retention promise (its ACLs allow it).
                TopicSetup.alignDeltasRetention(admin, topics, config.deltasRetention());
            }
            sessionPartitions = CoPartitioning.verify(admin, topics);
            // Share groups are configured by the runner and the workers themselves, before they join.
        }

        if (roles.contains(Role.CORE)) {
            // First, so that joining the group and restoring the stores overlap the rest of the start.
            startSessions(connection);
        }
        if (roles.contains(Role.WORKER)) {
            startWorker(clients);
        }
        if (roles.contains(Role.AGENTS)) {
            List<AgentSpec> specs = config.agents();
            List<AgentAdapter> agents = Agents.build(specs, adapters, config.environment());
            Map<String, AgentSpec> specsByName = new LinkedHashMap<>();
            specs.forEach(spec -> specsByName.put(spec.name(), spec));
            AgentRunnerOptions options = RoleOptions.agentRunner(config, agentGroup());
            var memories = FeatureParts.memoryInjection(config, () -> memoryStore(clients), this::own);
            AgentRunner runner = new AgentRunner(clients, topics, agents, specsByName, options, memories);
            agentRunner = runner;
            own("the agent runner", runner);
            runner.start();
        }
        if (roles.contains(Role.CORE)) {
            startCore(clients);
        } else if (config.probePort().isPresent()) {
            ProbeServer probes =
                    new ProbeServer(config.httpHost(), config.probePort().getAsInt(), this::health, metrics);
            own("the probe server", probes);
            probes.start();
            log.info("Serving /health and /metrics on {}:{}", config.httpHost(), probes.port());
        }
    }

    private void startWorker(Map<String, Object> clients) throws InterruptedException {
        WorkerOptions options = RoleOptions.worker(config, NodeCapabilities.detect());
        List<String> tiers = options.tiers();
        List<Tool> tools = new java.util.ArrayList<>(Tools.discover());
        dev.skein.memory.MemoryStore memory = memoryStore(clients);
        if (memory != null) {
            tools.addAll(dev.skein.workers.memory.MemoryTools.all(
                    memory, config.memory().recallLimit()));
        }
        ToolWorker worker = new ToolWorker(clients, topics, tools, options, metrics);
        toolWorker = worker;
        own("the tool worker", worker);
        // MCP servers connect before the worker starts, so that their tools are in its first
        // heartbeat; one that cannot be reached is retried in the background and the worker starts.
        for (McpServerSpec server : config.mcpServers()) {
            if (tiers.contains(server.tier())) {
                McpToolSource source = new McpToolSource(server, new McpToolSource.Offers() {
                    @Override
                    public void offer(java.util.Collection<? extends Tool> offered) throws InterruptedException {
                        worker.offer(offered);
                    }

                    @Override
                    public void withdraw(java.util.Collection<String> names) throws InterruptedException {
                        worker.withdraw(names);
                    }
                });
                own("the MCP server " + server.name(), source);
                source.start();
            }
        }
        worker.start();
        log.info(
                "Tool worker {} serving tiers {} with {} and tools {}",
                worker.workerId(),
                tiers,
                options.capabilities().resources(),
                tools.stream().map(Tool::name).sorted().toList());
    }

    private void startSessions(KafkaConnection connection) throws Exception {
        Path stateDir = config.dataDir().resolve("streams");
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, (int)
                config.commitInterval().toMillis());
        overrides.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        overrides.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        // Static membership: a restarted process (even after SIGKILL) takes its tasks back at once
        // instead of waiting for the group to notice that its previous incarnation is gone. The id
        // follows the state directory, which only one process can hold at a time.
        overrides.put(
                StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                streamsApplicationId() + "-" + InetAddress.getLocalHost().getHostName() + "-"
                        + Integer.toHexString(
                                stateDir.toAbsolutePath().toString().hashCode()));
        int sessionTimeoutMs = (int) config.streamsSessionTimeout().toMillis();
        overrides.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), sessionTimeoutMs);
        // Three heartbeats per session timeout (the consumer's 3 s default would not fit a short one).
        overrides.put(
                StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                Math.min(3000, sessionTimeoutMs / 3));
        overrides.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), (int)
                config.streamsTransactionTimeout().toMillis());
        // The HTTP address other instances forward this one's sessions' reads to.
        advertised = new HostInfo(HttpAddress.advertisedHost(config), listenPort);
        overrides.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised.host() + ":" + advertised.port());
        // The changelogs and repartition topics Kafka Streams creates get what Skein's own topics get.
        config.createdTopicConfigs().forEach((key, value) -> overrides.put(StreamsConfig.topicPrefix(key), value));
        overrides.putAll(config.streamsProperties());
        sessions = new SessionService(
                topics,
                config.sessionTopology(),
                config.commitRequests(),
                sessionPartitions,
                SessionStreamsConfig.properties(
                        connection, streamsApplicationId(), stateDir, topics, config.replicationFactor(), overrides));
        own("the session topology", sessions);
        sessions.start();
    }

    private void startCore(Map<String, Object> clients) throws Exception {
        sessions.awaitRunning(config.streamsStartupTimeout());

        KafkaTurnGateway gateway = new KafkaTurnGateway(clients, topics);
        own("the turn gateway", gateway);
        // One producer for what the ingress's readers cannot read; closed after both of them.
        EventProducer ingressDeadLetters = new EventProducer(clients, "ingress");
        own("the ingress readers' dead-letter producer", ingressDeadLetters);
        if (embeddedRegistry != null) {
            EventProducer registryDeadLetters = new EventProducer(clients, "schema-registry");
            own("the schema registry's dead-letter producer", registryDeadLetters);
            RegistryDeadLetters.attach(embeddedRegistry, registryDeadLetters, topics.deadLetters);
        }
        events = new KafkaSessionEvents(clients, topics, ingressDeadLetters, config.streamSettings());
        own("the session event reader", events);
        catalog = new KafkaCatalogView(
                clients,
                topics,
                config.sessionTopology().workerTimeout(),
                config.workerForgetAfter(),
                ingressDeadLetters);
        own("the catalog view", catalog);
        CoreMetrics.start(clients, topics, config, catalog, sessions, events, metrics, agentGroup(), this::own);
        ApiKeyStore keys = ApiKeyStore.NONE;
        if (ingressConfig.auth().enabled() && ingressConfig.auth().keysTopic()) {
            apiKeys = new KafkaApiKeyView(clients, topics, ingressDeadLetters);
            own("the API key view", apiKeys);
            keys = apiKeys;
        }

        // Listen only once completions can be seen: a turn waited on at once must not miss its answer.
        events.ready().get(config.streamsStartupTimeout().toMillis(), TimeUnit.MILLISECONDS);
        StreamsSessionDirectory directory =
                sessions.directory(advertised, config.httpTls() == null ? "http" : "https", config.partitions());
        // Read back further than a turn may take, so that a restarted instance knows the turns still running.
        Duration lookback = config.sessionTopology().turnTimeout().plusSeconds(30);
        KafkaTenantLoad load = new KafkaTenantLoad(clients, topics, lookback, directory::holdsActive, metrics);
        own("the tenant load reader", load);
        ClusterReads reads =
                new ClusterReads(directory, config.clusterSecret(), config.standbyReads(), config.forwardTimeout());
        if (config.clusterSecret().isEmpty() && !HttpAddress.isLoopback(config.httpHost())) {
            log.warn(
                    "skein.cluster.secret is empty while the HTTP API listens on {}: reads forwarded between"
                            + " instances are not signed; set the same secret on every instance",
                    config.httpHost());
        }
        // And only once the keys are known: a key added before the start must pass at once.
        if (apiKeys != null) {
            apiKeys.ready().get(config.streamsStartupTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        A2aFeatures a2a =
                FeatureParts.a2a(config, ingressConfig.a2a().enabled(), clients, topics, ingressDeadLetters, this::own);
        // Every turn, whichever path creates it, gets its span (not recording while tracing is off).
        TracedTurnGateway traced = new TracedTurnGateway(gateway, events, lookback);
        ingress = SkeinIngress.builder(ingressConfig, traced, events, this::health)
                .sessions(reads)
                .catalog(catalog)
                .metrics(metrics)
                .registry(registryApi)
                .admission(new Admission(config.tenantQuotas(), load, RoleOptions.sessionAdmission(config, adapters)))
                .keys(keys)
                .a2a(a2a)
                .memory(memoryStore(clients))
                .build();
        own("the HTTP ingress", ingress);
        ingress.start();
    }

    /**
     * The node's long-term memory, or null when skein.memory is off. The worker's tools and the
     * ingress's /v1/memory of one process share it: one index, one model.
     */
    private synchronized dev.skein.memory.MemoryStore memoryStore(Map<String, Object> clients) {
        if (memoryStore == null) {
            memoryStore = FeatureParts.memory(config, clients, topics, this::own);
        }
        return memoryStore;
    }

    /** Closed with the node, after every part started later. */
    private void own(String name, AutoCloseable part) {
        started.push(new Part(name, part));
    }

    private String startEmbeddedBroker() {
        LocalKafka kafka =
                new LocalKafka(LocalKafka.Options.inDirectory(config.dataDir().resolve("kafka"))
                        .withBrokerPort(config.embeddedKafkaPort()));
        own("the embedded broker", kafka);
        kafka.start();
        log.info(
                "Embedded Kafka broker on {} (data in {})",
                kafka.bootstrapServers(),
                config.dataDir().resolve("kafka"));
        return kafka.bootstrapServers();
    }

    private String agentGroup() {
        return config.agentShareGroup().orElseGet(() -> topics.groupId("agents"));
    }

    private String streamsApplicationId() {
        return config.streamsApplicationId().orElseGet(() -> topics.groupId("sessions"));
    }

    /** What {@code GET /health} reports. */
    public Health health() {
        Map<String, Health.Component> components = new LinkedHashMap<>();
        if (sessions != null) {
            KafkaStreams.State state = sessions.state();
            components.put(
                    "session-topology",
                    state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING
                            ? Health.Component.up(state.name())
                            : Health.Component.down(state.name()));
        }
        if (events != null) {
            components.put("session-events", events.health());
        }
        if (catalog != null) {
            components.put("tool-catalog", catalog.health());
        }
        if (apiKeys != null) {
            components.put("api-keys", apiKeys.health());
        }
        if (agentRunner != null) {
            components.put("agent-runner", running(agentRunner.isRunning()));
        }
        if (toolWorker != null) {
            components.put("tool-worker", running(toolWorker.isRunning()));
        }
        return new Health(components);
    }

    private static Health.Component running(boolean running) {
        return running ? Health.Component.up("RUNNING") : Health.Component.down("STOPPED");
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public SkeinTopics topics() {
        return topics;
    }

    /** The HTTP port, when this node runs the ingress. */
    public Optional<Integer> httpPort() {
        return Optional.ofNullable(ingress).map(SkeinIngress::port);
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            Part part = started.pop();
            long begin = System.nanoTime();
            log.info("Stopping {}", part.name());
            try {
                part.closeable().close();
            } catch (Exception e) {
                log.warn("Stopping {} failed: {}", part.name(), e.toString());
            }
            long tookMs = (System.nanoTime() - begin) / 1_000_000;
            if (tookMs >= 1000) {
                log.info("Stopping {} took {} ms", part.name(), tookMs);
            }
        }
    }
}
