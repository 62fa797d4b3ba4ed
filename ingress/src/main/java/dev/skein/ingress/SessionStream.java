package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket client watching one session. Frames sent by the server: {@code subscribed} once
 * the client will miss nothing from then on, then {@code delta} and {@code completed} for every
 * event of the session, {@code accepted} or {@code error} for each turn the client sends. A bad
 * frame gets an {@code error} frame and the socket stays open.
 */
final class SessionStream implements SessionListener {

    private static final Logger log = LoggerFactory.getLogger(SessionStream.class);

    /** RFC 6455 "try again later": the client reads too slowly for the deltas of its session. */
    private static final short TRY_AGAIN_LATER = 1013;
    /** RFC 6455 "internal error": the session's events cannot be subscribed to. */
    private static final short INTERNAL_ERROR = 1011;

    private final SessionAddress address;
    private final ServerWebSocket socket;
    private final Context context;
    private final int maxMessageBytes;
    private final TurnGateway gateway;
    private AutoCloseable subscription;

    SessionStream(
            SessionAddress address, ServerWebSocket socket, Context context, int maxMessageBytes, TurnGateway gateway) {
        this.address = address;
        this.socket = socket;
        this.context = context;
        this.maxMessageBytes = maxMessageBytes;
        this.gateway = gateway;
    }

    /** Subscribes to the session and wires the socket; called on the socket's event loop. */
    void open(SessionEvents events) {
        try {
            subscription = events.subscribe(address, this);
        } catch (RuntimeException e) {
            log.error("session {}: cannot subscribe a WebSocket to its events", address, e);
            socket.close(INTERNAL_ERROR, "cannot stream this session right now; retry later");
            return;
        }
        socket.closeHandler(v -> unsubscribe());
        socket.exceptionHandler(e -> log.debug("session {}: WebSocket error: {}", address, e.toString()));
        socket.textMessageHandler(this::onText);
        socket.binaryMessageHandler(b -> send(error("send turns as JSON text frames, not binary")));
        send(new JsonObject().put("type", "subscribed").put("session", address.toString()));
        log.debug("session {}: WebSocket subscribed", address);
    }

    @Override
    public void onDelta(AgentDelta delta) {
        send(EventJson.deltaFrame(delta));
    }

    @Override
    public void onCompleted(TurnCompleted completed) {
        send(EventJson.completedFrame(completed));
    }

    private void onText(String text) {
        TurnRequested turn;
        try {
            turn = TurnRequestBody.parse(text, address, maxMessageBytes, System.currentTimeMillis());
        } catch (HttpFailure e) {
            send(error(e.getMessage()));
            return;
        }
        String turnId = turn.getTurnId();
        GatewaySubmission.submit(context, () -> gateway.submit(turn)).onComplete(ar -> {
            if (ar.succeeded()) {
                log.debug("session {} turn {}: accepted over WebSocket", address, turnId);
                send(new JsonObject()
                        .put("type", "accepted")
                        .put("turnId", turnId)
                        .put("session", address.toString()));
            } else {
                log.warn("session {} turn {}: could not submit", address, turnId, ar.cause());
                send(error("could not submit turn " + turnId + ": " + ar.cause().getMessage()
                                + "; it was not accepted, retry")
                        .put("turnId", turnId));
            }
        });
    }

    /**
     * Events arrive on the thread that reads Kafka: hop to the socket's event loop so that every
     * write, and the slow-client check, happen on the one thread that owns the socket.
     */
    private void send(JsonObject frame) {
        context.runOnContext(v -> {
            if (socket.isClosed()) {
                return;
            }
            if (socket.writeQueueFull()) {
                log.warn("session {}: WebSocket client reads too slowly; closing it", address);
                socket.close(TRY_AGAIN_LATER, "too slow: reconnect, then read the history for what you missed");
                return;
            }
            socket.writeTextMessage(frame.encode())
                    .onFailure(e -> log.debug("session {}: frame not delivered: {}", address, e.toString()));
        });
    }

    private void unsubscribe() {
        if (subscription == null) {
            return;
        }
        try {
            subscription.close();
            log.debug("session {}: WebSocket closed, unsubscribed", address);
        } catch (Exception e) {
            log.warn("session {}: could not unsubscribe a closed WebSocket", address, e);
        } finally {
            subscription = null;
        }
    }

    private static JsonObject error(String message) {
        return new JsonObject().put("type", "error").put("error", message);
    }
}
