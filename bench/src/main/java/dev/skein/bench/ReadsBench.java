package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.HdrHistogram.Histogram;

/**
 * {@code skein bench reads}: several {@code skein core} processes (JVMs of their own, on one
 * broker) share the sessions. Every session's history is read from every instance: the bodies must
 * be identical, and the latency of a read answered locally is set beside one forwarded to the
 * owner. Then one instance is SIGKILLed and every session is read through the others until all
 * answer again: first possibly stale (from a standby, {@code Skein-Stale: true}), then fresh once
 * the group has rebalanced, and the same as before the kill.
 */
final class ReadsBench {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(120);

    /**
     * @param cores skein core processes (at least 2)
     * @param sessions sessions seeded with one turn each
     * @param rounds times every session is read from every instance, for the latencies
     */
    record Options(int cores, int sessions, int rounds, Path out, Optional<String> bootstrapServers) {}

    /** What one run measured; {@code defects} empty when every read agreed. */
    record Report(
            int cores,
            int sessions,
            long reads,
            Latency local,
            Latency forwarded,
            long mismatches,
            long failedReads,
            int listedSessions,
            boolean listingComplete,
            long msUntilAllReadable,
            long msUntilAllFresh,
            long staleAnswersDuringRecovery,
            long unavailableAnswersDuringRecovery,
            long changedAfterRecovery,
            List<String> defects) {}

    private final Options options;
    private final PrintStream console;

    ReadsBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    Report run() throws Exception {
        Path work = Files.createTempDirectory("skein-reads");
        String prefix = "reads-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        LocalKafka kafka = null;
        List<SkeinProcess> processes = new ArrayList<>();
        EmbeddedSchemaRegistry registry = null;
        try {
            String bootstrap = options.bootstrapServers().orElse(null);
            if (bootstrap == null) {
                kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                bootstrap = kafka.bootstrapServers();
            }
            Map<String, String> settings = new LinkedHashMap<>(Recovery.failureDetection(bootstrap));
            settings.put("skein.topics.prefix", prefix);
            settings.put("skein.session.default-agent", "demo");
            settings.put("skein.streams.standby-replicas", "1");
            byte[] secret = new byte[24];
            new SecureRandom().nextBytes(secret);
            settings.put("skein.cluster.secret", HexFormat.of().formatHex(secret));
            console.printf(
                    "Reads: starting %d skein core processes and one skein agents (logs in %s) ...%n",
                    options.cores(), work);
            List<SkeinProcess> cores = new ArrayList<>();
            for (int i = 0; i < options.cores(); i++) {
                cores.add(
                        SkeinProcess.start("core", List.of(), "512m", bootstrap, work.resolve("core-" + i), settings));
            }
            processes.addAll(cores);
            for (SkeinProcess core : cores) {
                core.awaitHealthy(STARTUP_TIMEOUT);
            }
            processes.add(SkeinProcess.start("agents", List.of(), "384m", bootstrap, work.resolve("agents"), settings));
            registry = new EmbeddedSchemaRegistry(bootstrap, EmbeddedSchemaRegistry.defaultTopic(prefix), (short) 1);
            SkeinTopics topics = new SkeinTopics(prefix, registry);
            console.printf("Reads: one turn to each of %d sessions ...%n", options.sessions());
            try (TurnDriver driver = new TurnDriver(bootstrap, topics)) {
                for (int i = 0; i < options.sessions(); i++) {
                    if (driver.turn(session(i), SkeinBench.SIMPLE_MESSAGE) < 0) {
                        throw new IllegalStateException("session " + session(i) + " got no answer; logs in " + work);
                    }
                }
            }
            return measure(cores);
        } finally {
            for (SkeinProcess process : processes) {
                process.close();
            }
            if (registry != null) {
                registry.close();
            }
            if (kafka != null) {
                kafka.close();
            }
            Path logs = options.out().resolve("reads-logs");
            Files.createDirectories(logs);
            for (int i = 0; i < processes.size(); i++) {
                Files.copy(
                        processes.get(i).log(),
                        logs.resolve((i < options.cores() ? "core-" + i : "agents") + ".log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private Report measure(List<SkeinProcess> cores) throws Exception {
        Histogram local = Latency.histogram();
        Histogram forwarded = Latency.histogram();
        List<String> defects = new ArrayList<>();
        Map<String, String> before = new LinkedHashMap<>();
        long mismatches = 0;
        long failed = 0;
        long reads = 0;
        for (int round = 0; round < options.rounds(); round++) {
            for (int i = 0; i < options.sessions(); i++) {
                String first = null;
                for (SkeinProcess core : cores) {
                    long start = System.nanoTime();
                    HttpResponse<String> read = core.get("/v1/sessions/" + session(i) + "/history");
                    long nanos = System.nanoTime() - start;
                    reads++;
                    if (read.statusCode() != 200) {
                        failed++;
                        defects.add(session(i) + " at core " + cores.indexOf(core) + ": " + read.statusCode() + " "
                                + read.body());
                        continue;
                    }
                    boolean here = read.headers()
                            .firstValue("Skein-Served-By")
                            .orElse("")
                            .endsWith(":" + core.httpPort());
                    (here ? local : forwarded).recordValue(nanos);
                    if (first == null) {
                        first = read.body();
                    } else if (!first.equals(read.body())) {
                        mismatches++;
                        defects.add(session(i) + " reads differently at core " + cores.indexOf(core));
                    }
                }
                before.putIfAbsent(session(i), first);
            }
        }
        int listed = 0;
        boolean complete = true;
        var json = new ObjectMapper();
        for (SkeinProcess core : cores) {
            var page = json.readTree(core.get("/v1/sessions?limit=500").body());
            listed = Math.max(listed, page.path("sessions").size());
            complete &= page.path("complete").asBoolean(false);
            if (page.path("sessions").size() != Math.min(options.sessions(), 500)) {
                defects.add("core " + cores.indexOf(core) + " lists "
                        + page.path("sessions").size() + " sessions");
            }
        }
        console.printf("Reads: %d reads agree; SIGKILL core 0 and read every session through the others ...%n", reads);
        cores.getFirst().kill();
        long killed = System.nanoTime();
        long allReadable = -1;
        long allFresh = -1;
        long stale = 0;
        long unavailable = 0;
        long changed = 0;
        List<SkeinProcess> survivors = cores.subList(1, cores.size());
        int sweep = 0;
        while (allFresh < 0 && System.nanoTime() - killed < RECOVERY_TIMEOUT.toNanos()) {
            int ok = 0;
            int fresh = 0;
            changed = 0;
            for (int i = 0; i < options.sessions(); i++) {
                SkeinProcess via = survivors.get((i + sweep) % survivors.size());
                HttpResponse<String> read = via.get("/v1/sessions/" + session(i) + "/history");
                if (read.statusCode() == 200) {
                    ok++;
                    boolean isStale = read.headers().firstValue("Skein-Stale").isPresent();
                    stale += isStale ? 1 : 0;
                    fresh += isStale ? 0 : 1;
                    changed += read.body().equals(before.get(session(i))) ? 0 : 1;
                } else {
                    unavailable++;
                }
            }
            long ms = (System.nanoTime() - killed) / 1_000_000;
            if (ok == options.sessions() && allReadable < 0) {
                allReadable = ms;
            }
            if (fresh == options.sessions()) {
                allFresh = ms;
            }
            sweep++;
        }
        if (allFresh < 0) {
            defects.add("reads did not all answer fresh within " + RECOVERY_TIMEOUT + " of the kill");
        }
        if (changed > 0) {
            defects.add(changed + " histories read differently after the kill");
        }
        if (mismatches > 0 || failed > 0) {
            defects.add(mismatches + " mismatched and " + failed + " failed reads before the kill");
        }
        return new Report(
                cores.size(),
                options.sessions(),
                reads,
                Latency.of(local),
                Latency.of(forwarded),
                mismatches,
                failed,
                listed,
                complete,
                allReadable,
                allFresh,
                stale,
                unavailable,
                changed,
                defects.stream().limit(20).toList());
    }

    /** Writes {@code reads.json} under {@code --out} and prints the table. */
    void write(Report report) throws IOException {
        Files.createDirectories(options.out());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.out().resolve("reads.json").toFile(), report);
        console.println();
        console.println("| reads from any instance | local | forwarded |");
        console.println("|---|---:|---:|");
        console.printf(
                "| reads | %d | %d |%n",
                report.local().count(), report.forwarded().count());
        console.printf(
                "| p50 ms | %.2f | %.2f |%n",
                report.local().p50(), report.forwarded().p50());
        console.printf(
                "| p99 ms | %.2f | %.2f |%n",
                report.local().p99(), report.forwarded().p99());
        console.println();
        console.println("| after a SIGKILL of one of " + report.cores() + " core processes | |");
        console.println("|---|---:|");
        console.printf("| sessions | %d |%n", report.sessions());
        console.printf("| mismatched reads before the kill (must be 0) | %d |%n", report.mismatches());
        console.printf(
                "| sessions listed by GET /v1/sessions (complete: %s) | %d |%n",
                report.listingComplete(), report.listedSessions());
        console.printf("| ms until every session reads again (stale allowed) | %d |%n", report.msUntilAllReadable());
        console.printf("| ms until every session reads fresh (rebalanced) | %d |%n", report.msUntilAllFresh());
        console.printf("| stale answers meanwhile | %d |%n", report.staleAnswersDuringRecovery());
        console.printf("| 503 answers meanwhile | %d |%n", report.unavailableAnswersDuringRecovery());
        console.printf("| histories changed by the kill (must be 0) | %d |%n", report.changedAfterRecovery());
        report.defects().forEach(d -> console.println("DEFECT: " + d));
    }

    private static String session(int i) {
        return "reads-" + i;
    }
}
