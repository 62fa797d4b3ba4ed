package dev.skein.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.app.process.ChildJvm;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
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
 */
final class WebSocketLoad {

    /** The figures of one run; latency percentiles, max and mean in milliseconds. */
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

    /** What every client records into: shared, thread-safe. */
    private record Counts(
            Histogram latencyNanos,
            AtomicLong errors,
            AtomicLong lastAnswerNanos,
            Map<String, LongAdder> framesByType,
            LongAdder completedBeforeAccepted) {

        static Counts create() {
            return new Counts(
                    Latency.histogram(),
                    new AtomicLong(),
                    new AtomicLong(),
                    new ConcurrentHashMap<>(),
                    new LongAdder());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(WebSocketLoad.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY = "{\"message\":\"" + SkeinBench.SIMPLE_MESSAGE + "\"}";
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
    /** How long the clients may take to connect and subscribe, all together. */
    private static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(30);
    /** How long, after the window, the turns still running may take to answer. */
    private static final Duration DRAIN = Duration.ofSeconds(5);
    /** A refused POST is retried after this pause, so that a refusing server is not hammered. */
    private static final Duration RETRY_PAUSE = Duration.ofMillis(100);
    /** Beyond the run itself: JVM start, connecting, draining, closing. */
    private static final Duration CHILD_SLACK = Duration.ofSeconds(60);

    private static final int STDERR_TAIL_LINES = 30;

    private final Options options;

    private WebSocketLoad(Options options) {
        this.options = options;
    }

    // ---------------------------------------------------------------- parent side

    /**
     * Runs the load generator as a child JVM (same java, same classpath, {@code -Xmx256m},
     * serial GC) against the ingress on {@code 127.0.0.1:port} and returns its figures. The child
     * is killed if it has not finished within warm-up + measure + 60 s. Sessions are named
     * {@code <sessionPrefix>-<i>}: give each run a prefix of its own, or it continues the
     * histories of the last.
     *
     * @throws IllegalStateException when the child fails, overruns or prints no result; the
     *     message carries the end of its stderr
     */
    static Result run(int port, int connections, Duration warmup, Duration measure, String sessionPrefix)
            throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("skein-websocket-load");
        Path stdout = work.resolve("result.json");
        Path stderr = work.resolve("stderr.log");
        List<String> command = ChildJvm.command(
                List.of("-Xmx256m", "-XX:+UseSerialGC"),
                WebSocketLoad.class.getName(),
                List.of(
                        "127.0.0.1",
                        Integer.toString(port),
                        Integer.toString(connections),
                        Long.toString(warmup.toMillis()),
                        Long.toString(measure.toMillis()),
                        sessionPrefix));
        Duration limit = warmup.plus(measure).plus(CHILD_SLACK);
        // Both streams go to files: the child can never block on a full pipe nobody reads.
        Process child = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            if (!child.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the WebSocket load generator did not finish within "
                        + limit.toSeconds() + " s and was killed; its stderr ends with:\n" + tail(stderr));
            }
            if (child.exitValue() != 0) {
                throw new IllegalStateException("the WebSocket load generator failed (exit " + child.exitValue()
                        + "); its stderr ends with:\n" + tail(stderr));
            }
            return parse(Files.readString(stdout), stderr);
        } finally {
            child.destroyForcibly(); // a no-op when it has exited; otherwise nothing is left behind
            deleteQuietly(stdout, stderr, work);
        }
    }

