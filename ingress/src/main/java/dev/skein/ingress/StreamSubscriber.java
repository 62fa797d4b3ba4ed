package dev.skein.ingress;

import dev.skein.schemas.SessionAddress;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listener of one session, and the hand-off between its replay and the live events.
 *
 * <p>It is registered with the live dispatch <em>before</em> its replay reads the end offset of
 * the session's partition, so every record is seen by one of the two: a record the tail had
 * dispatched before the registration lies below that end, and the replay reads it; any later one
 * reaches this subscriber live. While the replay runs, live events are held (bounded); when it
 * ends, the held ones after the last replayed position are delivered, and from then on live events
 * go straight through. Every delivery goes through one check, "is it after the last delivered
 * position?", so the overlap of the two (the tail lagging behind the replay, or the replay reading
 * past its end) is dropped rather than repeated.
 */
final class StreamSubscriber implements SessionEvents.Subscription {

    private static final Logger log = LoggerFactory.getLogger(StreamSubscriber.class);

    final SessionAddress address;
    final StreamStart start;
    private final SessionListener listener;
    private final int maxHeld;
    private final Runnable unregister;
    private final CompletableFuture<Void> started = new CompletableFuture<>();

    // Guarded by this: written by the tail thread and by one replay reader.
    private StreamPosition delivered;
    private ArrayDeque<StreamEvent> held;
    private volatile boolean closed;

    StreamSubscriber(
            SessionAddress address, StreamStart start, SessionListener listener, int maxHeld, Runnable unregister) {
        this.address = address;
        this.start = start;
        this.listener = listener;
        this.maxHeld = maxHeld;
        this.unregister = unregister;
        this.delivered = start.after();
        this.held = start.replays() ? new ArrayDeque<>() : null;
        if (!start.replays()) {
            started.complete(null);
        }
    }

    /** A live event, on the tail thread. */
    synchronized void live(StreamEvent event) {
        if (closed) {
            return;
        }
        if (held == null) {
            deliver(event);
        } else if (held.size() < maxHeld) {
            held.addLast(event);
        } else {
            stop("more than " + maxHeld + " live events arrived while the stream was replayed; resume from "
                    + (delivered == null ? "the start" : "position " + delivered));
        }
    }

    /** A replayed event, on a replay reader; false when the replay should stop (closed, or the client gone). */
    boolean replayed(StreamEvent event) {
        if (closed || !listener.awaitRoom()) {
            return false;
        }
        synchronized (this) {
            if (!closed) {
                deliver(event);
            }
        }
        return !closed;
    }

    /** The replay reached the live point: deliver what was held meanwhile, then go live. */
    synchronized void replayDone() {
        if (held == null) {
            return;
        }
        ArrayDeque<StreamEvent> pending = held;
        held = null;
        if (!closed) {
            pending.forEach(this::deliver);
        }
    }

    /** The replay starts where asked; nothing was delivered yet. */
    void begin() {
        started.complete(null);
    }

    /** The start cannot be served: the stream never begins. */
    void refuse(HttpFailure failure) {
        started.completeExceptionally(failure);
        close();
    }

    void gap(StreamPosition requested, StreamPosition oldest) {
        listener.onGap(requested, oldest);
    }

    /** The stream cannot go on; the listener is told why. */
    void stop(String reason) {
        log.info("session {}: stream stopped: {}", address, reason);
        if (!started.isDone()) {
            started.completeExceptionally(new HttpFailure(503, reason));
        }
        close();
        listener.onStopped(reason);
    }

    boolean isClosed() {
        return closed;
    }

    private void deliver(StreamEvent event) {
        if (!event.position().isAfter(delivered)) {
            return; // already delivered: the replay and the live tail overlap here
        }
        delivered = event.position();
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            log.warn("session {}: a listener failed on the event at {}", address, event.position(), e);
        }
    }

    @Override
    public CompletableFuture<Void> started() {
        return started;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            unregister.run();
        }
    }
}
