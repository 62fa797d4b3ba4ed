package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.topologies.session.CommitRequests;
import dev.skein.topologies.session.SessionStreamsConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code skein bench}: starts what it needs (an embedded broker unless one is given, and a whole
 * Skein node in this JVM on topics of its own), runs the chosen scenarios against the Kafka floor
 * measured in the same run, prints a table and writes {@code bench.json} and PNG charts.
 */
public final class SkeinBench {

    /** What a run can measure. */
    public enum Scenario {
        FLOOR,
        SIMPLE,
        TOOL,
        HTTP,
        HISTORY,
        THROUGHPUT,
        RECOVERY
    }

    /**
     * @param bootstrapServers a cluster to use; empty starts an embedded broker in a temporary directory
     * @param out where bench.json and the charts go
     */
    public record Options(boolean quick, Path out, Optional<String> bootstrapServers, Set<Scenario> scenarios) {}

    /** One-way topic hops of a simple turn: turns, agent-requests, agent-steps, responses. */
    static final int SIMPLE_HOPS = 4;

    static final String SIMPLE_PATH = "turns -> topology -> agent-requests -> runner -> agent-steps -> topology"
            + " -> responses (the hops out of the topology wait for its transaction to commit)";
    /** A tool call adds: tools.small, tool-results, then a second agent-requests and agent-steps. */
    static final int TOOL_HOPS = 8;

    static final String TOOL_PATH = "turns -> topology -> agent-requests -> runner -> agent-steps -> topology"
            + " -> tools.small -> worker -> tool-results -> topology -> agent-requests -> runner -> agent-steps"
            + " -> topology -> responses";
    static final String SIMPLE_MESSAGE = "hello";
    static final String TOOL_MESSAGE = "what is 12*7?";

