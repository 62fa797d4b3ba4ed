package dev.skein.topologies.session;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Runs a task's deadline check when a turn's deadline is due, instead of on a fixed beat.
 *
 * <p>Kafka Streams marks a task whose punctuator ran as needing a commit, whether or not the
 * punctuation wrote anything, and under exactly-once a commit is a whole transaction (the
 * offsets, {@code EndTxn}, a marker). A fixed beat of {@code skein.session.deadline-check-interval}
 * (500 ms) therefore made every stream thread commit twice a second with nothing to commit, idle
 * or busy, and each of those commits held up the turns that arrived while it ran. The alarm is
 * armed for the earliest deadline in the index, re-armed after each check and whenever a turn gets
 * an earlier deadline, and not armed at all while no deadline is pending. Two checks stay at least
 * {@code spacing} apart, so deadlines falling due together are failed in batches, as before.
 *
 * <p>Kafka Streams has no one-shot punctuation, so each arming is a schedule that the alarm
 * cancels when it fires (or when an earlier deadline replaces it).
 */
final class DeadlineAlarm {

    private final ProcessorContext<?, ?> context;
    private final long spacingMs;
    private final LongConsumer check;
    private final Supplier<OptionalLong> earliestDeadline;
    private Cancellable scheduled;
    private long armedForMs = Long.MAX_VALUE;
    private long lastCheckMs = Long.MIN_VALUE;
    private boolean closed;

    /**
     * @param spacing the least time between two checks
     * @param check fails the turns due at the time it is given
     * @param earliestDeadline the earliest deadline in the index, if any
     */
    DeadlineAlarm(
            ProcessorContext<?, ?> context,
            Duration spacing,
            LongConsumer check,
            Supplier<OptionalLong> earliestDeadline) {
        this.context = context;
        this.spacingMs = spacing.toMillis();
        this.check = check;
        this.earliestDeadline = earliestDeadline;
    }

    /** Arms the alarm for the deadlines already in the index (a task's start, after its restore). */
    void start() {
        earliestDeadline.get().ifPresent(this::arm);
    }

    /** Makes sure a check runs once {@code deadlineMs} has passed (an entry is due after its deadline, not at it). */
    void arm(long deadlineMs) {
        if (closed || deadlineMs == Long.MAX_VALUE) {
            return; // a task closed, or a turn with no deadline (its timeout was past the end of time)
        }
        long now = context.currentSystemTimeMs();
        long at = Math.max(deadlineMs + 1, now + 1);
        if (lastCheckMs != Long.MIN_VALUE) {
            at = Math.max(at, lastCheckMs + spacingMs);
        }
        if (at >= armedForMs) {
            return;
        }
        disarm();
        armedForMs = at;
        scheduled = context.schedule(Duration.ofMillis(at - now), PunctuationType.WALL_CLOCK_TIME, this::fire);
    }

    /** When the alarm will ring, or {@link Long#MAX_VALUE} when it is not armed. */
    long armedForMs() {
        return armedForMs;
    }

    /**
     * Disarms for good: the task is closing. Kafka Streams keeps a task's punctuations when it
     * revives the task after a rollback and initialises its processors again, so an alarm of the
     * old processor would otherwise keep checking (and committing) beside the new one's.
     */
    void close() {
        closed = true;
        disarm();
    }

    private void fire(long nowMs) {
        disarm();
        if (closed) {
            return;
        }
        lastCheckMs = nowMs;
        try {
            check.accept(nowMs);
        } finally {
            // Also when the check failed and the error was handled: the turns still due wait for
            // the next check, which nothing else would arm.
            earliestDeadline.get().ifPresent(this::arm);
        }
    }

    private void disarm() {
        if (scheduled != null) {
            scheduled.cancel();
            scheduled = null;
        }
        armedForMs = Long.MAX_VALUE;
    }
}
