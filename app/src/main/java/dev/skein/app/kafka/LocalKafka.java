package dev.skein.app.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka cluster (KRaft, broker and controller in one node) on this machine, for
 * {@code skein up} and for tests.
 *
 * <p>Everything lives under {@link Options#dataDir()}: the log directory (formatted on the first
 * start, reused afterwards, so topics and records survive a restart), the broker configuration and,
 * in child-process mode, the broker's log. Listeners bind to 127.0.0.1 only.
 *
 * <p>Usage: {@code try (LocalKafka kafka = new LocalKafka(options).start()) { ... }}. An instance
 * starts once; start a new instance on the same data directory to restart.
 */
public final class LocalKafka implements AutoCloseable {

    /** Where the broker runs. */
    public enum Mode {
        /** In this JVM: fastest to start, but shares its heap and dies with it. */
        IN_PROCESS,
        /** In a child JVM that exits when this JVM's end of its standard input closes. */
        CHILD_PROCESS
    }

    /**
     * How to run the broker.
     *
     * @param dataDir holds the log directory and configuration; reuse it to keep the data
     * @param brokerPort client port; 0 reuses the port of the previous start on this data directory
     *     when it is free, else picks a free one
     * @param controllerPort KRaft controller port; 0 picks a free one
     * @param mode in this JVM or in a child JVM
     * @param brokerProperties broker settings that override the single-node defaults
     * @param startTimeout how long {@link #start()} waits for the broker to answer
     */
    public record Options(
            Path dataDir,
            int brokerPort,
            int controllerPort,
            Mode mode,
            Map<String, String> brokerProperties,
            Duration startTimeout) {

        public Options {
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(startTimeout, "startTimeout");
            checkPort("brokerPort", brokerPort);
            checkPort("controllerPort", controllerPort);
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new IllegalArgumentException("startTimeout must be positive, was " + startTimeout);
            }
            brokerProperties = Map.copyOf(brokerProperties);
        }

        /** In-process, free ports, no extra settings, 60 s start timeout. */
        public static Options inDirectory(Path dataDir) {
            return new Options(dataDir, 0, 0, Mode.IN_PROCESS, Map.of(), Duration.ofSeconds(60));
        }

        public Options withBrokerPort(int port) {
            return new Options(dataDir, port, controllerPort, mode, brokerProperties, startTimeout);
        }

        public Options withControllerPort(int port) {
            return new Options(dataDir, brokerPort, port, mode, brokerProperties, startTimeout);
        }

        public Options withMode(Mode newMode) {
            return new Options(dataDir, brokerPort, controllerPort, newMode, brokerProperties, startTimeout);
        }

        public Options withBrokerProperties(Map<String, String> props) {
            return new Options(dataDir, brokerPort, controllerPort, mode, props, startTimeout);
        }

        public Options withStartTimeout(Duration timeout) {
            return new Options(dataDir, brokerPort, controllerPort, mode, brokerProperties, timeout);
        }

