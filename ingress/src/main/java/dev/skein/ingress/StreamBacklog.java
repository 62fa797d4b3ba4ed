package dev.skein.ingress;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The events of one stream handed to its event loop and not yet written to the client: bounded,
 * so that a slow client costs a bounded amount of memory. Live events never wait (the tail serves
 * every session): past the bound the stream is closed as too slow and the client resumes from its
 * last position. A replay reader waits instead, until the client has taken half of the backlog.
 */
final class StreamBacklog {

    /** How long a replay waits for a client that reads nothing before giving up on it. */
    static final Duration REPLAY_PATIENCE = Duration.ofSeconds(30);

    private final int max;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private int pending;
    private boolean closed;

    StreamBacklog(int max) {
        this.max = max;
    }

    /** One more event on its way; false when that would pass the bound (the caller closes the stream). */
    boolean add() {
        lock.lock();
        try {
            if (pending >= max) {
                return false;
            }
            pending++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** One event written (or dropped with a closed stream). */
    void done() {
        lock.lock();
        try {
            pending = Math.max(0, pending - 1);
            if (pending <= max / 2) {
                room.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Blocks a replay reader until the backlog is half empty; false when closed or out of patience. */
    boolean awaitRoom() {
        lock.lock();
        try {
            long left = REPLAY_PATIENCE.toNanos();
            while (!closed && pending > max / 2) {
                if (left <= 0) {
                    return false;
                }
                left = room.awaitNanos(left);
            }
            return !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** The stream is gone: wakes a waiting replay, which then stops. */
    void close() {
        lock.lock();
        try {
            closed = true;
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int pending() {
        lock.lock();
        try {
            return pending;
        } finally {
            lock.unlock();
        }
    }
}
