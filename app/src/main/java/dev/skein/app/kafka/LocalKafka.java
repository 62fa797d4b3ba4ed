package dev.skein.app.kafka;

import dev.skein.app.process.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
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
    private static final int LOG_TAIL_LINES = 40;
    private static final Duration GRACEFUL_STOP = Duration.ofSeconds(30);
    private static final Duration FORCED_STOP = Duration.ofSeconds(10);
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
    private Process child;
    private Thread childOutputPump;

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
        return Optional.ofNullable(child);
    }

    /** Stops the broker and waits for it. Idempotent. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (child != null) {
            stopChild();
        }
        if (embedded != null) {
            embedded.close();
        }
    }

    private Path prepare() {
        Path dataDir = options.dataDir();
        try {
            Files.createDirectories(dataDir.resolve(LOG_DIR));
            brokerPort = chooseBrokerPort();
            int controllerPort = options.controllerPort() != 0 ? options.controllerPort() : freePort();
            Map<String, String> extra = options.brokerProperties();
            if (security != null) {
                brokerSecurity = BrokerSecurity.prepare(security, dataDir.resolve(TLS_DIR), freePort());
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

    private int chooseBrokerPort() throws IOException {
        if (options.brokerPort() != 0) {
            return options.brokerPort();
        }
        // Reusing the last port keeps bootstrap addresses that clients remembered valid.
        Path portFile = options.dataDir().resolve(PORT_FILE);
        if (Files.isRegularFile(portFile)) {
            String text = Files.readString(portFile).strip();
            if (text.matches("\\d{1,5}") && isFree(Integer.parseInt(text))) {
                return Integer.parseInt(text);
            }
        }
        return freePort();
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
        Path logFile = options.dataDir().resolve(CHILD_LOG_FILE);
        List<String> command = ChildJvm.command(
                List.of("-XX:+ExitOnOutOfMemoryError"),
                ChildBroker.class.getName(),
                List.of(configFile.toAbsolutePath().toString()));
        try {
            child = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the Kafka child JVM " + command.getFirst(), e);
        }
        LOG.debug("Kafka child JVM pid {} logs to {}", child.pid(), logFile);
        CompletableFuture<Void> ready = new CompletableFuture<>();
        childOutputPump = Thread.ofPlatform()
                .daemon()
                .name("local-kafka-child-output")
                .start(() -> pumpChildOutput(child, logFile, ready));
        try {
            ready.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "Kafka child JVM did not start within "
                            + options.startTimeout()
                            + "; end of "
                            + logFile
                            + ":\n"
                            + tail(logFile),
                    e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "Kafka child JVM exited before it was ready ("
                            + exitDescription()
                            + "); end of "
                            + logFile
                            + ":\n"
                            + tail(logFile),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the Kafka child JVM", e);
        }
    }

    /** Copies the child's output to its log file and completes {@code ready} on its ready line. */
    private static void pumpChildOutput(Process process, Path logFile, CompletableFuture<Void> ready) {
        try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer out = Files.newBufferedWriter(
                        logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals(ChildBroker.READY_LINE)) {
                    ready.complete(null);
                } else {
                    out.write(line);
                    out.write(System.lineSeparator());
                    out.flush();
                }
            }
        } catch (IOException e) {
            LOG.warn("Copying the Kafka child JVM's output to {} failed", logFile, e);
            ready.completeExceptionally(e);
        }
        ready.completeExceptionally(new IllegalStateException("the child's output ended"));
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

    private void stopChild() {
        try {
            // End of input is the child's cue to shut the broker down cleanly and exit.
            closeStdin();
            if (!child.waitFor(GRACEFUL_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("Kafka child JVM {} still running after {}: terminating it", child.pid(), GRACEFUL_STOP);
                child.destroy();
                if (!child.waitFor(FORCED_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("Kafka child JVM {} ignored SIGTERM: killing it", child.pid());
                    child.destroyForcibly().waitFor();
                }
            }
            childOutputPump.join(FORCED_STOP.toMillis());
            LOG.debug("Kafka child JVM {} exited with {}", child.pid(), child.exitValue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
            throw new IllegalStateException("Interrupted while stopping the Kafka child JVM " + child.pid(), e);
        }
    }

    private void closeStdin() {
        OutputStream stdin = child.getOutputStream();
        try {
            stdin.close();
        } catch (IOException e) {
            // The pipe is already broken, so the child sees end of input anyway.
            LOG.debug("Closing the Kafka child JVM's standard input failed", e);
        }
    }

    private String exitDescription() {
        try {
            if (child.waitFor(FORCED_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                return "exit status " + child.exitValue();
            }
            return "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "exit status unknown";
        }
    }

    private String logTailIfChild() {
        if (child == null) {
            return "";
        }
        Path logFile = options.dataDir().resolve(CHILD_LOG_FILE);
        return "; end of " + logFile + ":\n" + tail(logFile);
    }

    private static String tail(Path logFile) {
        if (!Files.isRegularFile(logFile)) {
            return "(no log)";
        }
        Deque<String> lines = new ArrayDeque<>();
        try (BufferedReader in = Files.newBufferedReader(logFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.addLast(line);
                if (lines.size() > LOG_TAIL_LINES) {
                    lines.removeFirst();
                }
            }
        } catch (IOException e) {
            return "(cannot read the log: " + e + ")";
        }
        return String.join("\n", lines);
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(BrokerProperties.HOST, 0));
            return socket.getLocalPort();
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(BrokerProperties.HOST, port));
            return true;
        } catch (IOException e) {
            // Taken by someone else: the caller picks another port.
            return false;
        }
    }
}
