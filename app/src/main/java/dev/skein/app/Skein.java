package dev.skein.app;

import dev.skein.app.config.SkeinConfig;
import dev.skein.app.process.ParentWatch;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** The {@code skein} command line. */
@Command(
        name = "skein",
        mixinStandardHelpOptions = true,
        // --help and --version on every subcommand too: `skein up --help` was an unknown option.
        scope = CommandLine.ScopeType.INHERIT,
        version = "skein 0.1.0",
        description = "Durable AI agents on Apache Kafka Streams.",
        subcommands = {
            Skein.Up.class,
            Skein.Core.class,
            Skein.Agents.class,
            Skein.Worker.class,
            KeysCommand.class,
            Skein.Bench.class
        })
public final class Skein {

    private static final Logger log = LoggerFactory.getLogger(Skein.class);

    public static void main(String[] args) {
        ParentWatch.exitWithParent();
        System.exit(execute(new Skein(), args));
    }

    /**
     * Runs a picocli command the way every {@code skein} command runs: a failure is one line on
     * stderr ({@code skein: <what happened: why>}) and exit code 1, the stack trace only in the debug
     * log. The bench module's command line runs through here too.
     */
    public static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // A failure to start is a message for a person, not a stack trace; the log has the details.
            log.debug("Command failed", e);
            commandLine.getErr().println("skein: " + describe(e));
            return 1;
        });
        return cli.execute(args);
    }

    private static String describe(Throwable e) {
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause.getMessage() != null && !message.toString().contains(cause.getMessage())) {
                message.append(": ").append(cause.getMessage());
            }
        }
        return message.toString();
    }

    /** Options every command takes; each overrides the same key of the configuration. */
    static final class CommonOptions {
        @Option(names = "--config", description = "Configuration file (HOCON, JSON or properties).")
        Path configFile;

        @Option(names = "--data-dir", description = "Where data is kept (skein.data-dir, default ./data).")
        Path dataDir;

        @Option(
                names = "--bootstrap-servers",
                description = "Kafka to use (skein.kafka.bootstrap-servers). Without it, `up` starts an embedded"
                        + " broker and the other commands join the one of a running `skein up`.")
        String bootstrapServers;

        @Option(names = "--schema-registry", description = "Schema registry URL (skein.schema-registry.url).")
        String registryUrl;

        @Option(names = "--port", description = "HTTP port (skein.http.port, default 8080).")
        Integer port;

        Map<String, Object> flags = new HashMap<>();

        SkeinConfig load() {
            put("skein.data-dir", dataDir == null ? null : dataDir.toString());
            put("skein.kafka.bootstrap-servers", bootstrapServers);
            put("skein.schema-registry.url", registryUrl);
            put("skein.http.port", port);
            return SkeinConfig.load(Optional.ofNullable(configFile), flags);
        }

        void put(String key, Object value) {
            if (value != null) {
                flags.put(key, value);
            }
        }
    }

    /** Runs a node with the given roles until the process is asked to stop. */
    abstract static class NodeCommand implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        abstract Set<Role> roles();

        SkeinConfig configure() {
            return options.load();
        }

        void started(SkeinNode node, SkeinConfig config) {}

        /** Whether this command starts the embedded broker when no cluster is configured. */
        boolean embedsBroker() {
            return false;
        }

        @Override
        public Integer call() throws Exception {
            SkeinConfig config = configure();
            SkeinNode node = SkeinNode.start(config, roles(), embedsBroker());
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                log.info("Stopping Skein");
                                node.close();
                                stopped.countDown();
                            },
                            "skein-shutdown-hook"));
            started(node, config);
            stopped.await();
            return 0;
        }
    }

    @Command(
            name = "up",
            description = "Start everything on this machine: broker (unless --bootstrap-servers),"
                    + " registry, session topology, agent runner, a tool worker and the HTTP API.")
    static final class Up extends NodeCommand {
        @Override
        Set<Role> roles() {
            return Set.of(Role.CORE, Role.AGENTS, Role.WORKER);
        }

        @Override
        boolean embedsBroker() {
            return true;
        }

        @Override
        void started(SkeinNode node, SkeinConfig config) {
            String base = "http://localhost:" + node.httpPort().orElseThrow();
            System.out.println("""

                    Skein is up.
                      HTTP API     %1$s   (health: %1$s/health)
                      Kafka        %2$s
                      Data         %3$s
                      Agent        %4$s%5$s
                      Tools        calculator, count_primes, sleep, noop, matrix_multiply (large tier),
                                   gpu_info (gpu tier: needs a worker with a GPU) (GET %1$s/v1/tools)

                    Try:
                      curl -s -X POST '%1$s/v1/sessions/my-first-session/turns?wait=true' \\
                           -H 'content-type: application/json' -d '{"message":"what is 12*7?"}'
                      curl -s %1$s/v1/sessions/my-first-session/history

                    Stop with Ctrl-C; start again with the same command and the sessions are still there.
                    """.formatted(
                            base, node.bootstrapServers(), config.dataDir(), config.defaultAgent(), agentHint(config)));
        }
    }

    /** What to say about the default agent, and how to configure a real one. */
    static String agentHint(SkeinConfig config) {
        if (!config.defaultAgent().equals("demo")) {
            return " (agents: "
                    + config.agents().stream()
                            .map(a -> a.name() + " = " + a.kind())
                            .toList() + ")";
        }
        String indent = "\n" + " ".repeat(15);
        return " — the built-in demo agent: no model needed; it answers plainly and"
                + indent + "sends arithmetic to the calculator tool. For a real model set OPENAI_API_KEY"
                + indent + "(any OpenAI-compatible server: OPENAI_BASE_URL and OPENAI_MODEL; a local Ollama is"
                + indent + "OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1), or define"
                + indent + "agents in a --config file (docs/adapters.md).";
    }

    @Command(
            name = "core",
            description = "Run the session topology and the HTTP API against a Kafka cluster"
                    + " (default: the embedded broker of a running `skein up`).")
    static final class Core extends NodeCommand {
        @Override
        Set<Role> roles() {
            return Set.of(Role.CORE);
        }
    }

    @Command(
            name = "agents",
            description = "Run an agent runner against a Kafka cluster"
                    + " (default: the embedded broker of a running `skein up`).")
    static final class Agents extends NodeCommand {
        @Override
        Set<Role> roles() {
            return Set.of(Role.AGENTS);
        }
    }

    @Command(
            name = "worker",
            description = "Run a tool worker for one or more tiers against a Kafka cluster"
                    + " (default: the embedded broker of a running `skein up`). What the node offers is detected"
                    + " (cores, memory limit, GPUs from nvidia-smi) unless given.")
    static final class Worker extends NodeCommand {
        @Option(
                names = "--tier",
                description = "A tier to serve (repeatable; skein.worker.tiers; default every"
                        + " tier this node can serve).")
        List<String> tiers;

        @Option(names = "--cpus", description = "CPUs this node offers (skein.worker.cpus), e.g. 8 or 0.5.")
        Double cpus;

        @Option(names = "--gpus", description = "GPUs this node offers (skein.worker.gpus).")
        Integer gpus;

        @Option(names = "--memory", description = "Memory this node offers (skein.worker.memory), e.g. 64g, 512MiB.")
        String memory;

        @Option(
                names = "--resource",
                description = "A custom resource this node offers, name=amount (repeatable;"
                        + " skein.worker.resources), e.g. --resource license=2.")
        Map<String, Double> resources;

        @Option(names = "--worker-id", description = "This worker's id (skein.worker.id; default host-pid).")
        String workerId;

        @Override
        Set<Role> roles() {
            return Set.of(Role.WORKER);
        }

        @Override
        SkeinConfig configure() {
            options.put("skein.worker.tiers", tiers);
            options.put("skein.worker.cpus", cpus);
            options.put("skein.worker.gpus", gpus);
            options.put("skein.worker.memory", memory);
            options.put("skein.worker.resources", resources);
            options.put("skein.worker.id", workerId);
            return options.load();
        }
    }

    /**
     * {@code skein bench} lives in the bench module, so that its charting and histogram libraries
     * stay off the product's class path; the {@code ./skein} script runs it from there. This entry
     * only lists it in {@code skein --help} and says where it is when the app is run on its own.
     */
    @Command(
            name = "bench",
            description = "Benchmarks (the bench module): the Kafka floor, simple and tool turns, HTTP and WebSocket,"
                    + " history growth, throughput, recovery, and `bench tools` for the worker pools."
                    + " See ./skein bench --help.")
    static final class Bench implements Callable<Integer> {
        @Unmatched
        List<String> arguments = List.of();

        @Override
        public Integer call() {
            System.err.println("skein: bench runs from the bench module: use ./skein bench "
                    + String.join(" ", arguments)
                    + " (or java -cp bench/target/skein-bench.jar:bench/target/lib/* dev.skein.bench.BenchCommand)");
            return 2;
        }
    }
}
