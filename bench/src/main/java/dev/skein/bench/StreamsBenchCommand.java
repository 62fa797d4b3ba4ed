package dev.skein.bench;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skein bench streams}: see {@link StreamsBench}. */
@Command(
        name = "streams",
        mixinStandardHelpOptions = true,
        description = "Resumable streams: a client follows one session over SSE while its turns run, drops at"
                + " random and resumes from its last position; halfway the instance it is on is SIGKILLed and"
                + " started again, and it resumes on the other. Every event must be seen once, in order."
                + " Reports the live delta latency and the cost of a replay. Exits 1 on a defect.")
final class StreamsBenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "60 turns and about 15 drops: about a minute.")
    boolean quick;

    @Option(names = "--turns", description = "Turns the client follows (default 1000; quick 60).")
    Integer turns;

    @Option(names = "--reconnects", description = "Drops and resumes aimed for (default 100; quick 15).")
    Integer reconnects;

    @Option(names = "--replays", defaultValue = "5", description = "Full replays timed at the end (default 5).")
    int replays;

    @Option(
            names = "--out",
            defaultValue = "bench-results",
            description = "Where streams.json and streams-logs/ go (default bench-results).")
    Path out;

    @Option(names = "--bootstrap-servers", description = "Kafka to use; default: an embedded broker in a temp dir.")
    String bootstrapServers;

    @Override
    public Integer call() throws Exception {
        StreamsBench bench = new StreamsBench(
                new StreamsBench.Options(
                        turns != null ? turns : quick ? 60 : 1000,
                        reconnects != null ? reconnects : quick ? 15 : 100,
                        replays,
                        out,
                        Optional.ofNullable(bootstrapServers)),
                System.out);
        StreamsBench.Report report = bench.run();
        bench.write(report);
        return report.defects().isEmpty() ? 0 : 1;
    }
}
