package dev.skein.app.runtime;

import dev.skein.adapters.AgentRunner;
import dev.skein.adapters.demo.DemoAgent;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.ingress.Health;
import dev.skein.ingress.HistoryReader;
import dev.skein.ingress.IngressConfig;
import dev.skein.ingress.KafkaSessionEvents;
import dev.skein.ingress.KafkaTurnGateway;
import dev.skein.ingress.SessionView;
import dev.skein.ingress.SkeinIngress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.ShareGroups;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.schemas.registry.RestSchemaRegistry;
import dev.skein.schemas.registry.SchemaRegistry;
import dev.skein.topologies.session.CoPartitioning;
import dev.skein.topologies.session.SessionStreamsConfig;
import dev.skein.workers.ToolWorker;
import dev.skein.workers.builtin.BuiltinTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.net.InetAddress;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
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
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private String bootstrapServers;
    private SkeinTopics topics;
    private SessionService sessions;
    private SkeinIngress ingress;
    private KafkaSessionEvents events;

    private final boolean embedBroker;

    private SkeinNode(SkeinConfig config, Set<Role> roles, boolean embedBroker) {
        this.config = config;
        this.roles = EnumSet.copyOf(roles);
        this.embedBroker = embedBroker;
    }

    /**
     * Starts the roles; on failure closes whatever had started and rethrows.
     *
     * @param embedBroker when no bootstrap servers are configured: true starts the embedded broker,
     *     false joins the embedded broker of a {@code skein up} already running on this machine
     */
    public static SkeinNode start(SkeinConfig config, Set<Role> roles, boolean embedBroker) throws Exception {
        SkeinNode node = new SkeinNode(config, roles, embedBroker);
        try {
            node.startParts();
            return node;
        } catch (Exception | Error e) {
            node.close();
            throw e;
        }
    }

    private void startParts() throws Exception {
        Files.createDirectories(config.dataDir());
        bootstrapServers = config.bootstrapServers().orElseGet(() -> embedBroker
                ? startEmbeddedBroker() : "127.0.0.1:" + config.embeddedKafkaPort());
        Map<String, Object> clients = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);

        SchemaRegistry registry = config.registryUrl()
                .<SchemaRegistry>map(RestSchemaRegistry::new)
                .orElseGet(() -> new EmbeddedSchemaRegistry(bootstrapServers,
                        EmbeddedSchemaRegistry.defaultTopic(config.topicPrefix()), config.replicationFactor()));
        started.push(registry);
        topics = new SkeinTopics(config.topicPrefix(), registry);

        try (Admin admin = Admin.create(Map.copyOf(clients))) {
            TopicSetup.ensure(admin, topics, config.tiers(), config.partitions(), config.replicationFactor());
            CoPartitioning.verify(admin, topics);
            ShareGroups.configure(admin, config.agentShareGroup());
            for (String tier : config.tiers()) {
                ShareGroups.configure(admin, ToolWorker.shareGroupOf(tier));
            }
        }

        if (roles.contains(Role.WORKER)) {
            ToolWorker worker = new ToolWorker(clients, topics, BuiltinTools.all(),
                    ToolWorker.Options.defaults().withTier(config.workerTier())
                            .withHeartbeatInterval(config.heartbeatInterval()));
            started.push(worker);
            worker.start();
            log.info("Tool worker {} serving tier {} with tools {}", worker.workerId(), config.workerTier(),
                    BuiltinTools.all().stream().map(t -> t.name()).toList());
        }
        if (roles.contains(Role.AGENTS)) {
            AgentRunner runner = new AgentRunner(clients, topics, List.of(new DemoAgent()),
                    AgentRunner.Options.defaults().withGroupId(config.agentShareGroup())
                            .withDefaultAgent(config.sessionTopology().defaultAgent())
                            .withAgentTimeout(config.agentTimeout()));
            started.push(runner);
            runner.start();
        }
        if (roles.contains(Role.CORE)) {
            startCore(clients);
        }
    }

    private void startCore(Map<String, Object> clients) throws Exception {
        Path stateDir = config.dataDir().resolve("streams");
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, (int) config.commitInterval().toMillis());
        overrides.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        overrides.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        // Static membership: a restarted process (even after SIGKILL) takes its tasks back at once
        // instead of waiting for the group to notice that its previous incarnation is gone. The id
        // follows the state directory, which only one process can hold at a time.
        overrides.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                config.streamsApplicationId() + "-" + InetAddress.getLocalHost().getHostName() + "-"
                        + Integer.toHexString(stateDir.toAbsolutePath().toString().hashCode()));
        overrides.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
                (int) config.streamsSessionTimeout().toMillis());
        sessions = new SessionService(topics, config.sessionTopology(), SessionStreamsConfig.properties(
                bootstrapServers, config.streamsApplicationId(), stateDir, topics, config.replicationFactor(), overrides));
        started.push(sessions);
        sessions.start(config.streamsStartupTimeout());

        KafkaTurnGateway gateway = new KafkaTurnGateway(clients, topics);
        started.push(gateway);
        events = new KafkaSessionEvents(clients, topics);
        started.push(events);
        HistoryReader history = address -> sessions.queries().session(address.toString())
                .map(s -> new SessionView(s.meta(), s.messages()));
        IngressConfig ingressConfig = IngressConfig.defaults()
                .withHost(config.httpHost())
                .withPort(config.httpPort())
                .withMaxMessageBytes(config.maxMessageBytes())
                .withWaits(config.defaultWait(), config.maxWait());
        ingress = new SkeinIngress(ingressConfig, gateway, events, history, this::health);
        started.push(ingress);
        ingress.start();
    }

    private String startEmbeddedBroker() {
        LocalKafka kafka = new LocalKafka(LocalKafka.Options.inDirectory(config.dataDir().resolve("kafka"))
                .withBrokerPort(config.embeddedKafkaPort()));
        started.push(kafka);
        kafka.start();
        log.info("Embedded Kafka broker on {} (data in {})", kafka.bootstrapServers(), config.dataDir().resolve("kafka"));
        return kafka.bootstrapServers();
    }

    /** What {@code GET /health} reports. */
    public Health health() {
        Map<String, Health.Component> components = new LinkedHashMap<>();
        if (sessions != null) {
            KafkaStreams.State state = sessions.state();
            components.put("session-topology", state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING
                    ? Health.Component.up(state.name()) : Health.Component.down(state.name()));
        }
        if (events != null) {
            components.put("session-events", events.health());
        }
        return new Health(components);
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
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                log.warn("Closing {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