    private static Result parse(String stdout, Path stderr) {
        String line = stdout.strip();
        line = line.substring(line.lastIndexOf('\n') + 1);
        try {
            return JSON.readValue(line, Result.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "the WebSocket load generator printed no result line (" + e.getOriginalMessage()
                            + "); its stdout was '" + stdout + "' and its stderr ends with:\n" + tail(stderr),
                    e);
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - STDERR_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static void deleteQuietly(Path... paths) {
        for (Path path : paths) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                log.warn("could not delete {} of the WebSocket load generator: {}", path, e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- child side

    /**
     * The child's entry point: {@code <host> <port> <connections> <warmup-ms> <measure-ms>
     * <session-prefix>}. Exit 0 with the result line on stdout; 2 for bad arguments; 1 when the
     * run failed (a WebSocket could not connect or was closed by the server), with the reason on
     * stderr.
     */
    public static void main(String[] args) {
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
        Counts counts = Counts.create();
        Vertx vertx = Vertx.vertx();
        long warmupEnd;
        try {
            List<SessionClient> clients = new ArrayList<>();
            List<Future<String>> deployments = new ArrayList<>();
            for (int i = 0; i < options.connections(); i++) {
                SessionClient client = new SessionClient(options, options.sessionPrefix() + "-" + i, counts);
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
                Future.all(clients.stream().map(SessionClient::finished).toList())
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

    private Result result(Counts counts, long warmupEnd) {
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

    /** A turn posted and not yet answered. */
    private static final class Turn {
        final long startNanos;
        /** Started after the warm-up: its latency or its failure counts. */
        final boolean counted;
        /** From the 202; null until then. */
        String id;

        long timer;

        Turn(long startNanos, boolean counted) {
            this.startNanos = startNanos;
            this.counted = counted;
        }
    }

    /**
     * One client of one session. A verticle, so that its socket, its HTTP client, its timers and
     * their callbacks all run on one event loop: its state needs no locks.
     */
    private static final class SessionClient extends VerticleBase {

        private final Options options;
        private final String sessionId;
        private final Counts counts;
        private final Promise<Void> subscribed = Promise.promise();
        private final Promise<Void> finished = Promise.promise();
        /**
         * Completed frames that came before the POST's 202 named their turn: the ingress answers
         * once Kafka acknowledged the turn, and the answer can overtake that response.
         */
        private final Map<String, JsonObject> completedEarly = new HashMap<>();
        /**
         * Held for as long as the socket: Vert.x closes a client that is no longer referenced when
         * the garbage collector finds it, and its connections with it (close code 1000).
         */
        private WebSocketClient webSockets;

        private HttpClient http;
        private long warmupEnd;
        private long end;
        private Turn turn;
        private boolean stopping;

        SessionClient(Options options, String sessionId, Counts counts) {
            this.options = options;
            this.sessionId = sessionId;
            this.counts = counts;
        }

        Future<Void> finished() {
            return finished.future();
        }

        /** Opens the socket and completes once the server said {@code subscribed}. */
        @Override
        public Future<?> start() {
            http = vertx.createHttpClient(
                    new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(1));
            String uri = "/v1/sessions/" + sessionId + "/stream";
            webSockets = vertx.createWebSocketClient();
            return webSockets
                    .connect(new WebSocketConnectOptions()
                            .setHost(options.host())
                            .setPort(options.port())
                            .setURI(uri))
                    .recover(e -> Future.failedFuture(new IllegalStateException(
                            "cannot open the WebSocket ws://"
                                    + options.host() + ":" + options.port() + uri + ": " + e.getMessage()
                                    + "; is a Skein node listening there?",
                            e)))
                    .compose(ws -> {
                        ws.textMessageHandler(this::onFrame);
                        ws.exceptionHandler(e -> log.warn("session {}: WebSocket error: {}", sessionId, e.toString()));
                        ws.closeHandler(v -> onClosed(ws));
                        return subscribed.future();
                    });
        }

        /** Starts the closed loop; called once, from the main thread. */
        void begin(long warmupEnd, long end) {
            this.warmupEnd = warmupEnd;
            this.end = end;
            context.runOnContext(v -> nextTurn());
        }

        private void nextTurn() {
            long now = System.nanoTime();
            if (stopping || now >= end) {
                finished.tryComplete();
                return;
            }
            Turn posted = new Turn(now, now >= warmupEnd);
            turn = posted;
            completedEarly.clear(); // only late answers to turns already given up on can be there
            posted.timer = vertx.setTimer(ANSWER_TIMEOUT.toMillis(), id -> onTimeout(posted));
            http.request(HttpMethod.POST, options.port(), options.host(), "/v1/sessions/" + sessionId + "/turns")
                    .compose(request -> request.putHeader("content-type", "application/json")
                            .send(BODY))
                    .compose(response ->
                            response.body().map(body -> acceptedTurnId(response.statusCode(), body.toString())))
                    .onComplete(accepted -> {
                        if (accepted.succeeded()) {
                            onAccepted(posted, accepted.result());
                        } else {
                            onRefused(posted, accepted.cause());
                        }
                    });
        }

        private String acceptedTurnId(int status, String body) {
            if (status != 202) {
                throw new IllegalStateException(
                        "POST /v1/sessions/" + sessionId + "/turns answered " + status + ": " + body);
            }
            String turnId = new JsonObject(body).getString("turnId");
            if (turnId == null) {
                throw new IllegalStateException(
                        "the 202 of POST /v1/sessions/" + sessionId + "/turns has no turnId: " + body);
            }
            return turnId;
        }

        private void onAccepted(Turn posted, String turnId) {
            if (turn != posted) {
                return; // timed out before the 202, or the client is stopping
            }
            posted.id = turnId;
            JsonObject early = completedEarly.remove(turnId);
            if (early != null) {
                counts.completedBeforeAccepted().increment();
                finish(posted, early, System.nanoTime());
            }
        }

        private void onRefused(Turn posted, Throwable cause) {
            if (turn != posted) {
                return;
            }
            vertx.cancelTimer(posted.timer);
            turn = null;
            if (posted.counted) {
                counts.errors().incrementAndGet();
            }
            log.warn("session {}: turn not accepted, counted as an error: {}", sessionId, cause.getMessage());
            vertx.setTimer(RETRY_PAUSE.toMillis(), id -> nextTurn());
        }

        private void onFrame(String text) {
            long receivedNanos = System.nanoTime();
            JsonObject frame;
            try {
                frame = new JsonObject(text);
            } catch (DecodeException e) {
                log.warn("session {}: a frame that is not a JSON object: {}", sessionId, text);
                return;
            }
            String type = frame.getString("type", "(no type)");
            counts.framesByType().computeIfAbsent(type, t -> new LongAdder()).increment();
            switch (type) {
                case "subscribed" -> subscribed.tryComplete();
                case "completed" -> onCompleted(frame, receivedNanos);
                case "error" ->
                    log.warn("session {}: the server sent an error frame: {}", sessionId, frame.getString("error"));
                default -> {} // deltas: the whole answer comes in the completed frame
            }
        }

        private void onCompleted(JsonObject frame, long receivedNanos) {
            String turnId = frame.getString("turnId");
            if (turn == null || turnId == null) {
                return; // a late answer to a turn already given up on
            }
            if (turn.id == null) {
                completedEarly.put(turnId, frame);
            } else if (turn.id.equals(turnId)) {
                finish(turn, frame, receivedNanos);
            }
        }

        private void finish(Turn answered, JsonObject frame, long receivedNanos) {
            vertx.cancelTimer(answered.timer);
            turn = null;
            if (answered.counted) {
                if ("COMPLETED".equals(frame.getString("status"))) {
                    counts.latencyNanos().recordValue(receivedNanos - answered.startNanos);
                    counts.lastAnswerNanos().accumulateAndGet(receivedNanos, Math::max);
                } else {
                    counts.errors().incrementAndGet();
                    log.warn(
                            "session {} turn {}: ended {}, counted as an error: {}",
                            sessionId,
                            answered.id,
                            frame.getString("status"),
                            frame.getString("error"));
                }
            }
            nextTurn();
        }

        private void onTimeout(Turn posted) {
            if (turn != posted) {
                return;
            }
            turn = null;
            if (posted.counted) {
                counts.errors().incrementAndGet();
            }
            log.warn(
                    "session {} turn {}: no completed frame within {} s, counted as an error",
                    sessionId,
                    posted.id,
                    ANSWER_TIMEOUT.toSeconds());
            nextTurn();
        }

        private void onClosed(WebSocket ws) {
            if (stopping) {
                return;
            }
            IllegalStateException closed = new IllegalStateException("the server closed the WebSocket of session "
                    + sessionId + " (code " + ws.closeStatusCode() + ", " + ws.closeReason()
                    + "); its answers can no longer be read");
            subscribed.tryFail(closed);
            finished.tryFail(closed);
        }

        /** On undeploy: a turn still unanswered is an error; the socket and the HTTP client close. */
        @Override
        public Future<?> stop() {
            stopping = true;
            if (turn != null) {
                vertx.cancelTimer(turn.timer);
                if (turn.counted) {
                    counts.errors().incrementAndGet();
                    log.warn(
                            "session {} turn {}: unanswered at the end of the run, counted as an error",
                            sessionId,
                            turn.id);
                }
                turn = null;
            }
            return Future.join(webSockets.close(), http.close());
        }
    }
}
