package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.app.process.ParentWatch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simple turns posted over HTTP with their answers read from the session's WebSocket, by a load
 * generator in a JVM of its own, so that its threads and garbage are not charged to the node.
 *
 * <p>Each of {@code connections} clients holds one session {@code <prefix>-<i>}: a WebSocket on
 * {@code /v1/sessions/{id}/stream} and one keep-alive HTTP connection. Once subscribed it runs a
 * closed loop: POST a turn without {@code wait} (202 with the turn id), wait for the
 * {@code completed} frame of that turn id, post the next. Latency runs from just before the POST
 * to the moment the completed frame is read. A turn that completes with any other status than
 * COMPLETED, is refused, or gets no completed frame within 30 s is an error; turns started during
 * the warm-up count for nothing.
 *
 * <p>The child prints exactly one line on stdout, the {@link Result} as JSON; logs go to stderr.
 * This class is the child's side: its {@code main}, which deploys one {@link WebSocketSessionClient}
 * per session and sums up their figures; the bench starts it, and reads that line, with
 * {@link WebSocketLoadProcess}.
 */
final class WebSocketLoad {

    /**
     * The figures of one run; latency percentiles, max and mean in milliseconds. The child's
     * result line and the bench report's {@code httpWebSocket} entries are this record as JSON.
     */
    record Result(
            int connections,
            double seconds,
            long turns,
            long errors,
            double turnsPerSecond,
            Map<String, Double> latencyMs,
            List<double[]> percentileCurve) {}

    /** What the child is told on its command line. */
    record Options(String host, int port, int connections, Duration warmup, Duration measure, String sessionPrefix) {

        static final String USAGE =
                "usage: WebSocketLoad <host> <port> <connections> <warmup-ms> <measure-ms> <session-prefix>";

        /** The command line {@link #parse} reads back. */
        List<String> arguments() {
            return List.of(
                    host,
                    Integer.toString(port),
                    Integer.toString(connections),
                    Long.toString(warmup.toMillis()),
                    Long.toString(measure.toMillis()),
                    sessionPrefix);
        }

        static Options parse(String[] args) {
            if (args.length != 6) {
                throw new IllegalArgumentException("expected 6 arguments, got " + args.length);
            }
            int port = positive("port", args[1]);
            if (port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not a TCP port (1 to 65535)");
            }
            if (!args[5].matches("[A-Za-z0-9._-]{1,100}")) {
                throw new IllegalArgumentException("session prefix '" + args[5]
                        + "' is invalid: use 1 to 100 of the characters A-Z a-z 0-9 . _ -");
            }
            return new Options(
                    args[0],
                    port,
                    positive("connections", args[2]),
                    Duration.ofMillis(nonNegative("warmup-ms", args[3])),
                    Duration.ofMillis(positive("measure-ms", args[4])),
                    args[5]);
        }

        private static int positive(String name, String value) {
            long parsed = nonNegative(name, value);
            if (parsed == 0 || parsed > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " must be a positive integer, got '" + value + "'");
            }
            return (int) parsed;
        }

