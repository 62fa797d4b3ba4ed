package dev.skein.bench;

import java.util.List;
import java.util.Map;

/**
 * Every figure of one {@code skein bench} run, as written to {@code bench.json}. Latencies are in
 * milliseconds; a scenario that did not run is null and, when it was skipped, says why in
 * {@link #skipped}.
 */
public record BenchReport(
        String startedAt,
        double durationSeconds,
        Map<String, Object> machine,
        Map<String, Object> settings,
        Floor floor,
        TurnScenario simpleTurn,
        TurnAnatomy.Result simpleTurnAnatomy,
        TurnScenario toolTurn,
        List<HttpPath.Result> http,
        List<WebSocketLoad.Result> httpWebSocket,
        HistoryGrowth.Result historyGrowth,
        Throughput throughput,
        Recovery.Result recovery,
        Map<String, String> skipped) {

    /** Round trip on plain Kafka, and what one producer and one consumer reach. */
    public record Floor(
            Latency roundTrip,
            double oneHopP50Ms,
            double producerRecordsPerSecond,
            double consumerRecordsPerSecond,
            int recordBytes,
            int records) {}

    /**
     * Closed-loop turns at each concurrency. {@code hops} counts one-way topic hops;
     * {@code ratioToFloor} is the median over (floor one-hop median × hops).
     */
    public record TurnScenario(String message, int hops, String hopPath, List<TurnLevel> levels) {}

    /**
     * One load level: closed loop ({@code targetPerSecond} 0) or one open-loop step, with what the
     * topology's commits and the CPU cost during it.
     */
    public record TurnLevel(
            int sessions,
            double targetPerSecond,
            long turns,
            long failed,
            double turnsPerSecond,
            Latency latency,
            double ratioToFloor,
            CommitCost commits,
            CpuCost cpu) {}

    /** Open-loop steps at rising rates; the highest rate held with p99 at most one second. */
    public record Throughput(
            List<TurnLevel> simpleSteps,
            double simpleSustainedPerSecond,
            List<TurnLevel> toolSteps,
            double toolSustainedPerSecond,
            List<Integer> targetRates) {}
}
