package dev.skein.bench;

import dev.skein.app.Skein;
import dev.skein.app.kafka.LocalKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code skein bench}: the benchmark's command line. The {@code ./skein} script runs this class for
 * {@code ./skein bench ...}, with the bench module's class path (the product's has no charting or
 * histogram libraries).
 */
@Command(
        name = "skein bench",
        description =
                "Benchmarks that start what they need (an embedded broker unless"
                        + " --bootstrap-servers, a whole Skein node in this JVM) and report each figure beside the Kafka floor"
                        + " measured in the same run. Scenarios: floor (raw Kafka round trip and records/s), simple (turns"
                        + " without a tool, 1, 8, 64 sessions), tool (turns with one calculator call), http (turns posted by"
                        + " wrk, and over HTTP with answers over WebSocket), history (one session to 2,000 turns), throughput"
                        + " (open loop until p99 passes 1 s), recovery (10,000 sessions, SIGKILL of a skein up process: restart,"
                        + " and a standby in a second process)."
                        + " Without a scenario (or with `all`): every one. `bench tools` measures the worker pools; `bench soak` is the chaos soak; `bench cluster` kills brokers of a three-broker cluster; `bench reads` reads sessions from every one of several instances; `bench topology` runs the process topology of deploy/ and kills one process of each role; `bench streams` follows a session over SSE across drops and a SIGKILL; `bench auth` sets authentication's cost beside an open node; `bench mcp` sets tool calls through MCP (in and out) beside the built-in calculator; `bench tracing` sets tracing's cost on a simple turn, off and on; `bench context` times the context window builder at 2,000 and 10,000 messages; `bench memory` times recall at 100,000 memories; `bench scale` holds 10,000 and 100,000 sessions (restore after SIGKILL, reads, disk and memory per session).",
        subcommands = {
            BenchCommand.BenchTools.class,
            BenchCommand.BenchSoak.class,
            BenchCommand.BenchCluster.class,
            BenchTopology.class,
            BenchCommand.BenchReads.class,
            BenchCommand.BenchAuth.class,
            BenchCommand.BenchTracing.class,
            BenchCommand.BenchContext.class,
            BenchCommand.BenchMemory.class,
            StreamsBenchCommand.class,
            McpBenchCommand.class,
            ScaleBenchCommand.class
        },
        mixinStandardHelpOptions = true)
public final class BenchCommand implements Callable<Integer> {

    public static void main(String[] args) {
        System.exit(Skein.execute(new BenchCommand(), args));
    }

    @Parameters(
            arity = "0..*",
            paramLabel = "SCENARIO",
            description = "floor, simple, tool, http, history," + " throughput, recovery or all (default all).")
    List<String> scenarios = List.of();

    @Option(names = "--quick", description = "Seconds instead of minutes: proves the harness, figures are rough.")
    boolean quick;

    @Option(
            names = "--out",
            defaultValue = "bench-results",
            description = "Where bench.json and the PNG charts go (default bench-results).")
    Path out;

    @Option(names = "--bootstrap-servers", description = "Kafka to use; default: an embedded broker in a temp dir.")
    String bootstrapServers;

