package dev.skein.ingress;

import dev.skein.events.DeltaKind;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Server-Sent Events client: a session's stream, or one turn's ({@code turnId} not null),
 * which ends after that turn's completion. Each event is {@code id: <position>} and
 * {@code data: <the frame as JSON>}, so that a client's {@code Last-Event-ID} resumes after it;
 * a retention gap is a frame without an id. Every write happens on the response's event loop;
 * events reach it from the Kafka readers through a bounded {@link StreamBacklog}.
 */
final class SseStream implements SessionListener {

    private static final Logger log = LoggerFactory.getLogger(SseStream.class);
    /** How long a client waits before it reconnects, in the {@code retry:} field. */
    static final long RETRY_MS = 1_000;

    private static final String HEARTBEAT = ": heartbeat\n\n";

    private final SessionAddress address;
    private final String turnId;
    private final HttpServerResponse response;
    private final Context context;
    private final StreamBacklog backlog;
    /** Null when authentication is off: nothing to check again. */
    private final BooleanSupplier stillValid;

    private SessionEvents.Subscription subscription;
    private Runnable onClosed = () -> {};
    private boolean begun;
    private boolean ended;
    private boolean finished;

    /** @param stillValid whether the caller's credential is still valid; null when authentication is off */
    SseStream(
            SessionAddress address,
            String turnId,
            HttpServerResponse response,
            Context context,
            int maxPending,
            BooleanSupplier stillValid) {
        this.address = address;
        this.stillValid = stillValid;
        this.turnId = turnId;
        this.response = response;
        this.context = context;
        this.backlog = new StreamBacklog(maxPending);
    }

    /** Wires the response's close to the subscription; called on the event loop before events can flow. */
    void attach(SessionEvents.Subscription subscription, Runnable onClosed) {
        this.subscription = subscription;
        this.onClosed = onClosed;
        // Closed by the client, or ended by the server (a turn's stream): either way, once.
        response.closeHandler(v -> closed());
        response.endHandler(v -> closed());
    }

    /** Sends the head of the stream; on the event loop, once the subscription has started. */
    void begin() {
        if (begun || response.closed()) {
            return;
        }
        begun = true;
        response.setStatusCode(200)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                // Proxies that buffer (nginx) would hold the events back.
                .putHeader("X-Accel-Buffering", "no")
                .setChunked(true);
        response.write("retry: " + RETRY_MS + "\n: session " + address + "\n\n");
    }

    @Override
    public void onEvent(StreamEvent event) {
        if (turnId != null && !turnId.equals(event.delta().getTurnId())) {
            return;
        }
        boolean last = turnId != null && event.delta().getKind() == DeltaKind.TURN_COMPLETED;
        String text = "id: " + event.position() + "\ndata: " + event.frameJson() + "\n\n";
        enqueue(text, last);
    }

    @Override
    public void onGap(StreamPosition requested, StreamPosition oldest) {
        enqueue("data: " + EventJson.gapFrame(address, requested, oldest).encode() + "\n\n", false);
    }

    @Override
    public boolean awaitRoom() {
        return backlog.awaitRoom();
    }

    @Override
    public void onStopped(String reason) {
        context.runOnContext(v -> stopWith(reason));
    }

    /** A comment that keeps proxies and idle timeouts from closing a quiet stream; on the event loop. */
    void heartbeat() {
        if (begun && !ended && !response.closed() && !response.writeQueueFull()) {
            response.write(HEARTBEAT);
        }
    }

    /** Ends the stream once its credential has expired or been revoked; on the event loop. */
    void revalidate() {
        if (stillValid != null && begun && !ended && !stillValid.getAsBoolean()) {
            log.info("session {}: ending an SSE stream whose credential expired or was revoked", address);
            stopWith("the credential expired or was revoked; reconnect with a valid one");
        }
    }

    private void enqueue(String text, boolean last) {
        if (!backlog.add()) {
            log.warn("session {}: SSE client reads too slowly; closing its stream", address);
            context.runOnContext(v -> stopWith("too slow: more than the stream's bound of events were waiting for you;"
                    + " reconnect with Last-Event-ID to resume"));
            return;
        }
        context.runOnContext(v -> {
            if (ended || response.closed()) {
                backlog.done();
                return;
            }
            begin();
            response.write(text).onComplete(ar -> backlog.done());
            if (last) {
                ended = true;
                // Unsubscribed before the end reaches the client: a client that sees the end
                // of its stream can rely on the server holding nothing for it any more.
                unsubscribe();
                response.end();
            }
        });
    }

    private void stopWith(String reason) {
        if (ended || response.closed()) {
            return;
        }
        begin();
        ended = true;
        JsonObject error = new JsonObject().put("type", "error").put("error", reason);
        unsubscribe();
        response.end("event: error\ndata: " + error.encode() + "\n\n");
    }

    private void closed() {
        if (finished) {
            return;
        }
        finished = true;
        ended = true;
        backlog.close();
        unsubscribe();
        onClosed.run();
    }

    private void unsubscribe() {
        if (subscription != null) {
            subscription.close();
        }
    }

    boolean isOpen() {
        return !ended && !response.closed();
    }
}
