package dev.skein.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.topologies.session.SessionStores;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The recovery scenario: Skein processes ({@code skein up} against the bench's broker, each in its
 * own JVM) hold {@code sessions} sessions of history; the first is killed with SIGKILL. Then one
 * turn is sent at once to a few probe sessions of every partition, and each probe's time from the
 * kill to its answer is taken: the first answer, and the last, after which every partition (so
 * every session) answers again. Probe sessions are seeded sessions, and their histories are read
 * back afterwards: recovered means answered with the history intact.
 *
 * <p>Two cases, each on topics of its own: {@code restart} (one process, started again on the same
 * data directory as soon as it is dead) and {@code standby} (two processes with one standby replica
 * each; the survivor takes over and nothing is restarted).
 */
final class Recovery {

    /** Figures of one case; times in milliseconds from the SIGKILL. */
    record Case(
            String name,
            String description,
            int processes,
            int sessions,
            double seedSeconds,
            long historyRecords,
            int partitions,
            int probes,
            double firstAnswerMs,
            double allAnswerMs,
            double restartedHealthyMs,
            long unanswered,
            int historiesIntact,
            Map<String, String> settings,
            List<Double> probeAnswerMs,
            Background.Figures background) {}

    record Result(List<Case> cases) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PROBES_PER_PARTITION = 4;
    /** The failure detection of the benches that kill processes to check invariants (soak, reads, streams, scale). */
    static final long DETECTION_MS = 3000;
    /**
     * The recovery scenario's: the shortest that held on this 2-core machine with other builds
     * running; under heavy CPU starvation (load average above 30) live members were fenced at it
     * (docs/benchmarks.md, "Failover: where the time goes").
     */
    static final long FAST_DETECTION_MS = 1500;

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(180);

    private final String bootstrapServers;
    private final String prefix;
    private final Path work;
    private final Path logs;
    private final PrintStream console;

    /** @param logs where the processes' logs are kept once a case is over */
    Recovery(String bootstrapServers, String prefix, Path work, Path logs, PrintStream console) {
        this.bootstrapServers = bootstrapServers;
        this.prefix = prefix;
        this.work = work;
        this.logs = logs;
        this.console = console;
    }

    /**
     * Runs the three cases. Every process gets {@link #failureDetection(String, long)} at
     * {@value #FAST_DETECTION_MS} ms; the standby cases add
     * {@code skein.streams.standby-replicas = 1}.
     */
    Result run(int sessions, int backgroundPerSecond) throws Exception {
        Map<String, String> settings = failureDetection(bootstrapServers, FAST_DETECTION_MS);
        List<Case> cases = new ArrayList<>();
        cases.add(measure(
                "restart",
                "one skein up process, SIGKILLed and started again on the same data directory",
                1,
                sessions,
                settings,
                0));
        Map<String, String> standby = new LinkedHashMap<>(settings);
        standby.put("skein.streams.standby-replicas", "1");
        cases.add(measure(
                "standby",
                "two skein up processes with one standby replica each; one SIGKILLed, the"
                        + " survivor takes over its sessions",
                2,
                sessions,
                standby,
                0));
        cases.add(measure(
                "standby-under-load",
                "as standby, with " + backgroundPerSecond + " tool turns/s to other"
                        + " sessions from 2 s before the kill until the probes are answered",
                2,
                sessions,
                standby,
                backgroundPerSecond));
        return new Result(cases);
    }