    private static final Logger log = LoggerFactory.getLogger(SkeinBench.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Options options;
    private final BenchPlan plan;
    private final PrintStream console;

    public SkeinBench(Options options, PrintStream console) {
        this.options = options;
        this.plan = options.quick() ? BenchPlan.quickPlan() : BenchPlan.fullPlan();
        this.console = console;
    }

    /** Runs the scenarios, writes the JSON and charts to {@link Options#out()}, prints the table. */
    public BenchReport run() throws Exception {
        Instant startedAt = Instant.now();
        long began = System.nanoTime();
        Set<Scenario> scenarios = EnumSet.copyOf(options.scenarios());
        if (scenarios.contains(Scenario.SIMPLE) || scenarios.contains(Scenario.TOOL)) {
            scenarios.add(Scenario.FLOOR); // a ratio is only meaningful against the floor of the same run
        }
        Path work = Files.createTempDirectory("skein-bench");
        String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        LocalKafka kafka = null;
        ch.qos.logback.classic.Level logLevel = quietPerTurnLogs(ch.qos.logback.classic.Level.WARN);
        try {
            String bootstrap = options.bootstrapServers().orElse(null);
            if (bootstrap == null) {
                console.println("Starting an embedded Kafka broker in " + work.resolve("kafka") + " ...");
                kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                bootstrap = kafka.bootstrapServers();
            }
            BenchReport report = measure(
                    scenarios,
                    bootstrap,
                    prefix,
                    work,
                    startedAt,
                    began,
                    kafka == null ? "given cluster " + bootstrap : "embedded single-node broker in this JVM");
            write(report);
            return report;
        } finally {
            if (kafka != null) {
                kafka.close();
            }
            quietPerTurnLogs(logLevel);
            deleteQuietly(work);
        }
    }

    private BenchReport measure(
            Set<Scenario> scenarios,
            String bootstrap,
            String prefix,
            Path work,
            Instant startedAt,
            long began,
            String broker)
            throws Exception {
        Map<String, String> skipped = new LinkedHashMap<>();
        BenchReport.Floor floor = null;
        if (scenarios.contains(Scenario.FLOOR)) {
            console.println("Floor: raw Kafka round trip and single-client rates ...");
            KafkaFloor.Result r =
                    new KafkaFloor(bootstrap, prefix).run(plan.warmup(), plan.measure(), plan.floorRecords());
            floor = new BenchReport.Floor(
                    r.roundTrip(),
                    r.roundTrip().p50() / 2,
                    r.producerRecordsPerSecond(),
                    r.consumerRecordsPerSecond(),
                    r.recordBytes(),
                    r.records());
        }
        BenchReport.TurnScenario simple = null;
        BenchReport.TurnScenario tool = null;
        TurnAnatomy.Result anatomy = null;
        List<HttpPath.Result> http = null;
        List<WebSocketLoad.Result> webSocket = null;
        HistoryGrowth.Result history = null;
        BenchReport.Throughput throughput = null;
        Map<String, Object> settings = settings(broker, prefix);
        boolean needsNode = scenarios.stream().anyMatch(s -> s != Scenario.FLOOR && s != Scenario.RECOVERY);
        if (needsNode) {
            console.println(
                    "Starting a Skein node (topology, agent runner, worker, ingress) on prefix " + prefix + " ...");
            try (BenchNode node = BenchNode.start(bootstrap, prefix, work.resolve("node"));
                    TurnDriver driver = new TurnDriver(bootstrap, node.topics())) {
                settings.put("partitions", node.config().partitions());
                settings.put("streamThreads", node.config().streamThreads());
                settings.put("standbyReplicas", node.config().standbyReplicas());
                settings.put("commitIntervalMs", node.config().commitInterval().toMillis());
                settings.put("workerMaxInFlight", node.config().workerMaxInFlight());
                // docs/dispatch.md: whether runners and the tool tier wait for the topology's commits.
                settings.put("agentsDispatch", node.config().agentDispatch().configName());
                settings.put(
                        "smallTierDispatch", node.config().tierDispatch("small").configName());
                // docs/dispatch.md#requested-commits: whether the topology ends its own transactions.
                CommitRequests commits = node.config().commitRequests();
                settings.put("requestedCommits", commits.enabled());
                if (commits.enabled()) {
                    settings.put(
                            "requestedCommitsMinSpacingMs", commits.minSpacing().toMillis());
                    settings.put(
                            "requestedCommitsGraceMs",
                            commits.speculativeGrace().toMillis());
                }
                // JIT, connections, share sessions and the first transaction: not part of any figure.
                WarmUp.Result warm = WarmUp.run(driver, plan.warmup(), plan.warmupCap(), SIMPLE_MESSAGE, TOOL_MESSAGE);
                console.printf(
                        "Warm-up: %d rounds in %.0f s, JIT at %.0f%% of a core in the last%n",
                        warm.rounds(), warm.seconds(), 100 * warm.lastRoundJitShare());
                settings.put("warmup", warm);
                if (scenarios.contains(Scenario.SIMPLE)) {
                    simple = closedLoop(driver, floor, "simple", SIMPLE_MESSAGE, SIMPLE_HOPS, SIMPLE_PATH);
                    console.printf("Simple turn anatomy: %d turns of one session ...%n", plan.anatomyTurns());
                    anatomy = new TurnAnatomy(bootstrap, node.topics()).run(driver, plan.anatomyTurns());
                }
                if (scenarios.contains(Scenario.TOOL)) {
                    tool = closedLoop(driver, floor, "tool", TOOL_MESSAGE, TOOL_HOPS, TOOL_PATH);
                }
                if (scenarios.contains(Scenario.HTTP)) {
                    Duration measure = plan.measure().compareTo(Duration.ofSeconds(2)) < 0
                            ? Duration.ofSeconds(2)
                            : plan.measure();
                    webSocket = new ArrayList<>();
                    for (int connections : plan.sessionLevels()) {
                        console.printf(
                                "HTTP path: %d sessions posting turns, answers over WebSocket (another JVM) ...%n",
                                connections);
                        webSocket.add(WebSocketLoadProcess.run(
                                node.httpPort(), connections, plan.warmup(), measure, "ws-" + connections));
                    }
                    Optional<Path> wrk = HttpPath.wrk();
                    if (wrk.isEmpty()) {
                        skipped.put("http", "wrk is not installed (apt-get install wrk): POST ?wait was not measured");
                    } else {
                        http = new ArrayList<>();
                        for (int connections : plan.sessionLevels()) {
                            console.printf(
                                    "HTTP path: wrk, %d connections, simple turns with ?wait ...%n", connections);
                            http.add(HttpPath.run(wrk.get(), node.httpPort(), connections, measure, work));
                        }
                        drain(driver); // wrk stops sending, not the turns it left running
                    }
                }
                if (scenarios.contains(Scenario.HISTORY)) {
                    console.printf("History growth: one session to %d turns ...%n", plan.historyTurns());
                    history = new HistoryGrowth(driver, bootstrap, node.messagesChangelog())
                            .run("history", plan.historyTurns(), plan.historyCheckpoints());
                }
                if (scenarios.contains(Scenario.THROUGHPUT)) {
                    throughput = throughput(driver);
                }
            }
        }
        Recovery.Result recovery = null;
        if (scenarios.contains(Scenario.RECOVERY)) {
            // After the in-process node has stopped: the recovery processes get the machine to themselves.
            settings.put("recoverySessions", plan.recoverySessions());
            int load = recoveryLoad(throughput);
            settings.put("recoveryLoadPerSecond", load);
            recovery = new Recovery(
                            bootstrap,
                            prefix,
                            work.resolve("recovery"),
                            options.out().resolve("recovery-logs"),
                            console)
                    .run(plan.recoverySessions(), load);
        }
        return new BenchReport(
                startedAt.toString(),
                (System.nanoTime() - began) / 1e9,
                machine(),
                settings,
                floor,
                simple,
                anatomy,
                tool,
                http,
                webSocket,
                history,
                throughput,
                recovery,
                skipped);
    }

    /**
     * Sets the level of Skein's loggers and returns the previous one. The runner and the topology
     * log each step at INFO; at thousands of turns a second the console would be the bottleneck.
     */
    static ch.qos.logback.classic.Level quietPerTurnLogs(ch.qos.logback.classic.Level level) {
        if (LoggerFactory.getLogger("dev.skein") instanceof ch.qos.logback.classic.Logger skein) {
            ch.qos.logback.classic.Level previous = skein.getLevel();
            skein.setLevel(level);
            return previous;
        }
        return null;
    }

    private BenchReport.TurnScenario closedLoop(
            TurnDriver driver, BenchReport.Floor floor, String name, String message, int hops, String path)
            throws InterruptedException {
        List<BenchReport.TurnLevel> levels = new ArrayList<>();
        for (int sessions : plan.sessionLevels()) {
            console.printf("%s turn, closed loop, %d sessions ...%n", capitalized(name), sessions);
            TurnDriver.LoadResult r =
                    driver.closedLoop(name + "-" + sessions, sessions, message, plan.warmup(), plan.measure());
            levels.add(level(r, floor, hops));
        }
        return new BenchReport.TurnScenario(message, hops, path, levels);
    }

    private BenchReport.Throughput throughput(TurnDriver driver) throws InterruptedException {
        List<BenchReport.TurnLevel> simpleSteps = openLoop(driver, "open-simple", SIMPLE_MESSAGE);
        drain(driver);
        List<BenchReport.TurnLevel> toolSteps = openLoop(driver, "open-tool", TOOL_MESSAGE);
        drain(driver);
        return new BenchReport.Throughput(
                simpleSteps, sustained(simpleSteps), toolSteps, sustained(toolSteps), plan.throughputRates());
    }

    /**
     * The tool turns per second the standby case sends across the kill: the plan's rate, or half
     * the tool rate this machine was measured to sustain when that is less. A rate the machine
     * cannot sustain measures its backlog, not the failover (on a slow machine 200/s against a
     * sustained 99 left 3,105 turns queued when the case stopped waiting).
     */
    private int recoveryLoad(BenchReport.Throughput throughput) {
        int planned = plan.recoveryLoadPerSecond();
        if (throughput == null || throughput.toolSustainedPerSecond() <= 0) {
            return planned;
        }
        return (int) Math.max(1, Math.min(planned, throughput.toolSustainedPerSecond() / 2));
    }

    /** Rising rates until a step's p99 passes one second or it cannot keep up. */
    private List<BenchReport.TurnLevel> openLoop(TurnDriver driver, String name, String message)
            throws InterruptedException {
        List<BenchReport.TurnLevel> steps = new ArrayList<>();
        for (int rate : plan.throughputRates()) {
            console.printf("Throughput (%s), open loop at %d turns/s ...%n", message, rate);
            TurnDriver.LoadResult r =
                    driver.openLoop(name + "-" + rate, plan.throughputSessions(), rate, message, plan.throughputStep());
            BenchReport.TurnLevel step = level(r, null, 0);
            steps.add(step);
            if (!held(step)) {
                driver.forgetOutstanding();
                break;
            }
        }
        return steps;
    }

    /** A step is held when its p99 is at most one second and nearly every turn was answered. */
    static boolean held(BenchReport.TurnLevel step) {
        long sent = step.turns() + step.failed();
        return step.latency().p99() <= 1000
                && step.failed() <= Math.max(1, sent / 100)
                && step.turnsPerSecond() >= 0.9 * step.targetPerSecond();
    }

    private static double sustained(List<BenchReport.TurnLevel> steps) {
        return steps.stream()
                .filter(SkeinBench::held)
                .mapToDouble(BenchReport.TurnLevel::turnsPerSecond)
                .max()
                .orElse(0);
    }

    /** Waits until a probe turn answers within half a second: an overload's backlog is gone. */
    private void drain(TurnDriver driver) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        int probe = 0;
        while (System.nanoTime() < deadline) {
            long nanos = driver.turn("drain-probe-" + probe++, SIMPLE_MESSAGE);
            if (nanos >= 0 && nanos < Duration.ofMillis(500).toNanos()) {
                return;
            }
        }
        log.warn("the backlog of the throughput steps did not drain within 90 s; later figures suffer from it");
    }

