package dev.skein.workers.node;

import dev.skein.schemas.resources.Resources;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps the sum of the needs of the calls running on this worker within what the node offers. A
 * call that fits now is admitted; one that fits only when others finish waits (on a condition,
 * woken when a permit is returned); one that can never fit this node is not admitted at all: the
 * worker hands it back for another worker ({@link #whyNeverFits}).
 *
 * <p>Waiting calls are not queued in order: whichever fits when capacity is returned goes first,
 * so small calls keep the node busy while a large one waits (and may wait long under a steady
 * stream of small ones: give large calls their own tier).
 */
public final class WorkerAdmission {

    private final Resources capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition returned = lock.newCondition();
    private final AtomicLong admitted = new AtomicLong();
    private final AtomicLong released = new AtomicLong();
    private Resources inUse = Resources.NONE;
    private int running;

    public WorkerAdmission(Resources capacity) {
        this.capacity = Objects.requireNonNull(capacity, "capacity");
    }

    /** A share of the node held by one running call; closing it returns the share (once). */
    public final class Permit implements AutoCloseable {
        private final Resources needs;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Permit(Resources needs) {
            this.needs = needs;
        }

        public Resources needs() {
            return needs;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                giveBack(needs);
            }
        }
    }

    /**
     * Why a call needing {@code needs} can never run here, e.g. {@code needs gpus=1, this worker
     * offers gpus=0}; null when it fits the node (perhaps not right now).
     */
    public String whyNeverFits(Resources needs) {
        List<String> missing = needs.exceeding(capacity);
        return missing.isEmpty()
                ? null
                : "needs " + needs.describe(missing) + ", this worker offers " + capacity.describe(missing);
    }

    /**
     * Waits until {@code needs} fits beside the running calls and holds it.
     *
     * @throws IllegalArgumentException when it can never fit this node (ask {@link #whyNeverFits} first)
     * @throws InterruptedException when interrupted while waiting; nothing is held then
     */
    public Permit acquire(Resources needs) throws InterruptedException {
        String never = whyNeverFits(needs);
        if (never != null) {
            throw new IllegalArgumentException("a call that " + never + " can never be admitted here");
        }
        lock.lockInterruptibly();
        try {
            while (!needs.fitsWithin(capacity.minus(inUse))) {
                returned.await();
            }
            return hold(needs);
        } finally {
            lock.unlock();
        }
    }

    /** Holds {@code needs} if it fits now, without waiting; null when it does not. */
    public Permit tryAcquire(Resources needs) {
        lock.lock();
        try {
            return whyNeverFits(needs) == null && needs.fitsWithin(capacity.minus(inUse)) ? hold(needs) : null;
        } finally {
            lock.unlock();
        }
    }

    private Permit hold(Resources needs) {
        inUse = inUse.plus(needs);
        running++;
        admitted.incrementAndGet();
        return new Permit(needs);
    }

    private void giveBack(Resources needs) {
        lock.lock();
        try {
            inUse = inUse.minus(needs);
            running--;
            if (running == 0) {
                // Fractional cpus summed and subtracted may leave a residue: an idle node holds nothing.
                inUse = Resources.NONE;
            }
            returned.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Counts a call handed back to the pool because it can never fit this node. */
    public void countReleased() {
        released.incrementAndGet();
    }

    /** What the node offers. */
    public Resources capacity() {
        return capacity;
    }

    /** The sum of the needs of the calls running now. */
    public Resources inUse() {
        lock.lock();
        try {
            return inUse;
        } finally {
            lock.unlock();
        }
    }

    /** The share (0 to 1) of {@code resource} held by running calls; 0 for a resource the node does not offer. */
    public double utilisation(String resource) {
        double offered = capacity.amount(resource);
        return offered <= 0 ? 0 : Math.min(1, inUse().amount(resource) / offered);
    }

    /** Calls admitted since start. */
    public long admitted() {
        return admitted.get();
    }

    /** Calls handed back since start because they can never fit this node. */
    public long released() {
        return released.get();
    }
}