        private static void checkPort(String name, int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException(name + " must be 0 (pick a free port) or 1-65535, was " + port);
            }
        }
    }

    static final String LOG_DIR = "kraft-logs";
    static final String CONFIG_FILE = "broker.properties";
    /** A secured broker's certificates, under the data directory. */
    static final String TLS_DIR = "tls";
    /** The child broker's log, in its data directory. */
    public static final String CHILD_LOG_FILE = "broker.log";

    private static final String PORT_FILE = "broker.port";
    private static final Logger LOG = LoggerFactory.getLogger(LocalKafka.class);

    private enum State {
        NEW,
        STARTED,
        CLOSED
    }

    private final Options options;
    /** Null for the plaintext broker. */
    private final LocalKafkaSecurity security;
    /** This start's wiring of {@link #security}; null for the plaintext broker. */
    private BrokerSecurity brokerSecurity;

    private State state = State.NEW;
    private int brokerPort;
    private EmbeddedBroker embedded;
    private BrokerProcess child;

    public LocalKafka(Options options) {
        this.options = Objects.requireNonNull(options, "options");
        this.security = null;
    }

    /**
     * A broker whose client port takes SASL over TLS only, with an ACL authorizer (see
     * {@link LocalKafkaSecurity}); its TLS files live under the data directory, in {@code tls/}.
     */
    public LocalKafka(Options options, LocalKafkaSecurity security) {
        this.options = Objects.requireNonNull(options, "options");
        this.security = Objects.requireNonNull(security, "security");
    }

    /**
     * Starts the broker and blocks until it answers a metadata request.
     *
     * @return this, for try-with-resources
     * @throws IllegalStateException if the broker did not answer within the start timeout; the
     *     message carries the end of the broker's log in child-process mode. Whatever had started
     *     is stopped again.
     */
    public synchronized LocalKafka start() {
        if (state != State.NEW) {
            throw new IllegalStateException("LocalKafka starts once; it is " + state);
        }
        state = State.STARTED;
        long deadline = System.nanoTime() + options.startTimeout().toNanos();
        try {
            Path configFile = prepare();
            if (options.mode() == Mode.IN_PROCESS) {
                startInProcess(configFile);
            } else {
                startChild(configFile, deadline);
            }
            awaitMetadata(deadline);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.info("Kafka ready at {} ({}, data in {})", bootstrapServers(), options.mode(), options.dataDir());
        return this;
    }

    /** {@code 127.0.0.1:<port>} of the started broker. */
    public synchronized String bootstrapServers() {
        if (state != State.STARTED) {
            throw new IllegalStateException("Kafka is not running: it is " + state);
        }
        return BrokerProperties.HOST + ":" + brokerPort;
    }

    /** The cluster id, fixed when the data directory was first formatted. */
    public String clusterId() {
        String id = KraftStorage.existingClusterId(options.dataDir().resolve(LOG_DIR));
        if (id == null) {
            throw new IllegalStateException(options.dataDir() + " has not been formatted yet");
        }
        return id;
    }

    public Options options() {
        return options;
    }

    /**
     * What a client sets besides {@link #bootstrapServers()} to log in as {@code user} of a secured
     * broker: SASL_SSL, the SCRAM mechanism and login, and the broker's CA certificate (PEM) as its
     * truststore.
     *
     * @throws IllegalStateException when this broker is not secured or not started
     */
    public synchronized Map<String, String> clientSettings(String user) {
        return startedSecurity().clientSettings(user);
    }

    /** The certificate (PEM) that signed a secured broker's certificate: what its clients trust. */
    public synchronized Path caCertificate() {
        return startedSecurity().tls().caCertificate();
    }

    private BrokerSecurity startedSecurity() {
        if (brokerSecurity == null || state != State.STARTED) {
            throw new IllegalStateException("Kafka is not a started secured broker (" + state + ")");
        }
        return brokerSecurity;
    }

    /** The child JVM in {@link Mode#CHILD_PROCESS} mode (empty otherwise or once stopped): its pid, its liveness. */
    public synchronized Optional<Process> childProcess() {
        return Optional.ofNullable(child).map(BrokerProcess::process);
    }

    /** Stops the broker and waits for it. Idempotent. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (child != null) {
            child.stop();
        }
        if (embedded != null) {
            embedded.close();
        }
    }

    private Path prepare() {
        Path dataDir = options.dataDir();
        try {
            Files.createDirectories(dataDir.resolve(LOG_DIR));
            int controllerPort;
            int securePort = 0;
            // One chooser for every port of this start: the listeners never get the same port.
            try (LoopbackPorts free = new LoopbackPorts()) {
                brokerPort = chooseBrokerPort(free);
                controllerPort = options.controllerPort() != 0 ? options.controllerPort() : free.free();
                if (security != null) {
                    securePort = free.free();
                }
            }
            Map<String, String> extra = options.brokerProperties();
            if (security != null) {
                brokerSecurity = BrokerSecurity.prepare(security, dataDir.resolve(TLS_DIR), securePort);
                extra = new LinkedHashMap<>(brokerSecurity.brokerProperties(brokerPort, controllerPort));
                extra.putAll(options.brokerProperties());
            }
            Properties props = BrokerProperties.singleNode(dataDir.resolve(LOG_DIR), brokerPort, controllerPort, extra);
            Path configFile = dataDir.resolve(CONFIG_FILE);
            // It may hold the broker's passwords: for this user's eyes only.
            BrokerTls.writeOwnerOnly(configFile, new byte[0]);
            try (Writer out = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
                props.store(out, "Written by Skein's LocalKafka on every start; edits are overwritten");
            }
            Files.writeString(dataDir.resolve(PORT_FILE), Integer.toString(brokerPort));
            return configFile;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare Kafka data directory " + dataDir, e);
        }
    }

    private int chooseBrokerPort(LoopbackPorts free) throws IOException {
        if (options.brokerPort() != 0) {
            return options.brokerPort();
        }
        // Reusing the last port keeps bootstrap addresses that clients remembered valid.
        Path portFile = options.dataDir().resolve(PORT_FILE);
        return free.preferredOrFree(Files.isRegularFile(portFile) ? Files.readString(portFile) : null);
    }

    private void startInProcess(Path configFile) {
        try {
            embedded = EmbeddedBroker.start(configFile);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "Kafka broker failed to start in this JVM from " + options.dataDir() + ": " + e.getMessage(), e);
        }
    }

    private void startChild(Path configFile, long deadline) {
        child = BrokerProcess.start(
                configFile,
                options.dataDir().resolve(CHILD_LOG_FILE),
                List.of("-XX:+ExitOnOutOfMemoryError"),
                Duration.ofMillis(remainingMillis(deadline)));
    }

    private void awaitMetadata(long deadline) {
        long remaining = remainingMillis(deadline);
        // A secured broker is asked on its internal listener first: its users do not exist yet.
        Map<String, Object> adminConfig = brokerSecurity == null
                ? Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers())
                : brokerSecurity.internalAdminConfig();
        try (Admin admin = Admin.create(adminConfig)) {
            Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) remaining))
                    .nodes()
                    .get(remaining + 1_000, TimeUnit.MILLISECONDS);
            LOG.debug(
                    "Kafka at {} answered with nodes {}",
                    adminConfig.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG),
                    nodes);
            if (brokerSecurity != null) {
                brokerSecurity.provision(admin, bootstrapServers(), deadline);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "Kafka at "
                            + bootstrapServers()
                            + " did not answer a metadata request"
                            + (brokerSecurity == null ? "" : " or take its users' logins")
                            + " within "
                            + options.startTimeout()
                            + logTailIfChild(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for Kafka to answer", e);
        }
    }

    private String logTailIfChild() {
        if (child == null) {
            return "";
        }
        return "; end of " + child.logFile() + ":\n" + child.logTail();
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
}
