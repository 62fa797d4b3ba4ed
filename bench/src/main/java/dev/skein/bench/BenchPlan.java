package dev.skein.bench;

import java.time.Duration;
import java.util.List;

/**
 * How long and how hard each scenario runs: the full plan fits in ten minutes on a 2-core machine
 * with the broker in the same JVM; the quick plan proves the harness in seconds. {@code warmup} is
 * both each level's unmeasured start and one round of the node's {@link WarmUp}, which runs rounds
 * until the JIT is quiet or {@code warmupCap} has passed.
 */
record BenchPlan(
        boolean quick,
        Duration warmup,
        Duration warmupCap,
        Duration measure,
        int floorRecords,
        List<Integer> sessionLevels,
        int historyTurns,
        List<Integer> historyCheckpoints,
        List<Integer> throughputRates,
        Duration throughputStep,
        int throughputSessions,
        int anatomyTurns,
        int recoverySessions,
        int recoveryLoadPerSecond) {

    static BenchPlan fullPlan() {
        return new BenchPlan(
                false,
                Duration.ofSeconds(4),
                Duration.ofSeconds(30),
                Duration.ofSeconds(12),
                300_000,
                List.of(1, 8, 64),
                2000,
                List.of(10, 100, 1000, 2000),
                List.of(100, 250, 500, 750, 1000, 1250, 1500, 2000, 3000, 4000),
                Duration.ofSeconds(8),
                1000,
                300,
                10_000,
                200);
    }

    static BenchPlan quickPlan() {
        return new BenchPlan(
                true,
                Duration.ofMillis(500),
                Duration.ofSeconds(2),
                Duration.ofMillis(1500),
                20_000,
                List.of(1, 8),
                200,
                List.of(10, 100, 200),
                List.of(50),
                Duration.ofSeconds(2),
                100,
                30,
                200,
                10);
    }
}