    private static BenchReport.TurnLevel level(TurnDriver.LoadResult r, BenchReport.Floor floor, int hops) {
        double ratio = floor == null || hops == 0 || floor.oneHopP50Ms() <= 0
                ? 0
                : r.latency().p50() / (floor.oneHopP50Ms() * hops);
        return new BenchReport.TurnLevel(
                r.sessions(),
                r.targetPerSecond(),
                r.turns(),
                r.failed(),
                r.turnsPerSecond(),
                r.latency(),
                ratio,
                r.commits(),
                r.cpu());
    }

    private Map<String, Object> settings(String broker, String prefix) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", plan.quick() ? "quick" : "full");
        settings.put("broker", broker);
        settings.put("topicPrefix", prefix);
        settings.put("processingGuarantee", "exactly_once_v2");
        settings.put("logging", "dev.skein at WARN during the run (per-step INFO lines would measure the console)");
        settings.put("streamsPollMs", SessionStreamsConfig.DEFAULT_POLL_MS);
        settings.put("statestoreCacheMaxBytes", 0);
        settings.put("clientProducer", "linger.ms=0, acks=all, enable.idempotence=true");
        settings.put("clientConsumer", "isolation.level=read_committed, one consumer assigned to every partition");
        settings.put("warmupSeconds", plan.warmup().toMillis() / 1000.0);
        settings.put("measureSecondsPerLevel", plan.measure().toMillis() / 1000.0);
        settings.put("sessionLevels", plan.sessionLevels());
        settings.put("historyTurns", plan.historyTurns());
        settings.put("throughputRates", plan.throughputRates());
        settings.put("throughputStepSeconds", plan.throughputStep().toSeconds());
        settings.put("throughputSessions", plan.throughputSessions());
        settings.put("anatomyTurns", plan.anatomyTurns());
        return settings;
    }

    static Map<String, Object> machine() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            machine.put("memoryBytes", os.getTotalMemorySize());
        }
        machine.put("cpu", cpuModel());
        machine.put("loadAverage", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        machine.put("jvmMaxHeapBytes", Runtime.getRuntime().maxMemory());
        machine.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        machine.put(
                "os",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
        machine.put("kafka", AppInfoParser.getVersion());
        return machine;
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private void write(BenchReport report) throws IOException {
        Files.createDirectories(options.out());
        Path json = options.out().resolve("bench.json");
        JSON.writeValue(json.toFile(), report);
        List<Path> charts = BenchCharts.write(report, options.out());
        console.println();
        console.print(BenchTable.render(report));
        console.println();
        console.println("Figures: " + json.toAbsolutePath());
        charts.forEach(c -> console.println("Chart:   " + c.toAbsolutePath()));
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("Cannot delete the bench's temporary directory {}: {}", dir, e.toString());
        }
    }
}
