package dev.skein.ingress;

import dev.skein.events.TurnRequested;
import dev.skein.ingress.auth.Caller;
import dev.skein.ingress.auth.Permission;
import dev.skein.schemas.SessionAddress;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket client watching one session. Frames sent by the server: {@code subscribed} once
 * the client will miss nothing from then on, then {@code started}, {@code delta} and
 * {@code completed} for every event of the session, each with its {@code position} (a client that
 * reconnects with {@code ?after=<position>} gets every event after it first, as over SSE), and
 * {@code accepted} or {@code error} for each turn the client sends. A bad
 * turn gets an {@code error} frame and the socket stays open; a message over the body limit
 * (fragmented or compressed alike) closes it with 1009, a text message that is not UTF-8 with
 * 1007, a frame the decoder refuses (a close frame with an invalid code) with 1002. A caller with
 * read-only access gets an {@code error} frame for each turn it sends; once the credential that
 * opened the stream expires or is revoked, the socket is closed with 1008 (policy violation).
 */
final class SessionStream implements SessionListener {

    private static final Logger log = LoggerFactory.getLogger(SessionStream.class);

    /** RFC 6455 "try again later": the client reads too slowly for the deltas of its session. */
    private static final short TRY_AGAIN_LATER = 1013;
    /** RFC 6455 "internal error": the session's events cannot be subscribed to. */
    private static final short INTERNAL_ERROR = 1011;
    /** RFC 6455 "message too big". */
    private static final short MESSAGE_TOO_BIG = 1009;
    /** RFC 6455 "invalid frame payload data": a text message that is not UTF-8. */
    private static final short INVALID_PAYLOAD = 1007;
    /**
     * RFC 6455 "policy violation": the credential that opened the stream is no longer valid, or the
     * position to resume from cannot be served.
     */
    private static final short POLICY_VIOLATION = 1008;
    /** How often a stream checks that its credential is still valid (revocation takes effect within this). */
    private static final long REVALIDATE_MS = 1_000;

    private final SessionAddress address;
    private final ServerWebSocket socket;
    private final Context context;
    private final int maxMessageBytes;
    private final int maxBodyBytes;
    private final TurnGateway gateway;
    private final long pingMillis;
    private final StreamBacklog backlog;
    private final Caller caller;
    private final BooleanSupplier stillValid;
    private final dev.skein.schemas.TenantAccess access;
    private SessionEvents.Subscription subscription;
    private long pinger = -1;
    private long revalidator = -1;
    /** The fragments of the message being received; null between messages. */
    private Buffer incoming;

    private boolean incomingIsText;

    private Runnable onClosed = () -> {};

    /**
     * @param config its body limit is the largest message, after decompression, before it is
     *               refused with 1009; the stream pings every half of its idle timeout, so that a
     *               quiet subscriber is not closed as idle
     * @param stillValid false once the credential of {@code caller} has expired or been revoked
     */
    SessionStream(
            SessionAddress address,
            ServerWebSocket socket,
            Context context,
            IngressConfig config,
            TurnGateway gateway,
            Caller caller,
            BooleanSupplier stillValid,
            int maxPending) {
        this.address = address;
        this.socket = socket;
        this.context = context;
        this.maxMessageBytes = config.maxMessageBytes();
        this.maxBodyBytes = config.maxBodyBytes();
        this.pingMillis = Math.max(1, config.idleTimeout().toMillis() / 2);
        this.gateway = gateway;
        this.backlog = new StreamBacklog(maxPending);
        this.caller = caller;
        this.stillValid = stillValid;
        this.access = config.access();
    }

    /**
     * Subscribes to the session, from after {@code after} (null: from now), and wires the socket;
     * called on the socket's event loop. {@code onClosed} runs once the socket has closed, however
     * it closed.
     */
    void open(SessionEvents events, StreamPosition after, Runnable onClosed) {
        this.onClosed = onClosed;
        try {
            subscription = events.subscribe(address, after, this);
        } catch (RuntimeException e) {
            log.error("session {}: cannot subscribe a WebSocket to its events", address, e);
            socket.close(INTERNAL_ERROR, "cannot stream this session right now; retry later");
            onClosed.run();
            return;
        }
        pinger = context.owner().setPeriodic(pingMillis, id -> {
            if (!socket.isClosed()) {
                socket.writePing(Buffer.buffer());
            }
        });
        if (caller.credential() != Caller.Credential.NONE) {
            revalidator = context.owner().setPeriodic(REVALIDATE_MS, id -> {
                if (!socket.isClosed() && !stillValid.getAsBoolean()) {
                    refuse(POLICY_VIOLATION, "the credential expired or was revoked; reconnect with a valid one");
                }
            });
        }
        socket.closeHandler(v -> {
            backlog.close();
            onClosed.run();
            context.owner().cancelTimer(pinger);
            context.owner().cancelTimer(revalidator);
            unsubscribe();
        });
        socket.exceptionHandler(this::onProtocolError);
        // Frames rather than Vert.x's message handlers: those drop an oversized message without a
        // word and decode invalid UTF-8 to U+FFFD, where the client must get a close code.
        socket.frameHandler(this::onFrame);
        // Before any event: the replay waits for started(), and this is queued on the event loop first.
        subscription
                .started()
                .whenComplete((ok, failure) -> context.runOnContext(v -> {
                    if (failure == null) {
                        sendNow(new JsonObject().put("type", "subscribed").put("session", address.toString()));
                        log.debug("session {}: WebSocket subscribed", address);
                    } else if (!socket.isClosed()) {
                        sendNow(error(failure.getMessage()));
                        socket.close(POLICY_VIOLATION, closeReason(failure.getMessage()));
                    }
                }));
    }