    Case measure(
            String name,
            String description,
            int processes,
            int sessions,
            Map<String, String> common,
            int backgroundPerSecond)
            throws Exception {
        String casePrefix = prefix + "recovery-" + name + ".";
        Map<String, String> settings = new LinkedHashMap<>(common);
        settings.put("skein.topics.prefix", casePrefix);
        settings.put("skein.session.default-agent", "demo");
        List<SkeinProcess> nodes = new ArrayList<>();
        EmbeddedSchemaRegistry registry = null;
        try {
            console.printf(
                    "Recovery (%s): starting %d skein up process%s ...%n", name, processes, processes == 1 ? "" : "es");
            for (int i = 0; i < processes; i++) {
                nodes.add(SkeinProcess.start(bootstrapServers, work.resolve(name + "-" + i), settings));
            }
            for (SkeinProcess node : nodes) {
                node.awaitHealthy(STARTUP_TIMEOUT);
            }
            registry = new EmbeddedSchemaRegistry(
                    bootstrapServers, EmbeddedSchemaRegistry.defaultTopic(casePrefix), (short) 1);
            SkeinTopics topics = new SkeinTopics(casePrefix, registry);
            try (TurnDriver driver = new TurnDriver(bootstrapServers, topics)) {
                for (int i = 0; i < 20; i++) {
                    driver.turn("recovery-warmup-" + i % 4, SkeinBench.SIMPLE_MESSAGE); // first share assignment, JIT
                }
                console.printf("Recovery (%s): %d sessions of history ...%n", name, sessions);
                long seedStart = System.nanoTime();
                long seedFailed = driver.seed("recovery", sessions, SkeinBench.SIMPLE_MESSAGE, 128);
                double seedSeconds = (System.nanoTime() - seedStart) / 1e9;
                if (seedFailed > 0) {
                    throw new IllegalStateException(
                            seedFailed + " of the " + sessions + " seed turns did not complete");
                }
                List<String> probes = probes(driver, sessions);
                int partitions = (int)
                        probes.stream().mapToInt(driver::partitionOf).distinct().count();
                Thread.sleep(2000); // the standby replica reads the changelog continuously; let it catch up
                long historyRecords = historyRecords(topics);

                Background background = backgroundPerSecond == 0
                        ? null
                        : new Background(driver, backgroundPerSecond, sessions / 2, sessions);
                if (background != null) {
                    Thread.sleep(2000);
                }
                console.printf(
                        "Recovery (%s): SIGKILL of process %d at %s, then a turn to %d probe sessions ...%n",
                        name, nodes.get(0).pid(), java.time.Instant.now(), probes.size());
                long killedAt = System.nanoTime();
                nodes.get(0).kill();
                List<CompletableFuture<TurnDriver.Answer>> answers = new ArrayList<>();
                for (String probe : probes) {
                    answers.add(driver.submit(probe, SkeinBench.SIMPLE_MESSAGE)); // waits in the topic if need be
                }
                double restartedHealthyMs = 0;
                if (processes == 1) {
                    nodes.get(0).restart();
                    nodes.get(0).awaitHealthy(STARTUP_TIMEOUT);
                    restartedHealthyMs = (System.nanoTime() - killedAt) / 1e6;
                }
                List<Double> answeredMs = new ArrayList<>();
                long unanswered = 0;
                for (CompletableFuture<TurnDriver.Answer> answer : answers) {
                    try {
                        TurnDriver.Answer a = answer.get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                        answeredMs.add((a.receivedNanos() - killedAt) / 1e6);
                    } catch (TimeoutException | ExecutionException e) {
                        unanswered++;
                    }
                }
                Background.Figures load = background == null ? null : background.finish(PROBE_TIMEOUT);
                SkeinProcess survivor = processes == 1 ? nodes.get(0) : nodes.get(1);
                int intact = intactHistories(survivor, probes);
                answeredMs.sort(Double::compare);
                double first = answeredMs.isEmpty() ? -1 : answeredMs.get(0);
                double all = unanswered > 0 || answeredMs.isEmpty() ? -1 : answeredMs.get(answeredMs.size() - 1);
                return new Case(
                        name,
                        description,
                        processes,
                        sessions,
                        seedSeconds,
                        historyRecords,
                        partitions,
                        probes.size(),
                        first,
                        all,
                        restartedHealthyMs,
                        unanswered,
                        intact,
                        settings,
                        answeredMs,
                        load);
            }
        } finally {
            Files.createDirectories(logs);
            for (int i = 0; i < nodes.size(); i++) {
                nodes.get(i).close();
                Files.copy(
                        nodes.get(i).log(), logs.resolve(name + "-" + i + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
            if (registry != null) {
                registry.close();
            }
        }
    }

    /**
     * The failover settings: the session timeouts of the session topology's group and of the
     * agents' and workers' share groups (how long a process that died without leaving keeps its
     * partitions), {@value #DETECTION_MS} ms or the least this broker allows
     * ({@code group.min.session.timeout.ms}, {@code group.share.min.session.timeout.ms}: 6 s and
     * 45 s on a stock broker, 1 s on Skein's embedded one), and the session topology's transaction
     * timeout at the same. A key the bench's own environment sets
     * ({@code SKEIN_STREAMS_SESSION_TIMEOUT=3s ./skein bench recovery}) is left to it.
     */
    static Map<String, String> failureDetection(String bootstrapServers) throws Exception {
        return failureDetection(bootstrapServers, DETECTION_MS);
    }

    /** As {@link #failureDetection(String)}, at {@code detectionMs}. */
    static Map<String, String> failureDetection(String bootstrapServers, long detectionMs) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            String broker = String.valueOf(admin.describeCluster()
                    .nodes()
                    .get(30, TimeUnit.SECONDS)
                    .iterator()
                    .next()
                    .id());
            ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker);
            Config config = admin.describeConfigs(List.of(resource))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(resource);
            long groupMin = longValue(config, "group.min.session.timeout.ms", 6000);
            long shareMin = longValue(config, "group.share.min.session.timeout.ms", 45000);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("skein.streams.session-timeout", Math.max(detectionMs, groupMin) + "ms");
            settings.put("skein.agents.session-timeout", Math.max(detectionMs, shareMin) + "ms");
            settings.put("skein.worker.session-timeout", Math.max(detectionMs, shareMin) + "ms");
            // A transaction the killed process left open holds back every read_committed reader of
            // its partitions until the broker aborts it: the default (5 s) would decide the failover.
            settings.put("skein.streams.transaction-timeout", detectionMs + "ms");
            settings.keySet().removeIf(key -> System.getenv(SkeinProcess.environmentName(key)) != null);
            return settings;
        }
    }

