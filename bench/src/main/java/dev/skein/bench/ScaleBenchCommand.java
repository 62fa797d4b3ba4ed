package dev.skein.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skein bench scale}: see {@link ScaleBench}. */
@Command(
        name = "scale",
        mixinStandardHelpOptions = true,
        description = "Many sessions of 10 messages each (10,000 and 100,000) and one of 10,000 messages, held by"
                + " skein up processes: load time, restore after SIGKILL (alone, and a standby taking over), history"
                + " reads, disk and memory per session; then the context builder at 10,000 messages. Exits 1 when a"
                + " session is not restored intact or a probe turn is not answered.")
public final class ScaleBenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "2,000 sessions and a 1,000-message session: a few minutes.")
    boolean quick;

    @Option(
            names = "--sessions",
            split = ",",
            description = "Sizes, each on topics of its own (default 10000,100000; quick 2000).")
    List<Integer> sessions;

    @Option(names = "--long-messages", description = "Messages of the long session (default 10000; quick 1000).")
    Integer longMessages;

    @Option(
            names = "--load",
            defaultValue = "changelog",
            description = "How sessions get their history: changelog (copies of a template session's changelog"
                    + " records, restored by the node; default) or turns (five real turns each, 256 in flight).")
    String load;

    @Option(names = "--reads", description = "Short histories read per size (default 2000; quick 500).")
    Integer reads;

    @Option(
            names = "--verify",
            description = "Sessions whose history is checked after each kill, spread evenly; 0: every one"
                    + " (default 2000; quick 0).")
    Integer verify;

    @Option(
            names = "--out",
            defaultValue = "bench-results",
            description = "Where scale.json and scale-logs/ go (default bench-results).")
    Path out;

    @Option(names = "--bootstrap-servers", description = "Kafka to use; default: an embedded broker in a temp dir.")
    String bootstrapServers;

    @Override
    public Integer call() throws Exception {
        ScaleBench.Load mode;
        try {
            mode = ScaleBench.Load.valueOf(load.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--load must be changelog or turns, was '" + load + "'");
        }
        ScaleBench bench = new ScaleBench(
                options(quick, sessions, longMessages, mode, reads, verify, out, Optional.ofNullable(bootstrapServers)),
                System.out);
        ScaleBench.Report report = bench.run();
        bench.write(report);
        return report.defects().isEmpty() ? 0 : 1;
    }

    /** The options with the defaults of the full or the quick plan where not given. */
    public static ScaleBench.Options options(
            boolean quick,
            List<Integer> sessions,
            Integer longMessages,
            ScaleBench.Load load,
            Integer reads,
            Integer verify,
            Path out,
            Optional<String> bootstrapServers) {
        return new ScaleBench.Options(
                sessions != null ? sessions : quick ? List.of(2_000) : List.of(10_000, 100_000),
                longMessages != null ? longMessages : quick ? 1_000 : 10_000,
                load,
                reads != null ? reads : quick ? 500 : 2_000,
                verify != null ? verify : quick ? 0 : 2_000,
                out,
                bootstrapServers);
    }
}