    @Override
    public Integer call() throws Exception {
        Set<SkeinBench.Scenario> chosen = EnumSet.noneOf(SkeinBench.Scenario.class);
        for (String name : scenarios) {
            if (name.equalsIgnoreCase("all")) {
                chosen.addAll(EnumSet.allOf(SkeinBench.Scenario.class));
                continue;
            }
            try {
                chosen.add(SkeinBench.Scenario.valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this),
                        "unknown scenario '" + name
                                + "'; choose from floor, simple, tool, http, history, throughput, recovery, all");
            }
        }
        if (chosen.isEmpty()) {
            chosen = EnumSet.allOf(SkeinBench.Scenario.class);
        }
        new SkeinBench(new SkeinBench.Options(quick, out, Optional.ofNullable(bootstrapServers), chosen), System.out)
                .run();
        return 0;
    }

    @Command(
            name = "tools",
            mixinStandardHelpOptions = true,
            description = "Tool calls per second and the call round trip with the no-op tool,"
                    + " for 1, 2 and 4 worker processes (each a `skein worker` JVM).")
    static final class BenchTools implements Callable<Integer> {
        @Option(names = "--bootstrap-servers", description = "Kafka to use; default: an embedded broker in a temp dir.")
        String bootstrapServers;

        @Option(
                names = "--workers",
                split = ",",
                defaultValue = "1,2,4",
                description = "Worker counts (default 1,2,4).")
        List<Integer> workerCounts;

        @Option(names = "--calls", defaultValue = "3000", description = "Calls per round (default 3000).")
        int calls;

        @Option(names = "--window", defaultValue = "64", description = "Calls outstanding at once (default 64).")
        int window;

        @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the tier topic (default 4).")
        int partitions;

        @Override
        public Integer call() throws Exception {
            Path dir = Files.createTempDirectory("skein-bench-tools");
            LocalKafka kafka = null;
            try {
                String bootstrap = bootstrapServers;
                if (bootstrap == null) {
                    kafka = new LocalKafka(LocalKafka.Options.inDirectory(dir.resolve("kafka"))).start();
                    bootstrap = kafka.bootstrapServers();
                }
                ToolBench bench = new ToolBench(bootstrap, dir);
                System.out.printf(
                        "%nTool calls with the noop tool: %d calls per round, %d outstanding, %d partitions%n",
                        calls, window, partitions);
                System.out.println("| workers | calls/s | round trip p50 | p99 | max | workers that answered |");
                System.out.println("|---:|---:|---:|---:|---:|---|");
                for (int count : workerCounts) {
                    ToolBench.Result r = bench.run(count, calls, window, partitions);
                    System.out.printf(
                            "| %d | %.0f | %.1f ms | %.1f ms | %.1f ms | %s |%n",
                            r.workers(),
                            r.callsPerSecond(),
                            r.p50Ms(),
                            r.p99Ms(),
                            r.maxMs(),
                            r.workersSeen().stream().sorted().toList());
                }
                System.out.println("Worker logs: " + dir);
                return 0;
            } finally {
                if (kafka != null) {
                    kafka.close();
                }
            }
        }
    }

    @Command(
            name = "soak",
            mixinStandardHelpOptions = true,
            description = "The chaos soak: skein core, agents and worker processes serve tool and plain turns at a"
                    + " steady rate while a random one is SIGKILLed and restarted every few seconds; then every turn"
                    + " must have exactly one completion and no history a gap or a duplicate. Exits 1 when an"
                    + " invariant is broken.")
    static final class BenchSoak implements Callable<Integer> {
        @Option(names = "--quick", description = "300 turns, a kill every 8 s, 40 sessions: about 90 s.")
        boolean quick;

        @Option(names = "--turns", description = "Turns to send (default 10000; quick 300).")
        Integer turns;

        @Option(names = "--rate", description = "Turns per second (default 25; quick 8).")
        Double rate;

        @Option(
                names = "--kill-every",
                paramLabel = "SECONDS",
                description = "Seconds between two SIGKILLs (default 5; quick 8).")
        Double killEvery;

        @Option(names = "--sessions", description = "Sessions the turns go to (default 200; quick 40).")
        Integer sessions;

        @Option(names = "--cores", defaultValue = "2", description = "skein core processes (default 2).")
        int cores;

        @Option(names = "--agents", defaultValue = "2", description = "skein agents processes (default 2).")
        int agents;

        @Option(names = "--workers", defaultValue = "2", description = "skein worker processes (default 2).")
        int workers;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the choice of whom to kill (default 1).")
        long seed;

        @Option(
                names = "--out",
                defaultValue = "bench-results",
                description = "Where soak.json and soak-logs/ go (default bench-results).")
        Path out;

        @Option(names = "--bootstrap-servers", description = "Kafka to use; default: an embedded broker in a temp dir.")
        String bootstrapServers;

        @Override
        public Integer call() throws Exception {
            Soak soak = new Soak(
                    new Soak.Options(
                            turns != null ? turns : quick ? 300 : 10_000,
                            rate != null ? rate : quick ? 8 : 25,
                            Duration.ofMillis(Math.round(1000 * (killEvery != null ? killEvery : quick ? 8 : 5))),
                            sessions != null ? sessions : quick ? 40 : 200,
                            cores,
                            agents,
                            workers,
                            seed,
                            out,
                            Optional.ofNullable(bootstrapServers),
                            1,
                            Duration.ZERO,
                            List.of("small"),
                            Optional.empty(),
                            false,
                            Map.of()),
                    System.out);
            SoakReport report = soak.run();
            soak.write(report);
            return report.invariantsHold() ? 0 : 1;
        }
    }

    @Command(
            name = "cluster",
            mixinStandardHelpOptions = true,
            description = "A three-broker Kafka cluster (each broker also a KRaft controller; replication factor 3,"
                    + " min.insync.replicas 2) under steady tool and plain turns from a skein core, agents and worker:"
                    + " the broker that is the active controller is SIGKILLed, kept down, and restarted on its own"
                    + " data; then every turn must have completed exactly once (none failed) and no history may have a"
                    + " gap or a duplicate. Exits 1 otherwise.")
    static final class BenchCluster implements Callable<Integer> {
        @Option(
                names = "--quick",
                description = "200 turns at 5/s over 40 sessions, one or two kills: about 2 minutes.")
        boolean quick;

        @Option(names = "--turns", description = "Turns to send (default 3000; quick 200).")
        Integer turns;

        @Option(names = "--rate", description = "Turns per second (default 10; quick 5).")
        Double rate;

        @Option(
                names = "--kill-every",
                paramLabel = "SECONDS",
                description = "Seconds from the load's start to the first kill, and from the end of one"
                        + " recovery (every replica in sync) to the next kill (default 30; quick 10).")
        Double killEvery;

        @Option(
                names = "--down",
                paramLabel = "SECONDS",
                defaultValue = "5",
                description = "Seconds a killed broker stays down, at least until its partitions have new leaders"
                        + " (default 5).")
        double down;

        @Option(names = "--sessions", description = "Sessions the turns go to (default 200; quick 40).")
        Integer sessions;

        @Option(names = "--brokers", defaultValue = "3", description = "Brokers in the cluster (default 3).")
        int brokers;

        @Option(names = "--cores", defaultValue = "1", description = "skein core processes (default 1).")
        int cores;

        @Option(names = "--agents", defaultValue = "1", description = "skein agents processes (default 1).")
        int agents;

        @Option(names = "--workers", defaultValue = "1", description = "skein worker processes (default 1).")
        int workers;

        @Option(
                names = "--out",
                defaultValue = "bench-results",
                description = "Where soak.json and soak-logs/ (brokers' logs included) go (default bench-results).")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (brokers < 3) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--brokers must be at least 3: a quorum that survives a lost broker");
            }
            Soak soak = new Soak(
                    new Soak.Options(
                            turns != null ? turns : quick ? 200 : 3000,
                            rate != null ? rate : quick ? 5 : 10,
                            Duration.ofMillis(Math.round(1000 * (killEvery != null ? killEvery : quick ? 10 : 30))),
                            sessions != null ? sessions : quick ? 40 : 200,
                            cores,
                            agents,
                            workers,
                            1,
                            out,
                            Optional.empty(),
                            brokers,
                            Duration.ofMillis(Math.round(1000 * down)),
                            List.of("small"),
                            Optional.empty(),
                            false,
                            Map.of()),
                    System.out);
            SoakReport report = soak.run();
            soak.write(report);
            boolean noneFailed = report.failedByReason().isEmpty();
            if (!noneFailed) {
                System.out.println("Cluster soak: turns FAILED with one broker down: " + report.failedByReason());
            }
            return report.invariantsHold() && noneFailed ? 0 : 1;
        }
    }

    @Command(
            name = "reads",
            mixinStandardHelpOptions = true,
            description = "Reads from any instance: skein core processes share the sessions; every history is read"
                    + " from every instance (local and forwarded latency, bodies must agree), then one instance is"
                    + " SIGKILLed and the time until every session reads again is measured. Exits 1 on a defect.")
    static final class BenchReads implements Callable<Integer> {
        @Option(names = "--quick", description = "200 sessions, one round of reads: about a minute.")
        boolean quick;

        @Option(names = "--cores", defaultValue = "3", description = "skein core processes (default 3).")
        int cores;

        @Option(names = "--sessions", defaultValue = "200", description = "Sessions (default 200).")
        int sessions;

        @Option(names = "--rounds", description = "Reads of every session at every instance (default 5; quick 1).")
        Integer rounds;

        @Option(
                names = "--out",
                defaultValue = "bench-results",
                description = "Where reads.json and reads-logs/ go (default bench-results).")
        Path out;

        @Option(names = "--bootstrap-servers", description = "Kafka to use; default: an embedded broker in a temp dir.")
        String bootstrapServers;

        @Override
        public Integer call() throws Exception {
            if (cores < 2) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--cores must be at least 2, was " + cores);
            }
            ReadsBench bench = new ReadsBench(
                    new ReadsBench.Options(
                            cores,
                            sessions,
                            rounds != null ? rounds : quick ? 1 : 5,
                            out,
                            Optional.ofNullable(bootstrapServers)),
                    System.out);
            ReadsBench.Report report = bench.run();
            bench.write(report);
            return report.defects().isEmpty() ? 0 : 1;
        }
    }

    @Command(
            name = "auth",
            mixinStandardHelpOptions = true,
            description = "What authentication costs a turn: simple turns over HTTP to an open node and to one with"
                    + " skein.auth.enabled (an API key, an HS256 JWT), alternating; the latencies side by side.")
    static final class BenchAuth implements Callable<Integer> {
        @Option(names = "--quick", description = "50 turns of each kind.")
        boolean quick;

        @Option(names = "--turns", description = "Turns of each kind (default 300; quick 50).")
        Integer turns;

        @Option(
                names = "--out",
                defaultValue = "bench-results",
                description = "Where auth.json goes (default bench-results).")
        Path out;

        @Override
        public Integer call() throws Exception {
            AuthBench bench =
                    new AuthBench(new AuthBench.Options(turns != null ? turns : quick ? 50 : 300, out), System.out);
            bench.write(bench.run());
            return 0;
        }
    }

    @Command(
            name = "tracing",
            mixinStandardHelpOptions = true,
            description = "What tracing costs a turn: simple turns over HTTP to one node with skein.tracing off, then"
                    + " with the OpenTelemetry SDK on (every turn sampled, exported over OTLP/HTTP to a local sink).")
    static final class BenchTracing implements Callable<Integer> {
        @Option(names = "--quick", description = "50 turns of each kind.")
        boolean quick;

        @Option(names = "--turns", description = "Turns of each kind (default 300; quick 50).")
        Integer turns;

        @Option(
                names = "--out",
                defaultValue = "bench-results",
                description = "Where tracing.json goes (default bench-results).")
        Path out;

        @Override
        public Integer call() throws Exception {
            TracingBench bench = new TracingBench(
                    new TracingBench.Options(turns != null ? turns : quick ? 50 : 300, out), System.out);
            bench.write(bench.run());
            return 0;
        }
    }

    @Command(
            name = "memory",
            description = "Recall latency of the memory index at 100,000 memories (in process, the real MiniLM model).",
            mixinStandardHelpOptions = true)
    static final class BenchMemory implements Callable<Integer> {
        @Option(names = "--quick", description = "10,000 memories and 200 queries.")
        boolean quick;

        @Option(names = "--memories", description = "Memories in the index (default 100000; quick 10000).")
        Integer memories;

        @Option(
                names = "--out",
                defaultValue = "bench-results",
                description = "Where memory.json goes (default bench-results).")
        Path out;

        @Override
        public Integer call() throws Exception {
            MemoryBench bench = new MemoryBench(
                    new MemoryBench.Options(
                            memories != null ? memories : quick ? 10_000 : 100_000,
                            quick ? 200 : 1_000,
                            quick ? 200 : 2_000,
                            out),
                    System.out);
            bench.write(bench.run());
            return 0;
        }
    }

    @Command(
            name = "context",
            mixinStandardHelpOptions = true,
            description = "What building one invocation's context window costs at 2,000 and 10,000 messages of"
                    + " history (warm, cold, and counting the whole history for comparison); no broker needed.")
    static final class BenchContext implements Callable<Integer> {
        @Option(names = "--quick", description = "200 builds of each kind.")
        boolean quick;

        @Option(names = "--iterations", description = "Builds of each kind (default 2000; quick 200).")
        Integer iterations;

        @Option(
                names = "--out",
                defaultValue = "bench-results",
                description = "Where context.json goes (default bench-results).")
        Path out;

        @Override
        public Integer call() throws Exception {
            ContextBench bench = new ContextBench(
                    new ContextBench.Options(iterations != null ? iterations : quick ? 200 : 2_000, out), System.out);
            bench.write(bench.run());
            return 0;
        }
    }
}
