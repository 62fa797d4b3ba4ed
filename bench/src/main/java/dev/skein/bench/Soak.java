package dev.skein.bench;

import dev.skein.app.kafka.LocalKafka;
import dev.skein.app.kafka.LocalKafkaCluster;
import dev.skein.events.ChatMessage;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.topologies.session.SessionStores;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code skein bench soak}: the chaos soak. {@code skein core}, {@code skein agents} and
 * {@code skein worker} processes (each a JVM of its own) serve tool turns (the demo agent and the
 * calculator) and plain ones over many sessions at a steady rate, while something is SIGKILLed every
 * few seconds and brought back ({@link Chaos}): against one broker, a random one of those processes,
 * started again on the same data directory and id ({@link ProcessChaos}); against a cluster of
 * brokers ({@code skein bench cluster}), the broker that is the active controller, started again on
 * its own data after a while ({@link BrokerChaos}). When the load stops and every turn has its
 * answer, it checks that every turn has exactly one completion and that no history has a gap or a
 * duplicate.
 */
final class Soak {

    /**
     * @param turns turns to send
     * @param perSecond the steady rate they are sent at
     * @param killEvery the time between two kills
     * @param sessions sessions the turns go to, round robin
     * @param cores {@code skein core} processes (with more than one, each has a standby replica)
     * @param agents {@code skein agents} processes
     * @param workers {@code skein worker} processes
     * @param seed of the choice of the process to kill
     * @param brokers 1: one broker (embedded unless {@code bootstrapServers}), Skein processes are
     *     killed; more: a {@link LocalKafkaCluster} of that many nodes, its brokers are killed
     * @param brokerDowntime how long a killed broker stays down
     */
    record Options(
            int turns,
            double perSecond,
            Duration killEvery,
            int sessions,
            int cores,
            int agents,
            int workers,
            long seed,
            Path out,
            Optional<String> bootstrapServers,
            int brokers,
            Duration brokerDowntime) {

        Options {
            if (turns < 1 || perSecond <= 0 || sessions < 1) {
                throw new IllegalArgumentException("turns, rate and sessions must be positive");
            }
            if (cores < 1 || agents < 1 || workers < 1) {
                throw new IllegalArgumentException("the soak needs at least one core, agents and worker process");
            }
            if (killEvery.isNegative() || killEvery.isZero()) {
                throw new IllegalArgumentException("--kill-every must be positive, was " + killEvery);
            }
            if (brokers < 1 || (brokers > 1 && bootstrapServers.isPresent())) {
                throw new IllegalArgumentException(
                        "brokers must be 1, or more without bootstrap servers (the soak kills its own brokers)");
            }
        }
    }

    /** One SIGKILL: which process, when (ms since the load began), and how long it took to restart it. */
    record Kill(String process, String role, long pid, long atMs, long restartedAfterMs) {}

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(180);
    /** Longer than the turn deadline (120 s): by then every turn has completed or failed. */
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(180);
    /** After the last answer: time for a late second completion to show up. */
    private static final Duration QUIET = Duration.ofSeconds(5);

    /** How the demo agent answers when its calculator call came back as an error or a timeout. */
    private final Options options;

    private final PrintStream console;

