package dev.skein.adapters;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Turns an adapter's stream of text pieces into fewer delta records: the first piece goes out at
 * once (the time to the first token is unchanged), and what arrives within {@code window} after a
 * record waits and goes out with the rest of that window's text as one record. A model streaming a
 * token every few milliseconds then costs one record per window instead of one per token, which is
 * a produce request, a fetch response for every reader of the deltas topic and a WebSocket or SSE
 * frame per subscriber; the text that reaches a client is the same, in the same order.
 *
 * <p>{@link #finish()} sends what is held; the runner calls it before it sends the step, so a
 * turn's text deltas all precede its {@code TOOL_CALL} deltas and its step. Pieces that a
 * timed-out adapter sends after that go out one record each, as without coalescing. Thread-safe:
 * the adapter's thread calls {@link #text}, the timer's thread flushes, and every send happens
 * under the sink's lock, so records leave in the order of their text even when a flush and a
 * piece race (a send blocks only if the producer's buffer is full, when nothing moves anyway).
 *
 * <p>Written by hand: this is a leading-edge throttle with a trailing flush over one string
 * buffer, a few lines that no library in the stack provides for a plain callback.
 */
final class CoalescingDeltaSink implements DeltaSink {

    /** Held text is sent at once when it reaches this many characters, whatever the window. */
    static final int MAX_HELD_CHARS = 8192;

    private final Consumer<String> send;
    private final long windowNanos;
    private final ScheduledExecutorService timer;
    private final LongSupplier clock;
    private final StringBuilder held = new StringBuilder();
    private long lastSentNanos;
    private boolean sentAny;
    private boolean finished;
    private ScheduledFuture<?> pendingFlush;

    /**
     * @param send produces one delta record with the given text
     * @param window how long after a record the next pieces are held; zero sends every piece
     * @param timer runs the trailing flush
     * @param clock nanoseconds, {@link System#nanoTime()} outside tests
     */
    CoalescingDeltaSink(Consumer<String> send, Duration window, ScheduledExecutorService timer, LongSupplier clock) {
        this.send = Objects.requireNonNull(send, "send");
        this.windowNanos = Objects.requireNonNull(window, "window").toNanos();
        this.timer = Objects.requireNonNull(timer, "timer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The sink to give an adapter: every piece its own record when {@code window} is zero. */
    static DeltaSink of(Consumer<String> send, Duration window, ScheduledExecutorService timer) {
        return window.isZero() ? send::accept : new CoalescingDeltaSink(send, window, timer, System::nanoTime);
    }

    @Override
    public synchronized void text(String chunk) {
        if (chunk == null || chunk.isEmpty()) {
            return;
        }
        long nanos = clock.getAsLong();
        if (finished || (held.isEmpty() && (!sentAny || nanos - lastSentNanos >= windowNanos))) {
            sentAny = true;
            lastSentNanos = nanos;
            send.accept(chunk);
            return;
        }
        held.append(chunk);
        if (held.length() >= MAX_HELD_CHARS) {
            send.accept(takeHeld(nanos));
        } else if (pendingFlush == null) {
            long delay = Math.max(0, lastSentNanos + windowNanos - nanos);
            pendingFlush = timer.schedule(this::flushHeld, delay, TimeUnit.NANOSECONDS);
        }
    }

    /** Sends what is held and stops holding: later pieces go out one record each. */
    synchronized void finish() {
        finished = true;
        if (!held.isEmpty()) {
            send.accept(takeHeld(clock.getAsLong()));
        }
    }

    /** Finishes {@code sink} if it holds text; a no-op for any other sink. */
    static void finish(DeltaSink sink) {
        if (sink instanceof CoalescingDeltaSink coalescing) {
            coalescing.finish();
        }
    }

    private synchronized void flushHeld() {
        pendingFlush = null;
        if (!held.isEmpty()) {
            send.accept(takeHeld(clock.getAsLong()));
        }
    }

    /** Under the lock: empties the buffer, cancels a pending flush and marks the send time. */
    private String takeHeld(long nanos) {
        String text = held.toString();
        held.setLength(0);
        lastSentNanos = nanos;
        if (pendingFlush != null) {
            pendingFlush.cancel(false);
            pendingFlush = null;
        }
        return text;
    }
}
