package dev.skein.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Turns before the measured ones, in rounds of simple and then tool turns at 32 sessions, until
 * the JIT compiler has gone quiet or {@code cap} has passed. The broker, Kafka Streams, the runner,
 * the worker and the ingress all compile in this one JVM: on a 2-core machine the C2 compiler was
 * still busy for a third of the machine a minute and a half into a run, and with the old warm-up
 * (four sessions for 8 s) the one-session level, measured first, ran up to twice as slow as the
 * same turns measured after the others (p50 44.8 against the anatomy's 33.2 ms in one run; 36.0
 * against 31.9 after this warm-up). A round at 32 sessions calls the hot code often enough to get
 * it compiled; the compiler is quiet when its compilations took under {@link #QUIET_SHARE} of the
 * last round's wall time (summed over its threads: on a loaded machine that counts their waits for
 * a core too, so the cap, not quiet, ends the warm-up there).
 */
final class WarmUp {

    static final double QUIET_SHARE = 0.10;
    static final int SESSIONS = 32;

    /** How long it took, how many rounds, and the compiler's share of one core in the last round. */
    record Result(double seconds, int rounds, double lastRoundJitShare, boolean quiet) {}

    private WarmUp() {}

    static Result run(TurnDriver driver, Duration round, Duration cap, String simpleMessage, String toolMessage)
            throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        int rounds = 0;
        double share;
        do {
            long compiledMs = timed ? jit.getTotalCompilationTime() : 0;
            long roundStart = System.nanoTime();
            driver.closedLoop("warmup", SESSIONS, simpleMessage, Duration.ZERO, round);
            driver.closedLoop("warmup", SESSIONS, toolMessage, Duration.ZERO, round);
            rounds++;
            double wallMs = (System.nanoTime() - roundStart) / 1e6;
            // Without the compiler's time (another JVM), one round is the warm-up.
            share = timed ? (jit.getTotalCompilationTime() - compiledMs) / wallMs : 0;
        } while (share >= QUIET_SHARE && System.nanoTime() - start < cap.toNanos());
        return new Result((System.nanoTime() - start) / 1e9, rounds, share, share < QUIET_SHARE);
    }
}