    Soak(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    /** A process of the soak: its role, its name and the process itself. */
    record Node(String name, String role, SkeinProcess process) {}

    /** Runs the soak; writes {@code soak.json} and the processes' logs to {@link Options#out()}. */
    SoakReport run() throws Exception {
        Instant startedAt = Instant.now();
        long began = System.nanoTime();
        Path work = Files.createTempDirectory("skein-soak");
        String prefix = "soak-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        LocalKafka kafka = null;
        LocalKafkaCluster cluster = null;
        List<Node> nodes = new ArrayList<>();
        EmbeddedSchemaRegistry registry = null;
        SoakReport report = null;
        try {
            String bootstrap = options.bootstrapServers().orElse(null);
            Map<String, String> settings = new LinkedHashMap<>();
            short replicas = 1;
            if (options.brokers() > 1) {
                console.printf(
                        "Starting a cluster of %d Kafka brokers in %s ...%n", options.brokers(), work.resolve("kafka"));
                cluster = new LocalKafkaCluster(LocalKafkaCluster.Options.inDirectory(work.resolve("kafka"))
                                .withNodes(options.brokers()))
                        .start();
                bootstrap = cluster.bootstrapServers();
                replicas = (short) Math.min(3, options.brokers());
                // What a deployment on a replicated cluster sets; nothing else differs from the defaults.
                settings.put("skein.topics.replication-factor", String.valueOf(replicas));
                settings.put("skein.topics.min-insync-replicas", String.valueOf(Math.min(2, replicas)));
            } else {
                if (bootstrap == null) {
                    console.println("Starting an embedded Kafka broker in " + work.resolve("kafka") + " ...");
                    kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                    bootstrap = kafka.bootstrapServers();
                }
                // Processes are killed: detect their deaths in seconds.
                settings.putAll(Recovery.failureDetection(bootstrap));
            }
            settings.put("skein.topics.prefix", prefix);
            settings.put("skein.session.default-agent", "demo");
            if (options.cores() > 1) {
                settings.put("skein.streams.standby-replicas", "1");
            }
            console.printf(
                    "Soak: starting %d skein core, %d skein agents and %d skein worker processes (logs in %s) ...%n",
                    options.cores(), options.agents(), options.workers(), work);
            for (int i = 0; i < options.cores(); i++) {
                nodes.add(new Node(
                        "core-" + i,
                        "core",
                        SkeinProcess.start("core", List.of(), "768m", bootstrap, work.resolve("core-" + i), settings)));
            }
            for (Node node : nodes) {
                node.process().awaitHealthy(STARTUP_TIMEOUT); // topics are created by the first one up
            }
            for (int i = 0; i < options.agents(); i++) {
                nodes.add(new Node(
                        "agents-" + i,
                        "agents",
                        SkeinProcess.start(
                                "agents", List.of(), "384m", bootstrap, work.resolve("agents-" + i), settings)));
            }
            for (int i = 0; i < options.workers(); i++) {
                String id = "soak-worker-" + i;
                nodes.add(new Node(
                        "worker-" + i,
                        "worker",
                        SkeinProcess.start(
                                "worker",
                                List.of("--tier", "small", "--worker-id", id),
                                "384m",
                                bootstrap,
                                work.resolve("worker-" + i),
                                settings)));
            }
            registry = new EmbeddedSchemaRegistry(bootstrap, EmbeddedSchemaRegistry.defaultTopic(prefix), replicas);
            SkeinTopics topics = new SkeinTopics(prefix, registry);
            try (TurnDriver warmup = new TurnDriver(bootstrap, topics)) {
                console.println("Soak: warm-up (a tool turn and a plain one must be answered) ...");
                for (int i = 0; i < 8; i++) {
                    long nanos = warmup.turn(
                            "soak-warmup-" + i % 4, i % 2 == 0 ? SkeinBench.TOOL_MESSAGE : SkeinBench.SIMPLE_MESSAGE);
                    if (nanos < 0 && i >= 6) {
                        throw new IllegalStateException("the soak's processes do not answer turns; logs in " + work);
                    }
                }
            }
            try (SoakLedger ledger = new SoakLedger(bootstrap, topics);
                    BrokerChaos brokers =
                            cluster == null ? null : new BrokerChaos(cluster, options.brokerDowntime(), console)) {
                Chaos chaos = brokers != null ? brokers : new ProcessChaos(nodes, options.seed(), console);
                report = soak(nodes, chaos, brokers, ledger, topics, bootstrap, settings, startedAt, began, work);
            }
            return report;
        } finally {
            for (Node node : nodes) {
                node.process().close();
            }
            if (registry != null) {
                registry.close();
            }
            if (kafka != null) {
                kafka.close();
            }
            if (cluster != null) {
                cluster.close();
            }
            Path logs = options.out().resolve("soak-logs");
            Files.createDirectories(logs);
            for (Node node : nodes) {
                Files.copy(
                        node.process().log(), logs.resolve(node.name() + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
            for (int id = 1; cluster != null && id <= options.brokers(); id++) {
                Path log = work.resolve("kafka/node-" + id).resolve(LocalKafkaCluster.NODE_LOG_FILE);
                if (Files.isRegularFile(log)) {
                    Files.copy(log, logs.resolve("broker-" + id + ".log"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (report != null && report.invariantsHold()) {
                deleteQuietly(work);
            } else {
                console.println("Soak: the processes' data directories are kept in " + work);
            }
        }
    }

    private SoakReport soak(
            List<Node> nodes,
            Chaos chaos,
            BrokerChaos brokers,
            SoakLedger ledger,
            SkeinTopics topics,
            String bootstrap,
            Map<String, String> settings,
            Instant startedAt,
            long began,
            Path work)
            throws Exception {
        console.printf(
                "Soak: %d turns at %.0f/s over %d sessions, a SIGKILL every %.1f s ...%n",
                options.turns(),
                options.perSecond(),
                options.sessions(),
                options.killEvery().toMillis() / 1e3);
        String run = UUID.randomUUID().toString().substring(0, 8);
        long period = (long) (1e9 / options.perSecond());
        long loadStart = System.nanoTime();
        Thread load = Thread.ofPlatform().name("soak-load").start(() -> {
            for (int i = 0; i < options.turns(); i++) {
                LockSupport.parkNanos(loadStart + i * period - System.nanoTime());
                String session = "soak-" + i % options.sessions();
                if (i % 3 == 2) {
                    ledger.send(run + "-" + i, session, SkeinBench.SIMPLE_MESSAGE, null);
                } else {
                    int a = 2 + i % 97;
                    int b = 3 + i % 13;
                    ledger.send(run + "-" + i, session, "what is " + a + "*" + b + "?", String.valueOf(a * b));
                }
            }
        });
        List<Kill> kills = new ArrayList<>();
        long nextKill = loadStart + options.killEvery().toNanos();
        while (load.isAlive()) {
            long wait = nextKill - System.nanoTime();
            if (wait > 0) {
                load.join(Duration.ofNanos(wait));
                if (!load.isAlive()) {
                    break;
                }
            }
            kills.add(chaos.strike(loadStart));
            // From the end of the strike: a broker's takes a while, and the next one must find the
            // cluster whole again.
            nextKill = System.nanoTime() + options.killEvery().toNanos();
        }
        Collection<SoakLedger.Turn> turns = ledger.turns();
        // The last send, not now: a broker's strike may have gone on past it (its restart, its catch-up).
        long loadEnd = turns.stream().mapToLong(t -> t.sentNanos).max().orElse(System.nanoTime());
        console.printf(
                "Soak: %d turns sent in %.1f s; waiting for every answer ...%n",
                turns.size(), (loadEnd - loadStart) / 1e9);
        long settleDeadline = loadEnd + SETTLE_TIMEOUT.toNanos();
        while (ledger.unanswered(turns) > 0 && System.nanoTime() < settleDeadline) {
            Thread.sleep(100);
        }
        long lastAnswer = turns.stream()
                .flatMap(t -> t.completions.stream().limit(1))
                .mapToLong(SoakLedger.Completion::receivedNanos)
                .max()
                .orElse(loadEnd);
        double settleSeconds = Math.max(0, lastAnswer - loadEnd) / 1e9;
        Thread.sleep(QUIET.toMillis());
        console.println("Soak: stopping the processes, then reading every completion and history ...");
        for (Node node : nodes) {
            node.process().close();
        }
        // A transaction a killed process left open is aborted by the broker by now (its timeout is
        // at most a few seconds): the end offsets are final, and a read_committed reader reaches them.
        Map<TopicPartition, Long> responseEnds = EndOffsets.of(bootstrap, List.of(ledger.responsesTopic()));
        if (!ledger.awaitReadUpTo(responseEnds, Duration.ofSeconds(60))) {
            throw new IllegalStateException("the responses topic was not read to its end within 60 s");
        }
        // Every topic of this soak starts with it: <prefix>turns, <prefix>_schemas, <app id>-...-changelog.
        String soakId = topics.prefix().substring(0, topics.prefix().length() - 1);
        String changelog = SessionStores.changelogTopic(topics.groupId("sessions"), SessionStores.MESSAGES);
        SoakHistory history = SoakHistory.read(
                bootstrap,
                changelog,
                EndOffsets.of(bootstrap, List.of(changelog)),
                topics.serde(ChatMessage.class).deserializer(),
                Duration.ofSeconds(120));
        return SoakReport.judge(
                options,
                turns,
                ledger,
                history,
                kills,
                brokers == null ? List.of() : brokers.recoveries(),
                brokers == null ? Map.of() : brokers.replicasByTopic(soakId),
                brokers == null ? Map.of() : brokers.minInsyncByTopic(soakId),
                settings,
                startedAt,
                began,
                (loadEnd - loadStart) / 1e9,
                settleSeconds,
                work);
    }

    /** Writes {@code soak.json} under the soak's {@code --out} and prints the table. */
    void write(SoakReport report) throws IOException {
        report.write(options.out(), console);
    }

    private void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            console.println("Soak: cannot delete its temporary directory " + dir + ": " + e);
        }
    }
}