    private static long longValue(Config config, String name, long otherwise) {
        ConfigEntry entry = config.get(name);
        return entry == null || entry.value() == null ? otherwise : Long.parseLong(entry.value());
    }

    /**
     * Tool turns (one calculator call each: the agents' and the workers' share groups are both on
     * their path) at a steady rate, each to another seeded session of the upper half (the probes
     * are from the lower), sent across the kill until {@link #finish} is called: every one must be
     * answered, and their latency shows what the kill cost the turns in flight.
     */
    static final class Background {

        /** Latencies in ms, from the send to the answer. */
        record Figures(
                int perSecond,
                long sent,
                long completed,
                long failed,
                long unanswered,
                double p50Ms,
                double p99Ms,
                double maxMs) {}

        private record Sent(long nanos, CompletableFuture<TurnDriver.Answer> answer) {}

        private final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());
        private final int perSecond;
        private final Thread sender;
        private volatile boolean running = true;

        Background(TurnDriver driver, int perSecond, int firstSession, int endSession) {
            this.perSecond = perSecond;
            long period = 1_000_000_000L / perSecond;
            sender = Thread.ofPlatform()
                    .name("bench-recovery-load")
                    .daemon(true)
                    .start(() -> {
                        long next = System.nanoTime();
                        for (int i = 0; running; i++) {
                            LockSupport.parkNanos(next - System.nanoTime());
                            next += period;
                            String session = "recovery-" + (firstSession + i % (endSession - firstSession));
                            sent.add(new Sent(System.nanoTime(), driver.submit(session, SkeinBench.TOOL_MESSAGE)));
                        }
                    });
        }

        /** Stops sending and waits for every answer, at most {@code wait}. */
        Figures finish(Duration wait) throws InterruptedException {
            running = false;
            sender.join();
            long deadline = System.nanoTime() + wait.toNanos();
            Histogram latency = Latency.histogram();
            long completed = 0;
            long failed = 0;
            long unanswered = 0;
            for (Sent turn : sent) {
                try {
                    TurnDriver.Answer a =
                            turn.answer().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (a.completed().getStatus() == TurnStatus.COMPLETED) {
                        completed++;
                        latency.recordValue(a.receivedNanos() - turn.nanos());
                    } else {
                        failed++;
                    }
                } catch (TimeoutException | ExecutionException e) {
                    unanswered++;
                }
            }
            Latency l = Latency.of(latency);
            return new Figures(perSecond, sent.size(), completed, failed, unanswered, l.p50(), l.p99(), l.max());
        }
    }

    /** {@value #PROBES_PER_PARTITION} seeded sessions of every partition. */
    private static List<String> probes(TurnDriver driver, int sessions) {
        Map<Integer, List<String>> byPartition = new LinkedHashMap<>();
        for (int i = 0; i < sessions; i++) {
            String session = "recovery-" + i;
            List<String> probes = byPartition.computeIfAbsent(driver.partitionOf(session), p -> new ArrayList<>());
            if (probes.size() < PROBES_PER_PARTITION) {
                probes.add(session);
            }
        }
        return byPartition.values().stream().flatMap(List::stream).toList();
    }

    /** Records in the session-messages changelog: the history a process restores. */
    private long historyRecords(SkeinTopics topics) throws Exception {
        String changelog = SessionStores.changelogTopic(topics.groupId("sessions"), SessionStores.MESSAGES);
        return EndOffsets.of(bootstrapServers, List.of(changelog)).values().stream()
                .mapToLong(Long::longValue)
                .sum();
    }

    /** Probe sessions whose history is the seeded turn and the probe turn: four messages, in order. */
    private static int intactHistories(SkeinProcess node, List<String> probes) throws InterruptedException {
        int intact = 0;
        for (String probe : probes) {
            try {
                HttpResponse<String> response = node.get("/v1/sessions/" + probe + "/history");
                JsonNode messages = JSON.readTree(response.body()).path("messages");
                if (response.statusCode() == 200
                        && messages.size() == 4
                        && messages.get(0).path("sequence").asLong() == 0
                        && messages.get(3).path("sequence").asLong() == 3) {
                    intact++;
                }
            } catch (IOException e) {
                // counted as not intact
            }
        }
        return intact;
    }
}