    @Override
    public void onEvent(StreamEvent event) {
        sendCounted(event.frameJson());
    }

    @Override
    public void onGap(StreamPosition requested, StreamPosition oldest) {
        sendCounted(EventJson.gapFrame(address, requested, oldest).encode());
    }

    @Override
    public boolean awaitRoom() {
        return backlog.awaitRoom();
    }

    @Override
    public void onStopped(String reason) {
        context.runOnContext(v -> {
            if (!socket.isClosed()) {
                sendNow(error(reason));
                socket.close(TRY_AGAIN_LATER, closeReason(reason));
            }
        });
    }

    /** An event of the stream: counted in the backlog, which closes a client that falls too far behind. */
    private void sendCounted(String frame) {
        if (!backlog.add()) {
            context.runOnContext(v -> {
                if (!socket.isClosed()) {
                    log.warn("session {}: WebSocket client reads too slowly; closing it", address);
                    socket.close(TRY_AGAIN_LATER, "too slow: reconnect with ?after=<last position> to resume");
                }
            });
            return;
        }
        context.runOnContext(v -> {
            if (socket.isClosed()) {
                backlog.done();
                return;
            }
            socket.writeTextMessage(frame).onComplete(ar -> backlog.done());
        });
    }

    /** Writes on the event loop, where the caller already is. */
    private void sendNow(JsonObject frame) {
        if (!socket.isClosed()) {
            socket.writeTextMessage(frame.encode());
        }
    }

    private void onFrame(WebSocketFrame frame) {
        if (frame.isText() || frame.isBinary()) {
            incoming = Buffer.buffer();
            incomingIsText = frame.isText();
        } else if (!frame.isContinuation() || incoming == null) {
            return; // ping, pong and close are answered by Vert.x; a stray continuation has no message
        }
        if (incoming.length() + frame.binaryData().length() > maxBodyBytes) {
            incoming = null;
            refuse(
                    MESSAGE_TOO_BIG,
                    "message refused: over " + maxBodyBytes + " bytes; a turn's message is at most " + maxMessageBytes
                            + " bytes");
            return;
        }
        incoming.appendBuffer(frame.binaryData());
        if (!frame.isFinal()) {
            return;
        }
        Buffer message = incoming;
        incoming = null;
        if (!incomingIsText) {
            send(error("send turns as JSON text frames, not binary"));
        } else if (!StrictJson.isUtf8(message.getBytes())) {
            refuse(INVALID_PAYLOAD, "text message refused: it is not valid UTF-8");
        } else {
            onText(message.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * The frame decoder refused a frame (larger than the frame limit, a close frame with an
     * invalid code, an unmasked frame): answer with the close code it chose, and a reason.
     */
    private void onProtocolError(Throwable e) {
        if (e instanceof CorruptedWebSocketFrameException corrupted && !socket.isClosed()) {
            short code = (short) corrupted.closeStatus().code();
            String reason = code == MESSAGE_TOO_BIG
                    ? "frame refused: over " + maxBodyBytes + " bytes; a turn's message is at most " + maxMessageBytes
                            + " bytes"
                    : "protocol error: " + corrupted.getMessage();
            refuse(code, reason);
        } else {
            log.debug("session {}: WebSocket error: {}", address, e.toString());
        }
    }

    private void refuse(short code, String reason) {
        log.info("session {}: closing the WebSocket with {}: {}", address, code, reason);
        socket.close(code, closeReason(reason));
    }

    /** A close reason is at most 123 bytes of UTF-8 (RFC 6455 5.5: control frames carry 125). */
    private static String closeReason(String reason) {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= 123 ? reason : new String(bytes, 0, 120, StandardCharsets.US_ASCII) + "...";
    }

    private void onText(String text) {
        if (!caller.may(Permission.WRITE_SESSION)) {
            send(error("this credential has read-only access: it may watch the session, not send turns"));
            return;
        }
        TurnRequested turn;
        try {
            turn = TurnRequestBody.parse(text, address, maxMessageBytes, System.currentTimeMillis());
            TurnRequestBody.requireAllowedAgent(access, turn);
            TurnRequestBody.bindUser(turn, caller);
        } catch (HttpFailure e) {
            send(error(e.getMessage()));
            return;
        }
        String turnId = turn.getTurnId();
        io.vertx.core.Future<Void> submission;
        // Every turn of this socket continues the traceparent its upgrade request carried, if any.
        try (io.opentelemetry.context.Scope ignored =
                TurnSpans.clientContext(socket.headers()).makeCurrent()) {
            submission = GatewaySubmission.submit(context, () -> gateway.submit(turn));
        }
        submission.onComplete(ar -> {
            if (ar.succeeded()) {
                log.debug("session {} turn {}: accepted over WebSocket", address, turnId);
                send(new JsonObject()
                        .put("type", "accepted")
                        .put("turnId", turnId)
                        .put("session", address.toString()));
                return;
            }
            Throwable cause = GatewaySubmission.unwrap(ar.cause());
            if (cause instanceof QuotaExceededException quota) {
                send(error(quota.getMessage())
                        .put("turnId", turnId)
                        .put("quota", quota.quota())
                        .put("retryAfterSeconds", quota.retryAfterSeconds()));
            } else if (cause instanceof TurnRefusedException refused) {
                // Refused for good (reject policy, full queue, unknown agent): not "retry" as a failure would say.
                send(error(refused.getMessage())
                        .put("turnId", turnId)
                        .put("code", refused.code())
                        .put("activeTurnId", refused.activeTurnId()));
            } else {
                log.warn("session {} turn {}: could not submit", address, turnId, cause);
                send(error("could not submit turn " + turnId + ": " + cause.getMessage()
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
