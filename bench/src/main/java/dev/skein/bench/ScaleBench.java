package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;

/**
 * {@code skein bench scale}: for each size, {@code sessions} sessions of 10 messages each (five
 * simple turns) and one session of {@code longMessages} messages, held by {@code skein up}
 * processes against the bench's broker: how long loading takes, how long a process takes to
 * restore them after SIGKILL (alone, from the changelogs; and with a standby process taking
 * over), history reads of a short and of the long session, and disk and memory per session.
 * Then the context builder at 10,000 messages ({@link ContextBench}). Every size runs on topics
 * of its own, so sizes can be compared: how each figure grows.
 */
public final class ScaleBench {

    public enum Load {
        /** Copy a template session's changelog records ({@link ScaleLoad}). */
        CHANGELOG,
        /** Five real turns to every session through the topology, 256 in flight. */
        TURNS
    }

    public record Options(
            List<Integer> sizes,
            int longMessages,
            Load load,
            int reads,
            int verify,
            Path out,
            Optional<String> bootstrapServers) {}

    /**
     * Memory before the load (one template session) and after the restore; disk after a clean
     * stop that followed the restart. {@code otherTopicBytesPerTurn}: the bytes of every topic but the changelogs (turns,
     * agent requests and steps, deltas, responses, the registry's) over the turns that crossed them.
     */
    record Footprint(
            ScaleFootprint.Memory before,
            ScaleFootprint.Memory after,
            double heapBytesPerSession,
            double residentBytesPerSession,
            long stateDirBytes,
            long changelogBytes,
            long otherTopicBytes,
            double stateDirBytesPerSession,
            double changelogBytesPerSession,
            double otherTopicBytesPerTurn,
            Map<String, Long> topicBytes) {}

    /** History reads over HTTP, one at a time, in ms; {@code longBytes} is the long history's body size. */
    record Reads(Latency shortSession, Latency longSession, int longMessages, long longBytes) {}

    record Size(
            int sessions,
            String load,
            double loadSeconds,
            long recordsWritten,
            double firstRestoreSeconds,
            Footprint footprint,
            Reads reads,
            ScaleRestore.Figures restart,
            ScaleRestore.Figures standby) {}

    public record Report(
            List<Size> sizes, List<ContextBench.Figure> context, double loadAverage, List<String> defects) {}

    static final String TEMPLATE = "scale-template";
    static final String LONG = "scale-long";
    static final int TEMPLATE_TURNS = 5;
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(20);

    private final Options options;
    private final PrintStream console;
    private final List<String> defects = new ArrayList<>();

    public ScaleBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    public Report run() throws Exception {
        Path work = Files.createTempDirectory("skein-scale");
        LocalKafka kafka = null;
        try {
            String bootstrap = options.bootstrapServers().orElse(null);
            if (bootstrap == null) {
                kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                bootstrap = kafka.bootstrapServers();
            }
            List<Size> sizes = new ArrayList<>();
            for (int sessions : options.sizes()) {
                sizes.add(size(bootstrap, work.resolve(String.valueOf(sessions)), sessions));
            }
            console.println("Scale: the context builder at 10,000 messages ...");
            List<ContextBench.Figure> context = new ContextBench(new ContextBench.Options(200, options.out()), console)
                    .run().stream().filter(f -> f.messages() == 10_000).toList();
            return new Report(sizes, context, loadAverage(), List.copyOf(defects));
        } finally {
            if (kafka != null) {
                kafka.close();
            }
            Utils.delete(work.toFile());
        }
    }

