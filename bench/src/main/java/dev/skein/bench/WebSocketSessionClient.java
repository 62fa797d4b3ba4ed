package dev.skein.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of one session of a {@link WebSocketLoad} run. A verticle, so that its socket, its
 * HTTP client, its timers and their callbacks all run on one event loop: its state needs no locks.
 */
final class WebSocketSessionClient extends VerticleBase {

    private static final Logger log = LoggerFactory.getLogger(WebSocketSessionClient.class);
    private static final String BODY = "{\"message\":\"" + SkeinBench.SIMPLE_MESSAGE + "\"}";
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
    /** A refused POST is retried after this pause, so that a refusing server is not hammered. */
    private static final Duration RETRY_PAUSE = Duration.ofMillis(100);

    private final WebSocketLoad.Options options;
    private final String sessionId;
    private final WebSocketLoadCounts counts;
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

    WebSocketSessionClient(WebSocketLoad.Options options, String sessionId, WebSocketLoadCounts counts) {
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
        http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(1));
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
                .compose(request ->
                        request.putHeader("content-type", "application/json").send(BODY))
                .compose(
                        response -> response.body().map(body -> acceptedTurnId(response.statusCode(), body.toString())))
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
}
