package dev.skein.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code skein bench topology}: the process topology of {@code deploy/} and {@code compose.yaml} on
 * one machine. Three brokers, two {@code skein core} (standby replicas), one {@code skein agents}
 * and a worker pool for each of the {@code small} and {@code large} tiers, every process started
 * from the configuration file the manifests' ConfigMap is generated from; under tool and plain
 * turns, one process of each role is SIGKILLed in turn and comes back as its controller would
 * bring it back. Every turn must complete exactly once, and no history may have a gap or a
 * duplicate. --quick runs 4 partitions per topic instead of the file's 12 (a lighter load for one machine).
 */
@Command(
        name = "topology",
        mixinStandardHelpOptions = true,
        description = "The process topology of deploy/ on this machine: 3 brokers, 2 skein core, 1 skein agents,"
                + " workers for the small and large tiers, all from deploy/base/skein.conf (the ConfigMap's file);"
                + " a core, the agents, a worker and a broker are SIGKILLed in turn and restarted under load. Exits 1"
                + " when a turn has no completion or two, or a history has a gap or a duplicate.")
final class BenchTopology implements Callable<Integer> {

    @Option(
            names = "--quick",
            description = "200 turns at 5/s over 40 sessions, each role killed once, 4 partitions per topic: about"
                    + " 3 minutes.")
    boolean quick;

    @Option(
            names = "--partitions",
            description = "skein.topics.partitions instead of the file's (default: the file's, 12; quick 4). Three"
                    + " brokers with three replicas of every partition on one small machine do three times the work"
                    + " for 12 as for 4; the topology is the same.")
    Integer partitions;

    @Option(names = "--turns", description = "Turns to send (default 1200; quick 200).")
    Integer turns;

    @Option(names = "--rate", defaultValue = "5", description = "Turns per second (default 5).")
    double rate;

    @Option(
            names = "--kill-every",
            paramLabel = "SECONDS",
            defaultValue = "7",
            description = "Seconds between two kills (after a broker's, from the end of its recovery; default 7).")
    double killEvery;

    @Option(
            names = "--config",
            defaultValue = "deploy/base/skein.conf",
            description = "The configuration every process is started with (default deploy/base/skein.conf).")
    Path config;

    @Option(
            names = "--out",
            defaultValue = "bench-results",
            description = "Where soak.json and soak-logs/ go (default bench-results).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(config)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "no configuration file at " + config.toAbsolutePath()
                            + ": run from the repository's root, or give --config");
        }
        Soak soak = new Soak(
                new Soak.Options(
                        turns != null ? turns : quick ? 200 : 1200,
                        rate,
                        Duration.ofMillis(Math.round(1000 * killEvery)),
                        40,
                        2,
                        1,
                        2,
                        1,
                        out,
                        Optional.empty(),
                        3,
                        Duration.ofSeconds(5),
                        List.of("small", "large"),
                        Optional.of(config.toAbsolutePath()),
                        true,
                        partitions != null
                                ? Map.of("skein.topics.partitions", partitions.toString())
                                : quick ? Map.of("skein.topics.partitions", "4") : Map.of()),
                System.out);
        SoakReport report = soak.run();
        soak.write(report);
        return report.invariantsHold() ? 0 : 1;
    }
}