    private Size size(String bootstrap, Path work, int sessions) throws Exception {
        String prefix = "scale-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, String> settings = new LinkedHashMap<>(Recovery.failureDetection(bootstrap));
        settings.put("skein.topics.prefix", prefix);
        settings.put("skein.session.default-agent", "demo");
        List<SkeinProcess> processes = new ArrayList<>();
        EmbeddedSchemaRegistry registry = null;
        try {
            console.printf("Scale (%,d sessions): starting skein up ...%n", sessions);
            SkeinProcess node = SkeinProcess.start(bootstrap, work.resolve("alone"), settings);
            processes.add(node);
            node.awaitHealthy(STARTUP_TIMEOUT);
            registry = new EmbeddedSchemaRegistry(bootstrap, EmbeddedSchemaRegistry.defaultTopic(prefix), (short) 1);
            SkeinTopics topics = new SkeinTopics(prefix, registry);
            ScaleLoad load = new ScaleLoad(bootstrap, topics);
            try (TurnDriver driver = new TurnDriver(bootstrap, topics)) {
                for (int i = 0; i < TEMPLATE_TURNS; i++) {
                    if (driver.turn(TEMPLATE, SkeinBench.SIMPLE_MESSAGE) < 0) {
                        throw new IllegalStateException("the template session got no answer; see " + node.log());
                    }
                }
                ScaleFootprint.Memory before = ScaleFootprint.memory(node.pid());

                console.printf("Scale (%,d sessions): loading (%s) ...%n", sessions, options.load());
                long written = 0;
                double loadSeconds;
                List<ScaleLoad.Copied> template;
                long turnsThroughTopics = TEMPLATE_TURNS;
                if (options.load() == Load.TURNS) {
                    long loadStart = System.nanoTime();
                    for (int round = 0; round < TEMPLATE_TURNS; round++) {
                        long failed = driver.seed("scale", sessions, SkeinBench.SIMPLE_MESSAGE, 256);
                        if (failed > 0) {
                            defects.add(sessions + " sessions: " + failed + " load turns did not complete");
                        }
                    }
                    loadSeconds = (System.nanoTime() - loadStart) / 1e9;
                    turnsThroughTopics += (long) TEMPLATE_TURNS * sessions;
                    node.close();
                    template = load.template(TEMPLATE);
                } else {
                    node.close(); // nothing may write the changelogs while they are copied into
                    long loadStart = System.nanoTime();
                    template = load.template(TEMPLATE);
                    written = load.replicate(template, TEMPLATE, "scale", sessions, driver);
                    loadSeconds = (System.nanoTime() - loadStart) / 1e9;
                }
                load.longSession(template, TEMPLATE, LONG, options.longMessages(), driver);

                // A fresh state directory: the first start restores everything from the changelogs.
                Utils.delete(work.resolve("alone").resolve("streams").toFile());
                console.printf(
                        "Scale (%,d sessions): loaded in %.1f s; restoring into a fresh state directory ...%n",
                        sessions, loadSeconds);
                long restoreStart = System.nanoTime();
                node.restart();
                node.awaitHealthy(STARTUP_TIMEOUT);
                double firstRestore = (System.nanoTime() - restoreStart) / 1e9;

                ScaleFootprint.Memory after = ScaleFootprint.memory(node.pid());
                Reads reads = reads(node, sessions);
                ScaleRestore restore = new ScaleRestore(driver, sessions, options.verify(), console);
                ScaleRestore.Figures restart = restore.restart(node, STARTUP_TIMEOUT);
                defects.addAll(restart.defects());
                // Measured after a clean stop: RocksDB has flushed its memtables (right after a
                // restore most of the state is still in memory, not in files).
                node.close();
                Footprint footprint =
                        footprint(bootstrap, prefix, topics, node, before, after, sessions, turnsThroughTopics);

                Map<String, String> pair = new LinkedHashMap<>(settings);
                pair.put("skein.streams.standby-replicas", "1");
                List<SkeinProcess> both = List.of(
                        SkeinProcess.start(bootstrap, work.resolve("active"), pair),
                        SkeinProcess.start(bootstrap, work.resolve("standby"), pair));
                processes.addAll(both);
                ScaleRestore.Figures standby = restore.standby(both, firstRestore, STARTUP_TIMEOUT);
                defects.addAll(standby.defects());
                return new Size(
                        sessions,
                        options.load().name().toLowerCase(Locale.ROOT),
                        loadSeconds,
                        written,
                        firstRestore,
                        footprint,
                        reads,
                        restart,
                        standby);
            }
        } finally {
            Path logs = options.out().resolve("scale-logs");
            Files.createDirectories(logs);
            for (int i = 0; i < processes.size(); i++) {
                processes.get(i).close();
                Files.copy(
                        processes.get(i).log(),
                        logs.resolve(sessions + "-" + i + ".log"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
            if (registry != null) {
                registry.close();
            }
        }
    }

    private Footprint footprint(
            String bootstrap,
            String prefix,
            SkeinTopics topics,
            SkeinProcess node,
            ScaleFootprint.Memory before,
            ScaleFootprint.Memory after,
            int sessions,
            long turns)
            throws Exception {
        String applicationId = topics.groupId("sessions");
        Map<String, Long> topicBytes = ScaleFootprint.topicBytes(bootstrap, List.of(prefix, applicationId));
        long changelogs = topicBytes.entrySet().stream()
                .filter(e -> e.getKey().startsWith(applicationId) && e.getKey().endsWith("-changelog"))
                .mapToLong(Map.Entry::getValue)
                .sum();
        long others = topicBytes.values().stream().mapToLong(Long::longValue).sum() - changelogs;
        long stateDir = ScaleFootprint.directoryBytes(node.dataDir().resolve("streams"));
        return new Footprint(
                before,
                after,
                (after.heapUsedBytes() - before.heapUsedBytes()) / (double) sessions,
                (after.residentBytes() - before.residentBytes()) / (double) sessions,
                stateDir,
                changelogs,
                others,
                stateDir / (double) sessions,
                changelogs / (double) sessions,
                others / (double) turns,
                topicBytes);
    }

    /** Short sessions spread over the whole range, one read each; then the long session. */
    private Reads reads(SkeinProcess node, int sessions) throws Exception {
        console.printf("Scale (%,d sessions): history reads ...%n", sessions);
        var shortReads = Latency.histogram();
        int count = Math.min(options.reads(), sessions);
        for (int i = 0; i < count; i++) {
            String session = "scale-" + (long) i * sessions / count;
            long start = System.nanoTime();
            var response = node.get("/v1/sessions/" + session + "/history");
            shortReads.recordValue(System.nanoTime() - start);
            int messages = ScaleRestore.messages(response);
            if (messages != 10) {
                defects.add(sessions + " sessions: " + session + " read " + messages + " messages, not 10");
            }
        }
        var longReads = Latency.histogram();
        long longBytes = 0;
        for (int i = 0; i < Math.max(5, count / 40); i++) {
            long start = System.nanoTime();
            var response = node.get("/v1/sessions/" + LONG + "/history");
            longReads.recordValue(System.nanoTime() - start);
            longBytes = response.body().length();
            if (response.statusCode() != 200) {
                defects.add(sessions + " sessions: the long session's history answered " + response.statusCode());
            }
        }
        int longMessages = ScaleRestore.messages(node, LONG);
        if (longMessages != options.longMessages()) {
            defects.add(sessions + " sessions: the long session read " + longMessages + " messages");
        }
        return new Reads(Latency.of(shortReads), Latency.of(longReads), longMessages, longBytes);
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public void write(Report report) throws IOException {
        Files.createDirectories(options.out());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.out().resolve("scale.json").toFile(), report);
        ScaleTable.print(report, console);
    }
}
