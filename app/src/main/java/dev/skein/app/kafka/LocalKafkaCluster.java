package dev.skein.app.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A multi-node Kafka cluster on this machine, for tests and the bench: N nodes (3 by default), each
 * broker and controller at once (a static KRaft quorum of N voters) in a child JVM of its own, so
 * that one can be SIGKILLed ({@link #kill}) and started again on its own data ({@link #restart})
 * while the others serve. Topics and internal topics get three replicas and two in sync
 * ({@link ClusterBrokerProperties}). Listeners bind to 127.0.0.1 only.
 *
 * <p>Each node keeps its log directory, configuration and log under {@code <dataDir>/node-<id>};
 * the ports of every node are recorded in {@code <dataDir>/ports.properties}, so that a node
 * restarted on its own keeps the addresses its peers and clients know. Nodes are numbered from 1.
 *
 * <p>Usage: {@code try (LocalKafkaCluster kafka = new LocalKafkaCluster(options).start()) { ... }}.
 */
public final class LocalKafkaCluster implements AutoCloseable {

    /**
     * How to run the cluster.
     *
     * @param dataDir holds every node's data; reuse it to keep the data
     * @param nodes how many nodes, each broker and controller
     * @param brokerProperties settings of every node that override the defaults
     * @param startTimeout how long {@link #start()} and {@link #restart} wait for nodes to start
     */
    public record Options(Path dataDir, int nodes, Map<String, String> brokerProperties, Duration startTimeout) {

        public Options {
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (nodes < 1) {
                throw new IllegalArgumentException("a cluster needs at least one node, was " + nodes);
            }
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new IllegalArgumentException("startTimeout must be positive, was " + startTimeout);
            }
            brokerProperties = Map.copyOf(brokerProperties);
        }

        /** Three nodes, no extra settings, 120 s start timeout (three JVMs start at once). */
        public static Options inDirectory(Path dataDir) {
            return new Options(dataDir, 3, Map.of(), Duration.ofSeconds(120));
        }

        public Options withNodes(int count) {
            return new Options(dataDir, count, brokerProperties, startTimeout);
        }

        public Options withBrokerProperties(Map<String, String> props) {
            return new Options(dataDir, nodes, props, startTimeout);
        }

        public Options withStartTimeout(Duration timeout) {
            return new Options(dataDir, nodes, brokerProperties, timeout);
        }
    }

    /** Each node's log, in its directory {@code node-<id>}. */
    public static final String NODE_LOG_FILE = "broker.log";

    // Kafka's own start script gives a broker 1 GiB; three of them share this machine with the clients.
    private static final List<String> NODE_JVM_OPTIONS = List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError");
    private static final Logger LOG = LoggerFactory.getLogger(LocalKafkaCluster.class);

    /** One node: where it lives, its ports (fixed for the life of this instance), its process while it runs. */
    private static final class Node {
        final int id;
        final Path dir;
        final int brokerPort;
        final int controllerPort;
        /** Set by the thread that started it, read by any. */
        volatile BrokerProcess process;

        Node(int id, Path dir, int brokerPort, int controllerPort) {
            this.id = id;
            this.dir = dir;
            this.brokerPort = brokerPort;
            this.controllerPort = controllerPort;
        }

        Path configFile() {
            return dir.resolve(LocalKafka.CONFIG_FILE);
        }
    }

    private final Options options;
    private final SortedMap<Integer, Node> nodes = new TreeMap<>();
    private boolean started;
    private volatile boolean closed;
    private volatile String clusterId;
    private volatile String bootstrapServers;

    public LocalKafkaCluster(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Starts every node at once (a node's start completes only once a quorum of controllers has
     * formed) and blocks until each has registered as a broker.
     *
     * @return this, for try-with-resources
     * @throws IllegalStateException if a node did not start within the start timeout; the message
     *     carries the end of its log. Whatever had started is stopped again.
     */
    public synchronized LocalKafkaCluster start() {
        if (started) {
            throw new IllegalStateException("LocalKafkaCluster starts once");
        }
        started = true;
        try {
            prepare();
            List<CompletableFuture<Void>> starts = new ArrayList<>();
            try (ExecutorService starters = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Node node : nodes.values()) {
                    starts.add(CompletableFuture.runAsync(() -> launch(node), starters));
                }
            }
            awaitAll(starts);
            awaitBrokers(nodes.size());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.info(
                "Kafka cluster {} of {} nodes ready at {} (data in {})",
                clusterId,
                nodes.size(),
                bootstrapServers(),
                options.dataDir());
        return this;
    }

    /** Every node's client address, {@code 127.0.0.1:<port>,...}: what clients bootstrap from. */
    public String bootstrapServers() {
        checkStarted();
        return bootstrapServers;
    }

    /** The node ids, 1 to N. */
    public List<Integer> nodeIds() {
        checkStarted();
        return List.copyOf(nodes.keySet());
    }

    /** The cluster id every node was formatted with. */
    public String clusterId() {
        checkStarted();
        return clusterId;
    }

    /** The child JVM of node {@code id} while it runs (empty once killed or stopped). */
    public Optional<Process> process(int id) {
        checkStarted();
        BrokerProcess process = node(id).process;
        return Optional.ofNullable(process).map(BrokerProcess::process).filter(Process::isAlive);
    }

    /**
     * The node that leads the metadata quorum now: the active controller, which also decides every
     * partition's leader.
     */
    public int activeController() {
        try (Admin admin = admin()) {
            return admin.describeMetadataQuorum()
                    .quorumInfo()
                    .get(30, TimeUnit.SECONDS)
                    .leaderId();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("The cluster at " + bootstrapServers() + " did not describe its quorum", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while describing the quorum", e);
        }
    }

    /**
     * SIGKILLs node {@code id}, as a crash: no controlled shutdown, nothing flushed. Returns once the
     * process has exited.
     *
     * @return the pid it had
     */
    public synchronized long kill(int id) {
        Node node = node(id);
        if (node.process == null) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        long pid = node.process.process().pid();
        node.process.kill();
        node.process = null;
        LOG.info("Kafka node {} (pid {}) SIGKILLed", id, pid);
        return pid;
    }

    /**
     * Starts node {@code id} again on its data directory and ports, and blocks until it has
     * registered with the controllers and caught up with the metadata. Its partitions catch up with
     * their leaders afterwards, as on any broker restart.
     */
    public void restart(int id) {
        Node node;
        synchronized (this) {
            checkStarted();
            node = node(id);
            if (node.process != null) {
                throw new IllegalStateException("node " + id + " is still running");
            }
        }
        appendToLog(node, "==== LocalKafkaCluster: restarting node " + id + " at " + Instant.now() + " ====");
        // Not under the lock: the others' addresses and processes stay readable while it starts.
        launch(node);
        synchronized (this) {
            if (closed && node.process != null) {
                node.process.stop();
                node.process = null;
            }
        }
    }

    /** Stops every running node, all at once (one by one, the last ones would wait for a lost quorum). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        try (ExecutorService stoppers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Node node : nodes.values()) {
                BrokerProcess process = node.process;
                if (process != null) {
                    stops.add(CompletableFuture.runAsync(process::stop, stoppers));
                }
                node.process = null;
            }
        }
        awaitAll(stops);
    }

    private void prepare() {
        try {
            Files.createDirectories(options.dataDir());
            for (var entry :
                    ClusterPorts.choose(options.dataDir(), options.nodes()).entrySet()) {
                int id = entry.getKey();
                Path dir = options.dataDir().resolve("node-" + id);
                Files.createDirectories(dir.resolve(LocalKafka.LOG_DIR));
                nodes.put(
                        id,
                        new Node(
                                id,
                                dir,
                                entry.getValue().broker(),
                                entry.getValue().controller()));
            }
            bootstrapServers = nodes.values().stream()
                    .map(n -> BrokerProperties.HOST + ":" + n.brokerPort)
                    .collect(Collectors.joining(","));
            String existing = KraftStorage.existingClusterId(nodes.get(1).dir.resolve(LocalKafka.LOG_DIR));
            clusterId = existing != null ? existing : Uuid.randomUuid().toString();
            SortedMap<Integer, Integer> voters = new TreeMap<>();
            nodes.values().forEach(n -> voters.put(n.id, n.controllerPort));
            for (Node node : nodes.values()) {
                Path logDir = node.dir.resolve(LocalKafka.LOG_DIR);
                Properties props = ClusterBrokerProperties.node(
                        node.id, logDir, node.brokerPort, voters, options.brokerProperties());
                try (Writer out = Files.newBufferedWriter(node.configFile(), StandardCharsets.UTF_8)) {
                    props.store(out, "Written by Skein's LocalKafkaCluster on every start; edits are overwritten");
                }
                // Here, not in the child: every node must carry the same cluster id.
                KraftStorage.formatIfNeeded(node.configFile(), logDir, clusterId);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the Kafka cluster's data directory " + options.dataDir(), e);
        }
    }

    private void launch(Node node) {
        BrokerProcess process = BrokerProcess.start(
                node.configFile(), node.dir.resolve(NODE_LOG_FILE), NODE_JVM_OPTIONS, options.startTimeout());
        node.process = process;
        LOG.debug("Kafka node {} started as pid {}", node.id, process.process().pid());
    }

    /**
     * The nodes have each finished their start, so they are registered; the admin client's view
     * may lag a moment behind, and there is no notification for it: ask until it lists them all.
     */
    private void awaitBrokers(int count) {
        long deadline = System.nanoTime() + options.startTimeout().toNanos();
        try (Admin admin = admin()) {
            while (true) {
                int seen = admin.describeCluster()
                        .nodes()
                        .get(30, TimeUnit.SECONDS)
                        .size();
                if (seen >= count) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Only " + seen + " of " + count + " Kafka nodes registered within "
                            + options.startTimeout());
                }
                Thread.sleep(200);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("The Kafka cluster at " + bootstrapServers() + " did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the Kafka cluster", e);
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Waits for every task; throws the first failure, with the others suppressed. */
    private static void awaitAll(List<CompletableFuture<Void>> tasks) {
        RuntimeException failure = null;
        for (CompletableFuture<Void> task : tasks) {
            try {
                task.join();
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void appendToLog(Node node, String line) {
        try {
            Files.writeString(
                    node.dir.resolve(NODE_LOG_FILE),
                    line + System.lineSeparator(),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warn("Cannot mark the restart in node {}'s log", node.id, e);
        }
    }

    private Node node(int id) {
        Node node = nodes.get(id);
        if (node == null) {
            throw new IllegalArgumentException("no node " + id + "; the nodes are " + nodes.keySet());
        }
        return node;
    }

    private void checkStarted() {
        // bootstrapServers is written once the nodes are known: reading it first makes them visible.
        if (bootstrapServers == null || closed) {
            throw new IllegalStateException("the Kafka cluster is not running");
        }
    }
}