        private static long nonNegative(String name, String value) {
            try {
                long parsed = Long.parseLong(value);
                if (parsed >= 0) {
                    return parsed;
                }
            } catch (NumberFormatException e) {
                // reported below, with the name of the argument
            }
            throw new IllegalArgumentException(name + " must be a non-negative integer, got '" + value + "'");
        }
    }

    private static final Logger log = LoggerFactory.getLogger(WebSocketLoad.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long the clients may take to connect and subscribe, all together. */
    private static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(30);
    /** How long, after the window, the turns still running may take to answer. */
    private static final Duration DRAIN = Duration.ofSeconds(5);

    private final Options options;

    private WebSocketLoad(Options options) {
        this.options = options;
    }

    /**
     * The child's entry point: {@code <host> <port> <connections> <warmup-ms> <measure-ms>
     * <session-prefix>}. Exit 0 with the result line on stdout; 2 for bad arguments; 1 when the
     * run failed (a WebSocket could not connect or was closed by the server), with the reason on
     * stderr.
     */
    public static void main(String[] args) {
        ParentWatch.exitWithParent();
        PrintStream resultOut = System.out;
        // The console appender writes to System.out: stdout is kept for the one result line.
        System.setOut(System.err);
        int exitCode;
        try {
            Result result = new WebSocketLoad(Options.parse(args)).measure();
            resultOut.println(JSON.writeValueAsString(result));
            resultOut.flush();
            exitCode = 0;
        } catch (IllegalArgumentException e) {
            System.err.println("WebSocketLoad: " + e.getMessage());
            System.err.println(Options.USAGE);
            exitCode = 2;
        } catch (IllegalStateException e) {
            // A failure of the run, explained by its message: the parent shows the end of stderr,
            // where a stack trace would push the explanation out.
            log.error("the WebSocket load run failed: {}", e.getMessage());
            exitCode = 1;
        } catch (Exception e) {
            log.error("the WebSocket load run failed unexpectedly", e);
            exitCode = 1;
        }
        System.exit(exitCode);
    }

    private Result measure() throws Exception {
        WebSocketLoadCounts counts = WebSocketLoadCounts.create();
        Vertx vertx = Vertx.vertx();
        long warmupEnd;
        try {
            List<WebSocketSessionClient> clients = new ArrayList<>();
            List<Future<String>> deployments = new ArrayList<>();
            for (int i = 0; i < options.connections(); i++) {
                WebSocketSessionClient client =
                        new WebSocketSessionClient(options, options.sessionPrefix() + "-" + i, counts);
                clients.add(client);
                deployments.add(vertx.deployVerticle(client));
            }
            try {
                Future.all(deployments).await(SUBSCRIBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long subscribed = deployments.stream().filter(Future::succeeded).count();
                throw new IllegalStateException(
                        "only " + subscribed + " of " + options.connections()
                                + " WebSockets were open and subscribed within " + SUBSCRIBE_TIMEOUT.toSeconds()
                                + " s; is the node at " + options.host() + ":" + options.port() + " healthy?",
                        e);
            }
            log.info(
                    "{} sessions subscribed; warm-up {} ms, then {} ms measured",
                    options.connections(),
                    options.warmup().toMillis(),
                    options.measure().toMillis());
            warmupEnd = System.nanoTime() + options.warmup().toNanos();
            long end = warmupEnd + options.measure().toNanos();
            clients.forEach(client -> client.begin(warmupEnd, end));
            long drainEnd = end + DRAIN.toNanos();
            try {
                Future.all(clients.stream()
                                .map(WebSocketSessionClient::finished)
                                .toList())
                        .await(Math.max(1, drainEnd - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                log.warn("turns still unanswered {} s after the window; they count as errors", DRAIN.toSeconds());
            }
        } finally {
            close(vertx); // undeploys every client: its stop() counts a turn still unanswered
        }
        log.info(
                "frames received: {}; completed frames read before the POST's 202: {}",
                new TreeMap<>(counts.framesByType()),
                counts.completedBeforeAccepted().sum());
        return result(counts, warmupEnd);
    }

    private static void close(Vertx vertx) {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            log.warn("Vert.x did not close within 10 s; exiting anyway");
        }
    }

    private Result result(WebSocketLoadCounts counts, long warmupEnd) {
        Histogram histogram = counts.latencyNanos();
        long lastAnswer = counts.lastAnswerNanos().get();
        // From the end of the warm-up to the last answer counted, but never less than the window:
        // answers that straggle in after it lower the rate instead of flattering it.
        double seconds = Math.max(options.measure().toNanos(), lastAnswer - warmupEnd) / 1e9;
        Latency latency = Latency.of(histogram);
        Map<String, Double> latencyMs = new LinkedHashMap<>();
        latencyMs.put("p50", latency.p50());
        latencyMs.put("p90", latency.p90());
        latencyMs.put("p99", latency.p99());
        latencyMs.put("p999", latency.p999());
        latencyMs.put("max", latency.max());
        latencyMs.put("mean", latency.mean());
        return new Result(
                options.connections(),
                seconds,
                histogram.getTotalCount(),
                counts.errors().get(),
                histogram.getTotalCount() / seconds,
                latencyMs,
                latency.percentileCurve());
    }
}
