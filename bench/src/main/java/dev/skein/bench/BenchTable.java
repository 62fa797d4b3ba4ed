package dev.skein.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/** The terminal table of a bench run (Markdown, so it pastes into docs/benchmarks.md as is). */
final class BenchTable {

    private BenchTable() {}

    static String render(BenchReport report) {
        StringBuilder out = new StringBuilder();
        Map<String, Object> m = report.machine();
        out.append(String.format(
                "Machine: %s cores (%s), %.1f GiB, %s, Kafka %s; mode %s, %.0f s%n%n",
                m.get("cores"),
                m.get("cpu"),
                ((Number) m.getOrDefault("memoryBytes", 0L)).doubleValue() / (1L << 30),
                m.get("jdk"),
                m.get("kafka"),
                report.settings().get("mode"),
                report.durationSeconds()));
        out.append(
                "| scenario | sessions | turns | turns/s | p50 ms | p90 ms | p99 ms | p99.9 ms | ratio to floor |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        if (report.floor() != null) {
            Latency l = report.floor().roundTrip();
            out.append(String.format(
                    "| Kafka round trip (floor, 2 hops) | 1 | %d | %.0f | %.2f | %.2f | %.2f | %.2f | 1 hop = %.2f ms |%n",
                    l.count(),
                    1000 / Math.max(1e-9, l.mean()),
                    l.p50(),
                    l.p90(),
                    l.p99(),
                    l.p999(),
                    report.floor().oneHopP50Ms()));
        }
        turns(out, "simple turn", report.simpleTurn());
        turns(out, "tool turn", report.toolTurn());
        if (report.httpWebSocket() != null) {
            for (WebSocketLoad.Result r : report.httpWebSocket()) {
                out.append(String.format(
                        "| HTTP POST, answer on WebSocket%s | %d | %d | %.0f | %.1f | %.1f | %.1f | %.1f | - |%n",
                        r.errors() > 0 ? ", " + r.errors() + " errors" : "",
                        r.connections(),
                        r.turns(),
                        r.turnsPerSecond(),
                        r.latencyMs().getOrDefault("p50", 0.0),
                        r.latencyMs().getOrDefault("p90", 0.0),
                        r.latencyMs().getOrDefault("p99", 0.0),
                        r.latencyMs().getOrDefault("p999", 0.0)));
            }
        }
        if (report.http() != null) {
            for (HttpPath.Result r : report.http()) {
                out.append(String.format(
                        "| HTTP POST ?wait, wrk%s | %d | %d | %.0f | %.1f | %.1f | %.1f | - | - |%n",
                        r.errors() > 0 ? ", " + r.errors() + " errors" : "",
                        r.connections(),
                        r.requests(),
                        r.requestsPerSecond(),
                        r.latencyMs().getOrDefault("p50", 0.0),
                        r.latencyMs().getOrDefault("p90", 0.0),
                        r.latencyMs().getOrDefault("p99", 0.0)));
            }
        }
        if (report.floor() != null) {
            out.append(String.format(
                    "%nRaw Kafka, one client, %d-byte records, linger 0, acks all: producer %.0f records/s,"
                            + " consumer %.0f records/s%n",
                    report.floor().recordBytes(),
                    report.floor().producerRecordsPerSecond(),
                    report.floor().consumerRecordsPerSecond()));
        }
        if (report.simpleTurn() != null || report.toolTurn() != null) {
            out.append(String.format(
                    "Ratio = p50 / (floor one-hop p50 x hops); hops: simple turn %d, tool turn %d.%n",
                    SkeinBench.SIMPLE_HOPS, SkeinBench.TOOL_HOPS));
        }
        commits(out, report);
        cpu(out, report);
        if (report.simpleTurnAnatomy() != null) {
            out.append(String.format(
                    "%nWhere a simple turn's time goes (one session, median of %d turns)%n",
                    report.simpleTurnAnatomy().turns()));
            out.append("| segment | median ms |\n|---|---:|\n");
            report.simpleTurnAnatomy()
                    .medianMs()
                    .forEach((segment, ms) -> out.append(String.format("| %s | %.1f |%n", segment, ms)));
            out.append("\nLog entries a simple turn adds per topic (records and transaction markers)\n");
            out.append("| topic | entries/turn |\n|---|---:|\n");
            report.simpleTurnAnatomy()
                    .logEntriesPerTurn()
                    .forEach((topic, entries) -> out.append(String.format("| %s | %.2f |%n", topic, entries)));
        }
        if (report.throughput() != null) {
            out.append(String.format(
                    "%nThroughput, open loop (sustained = highest rate held with p99 <= 1 s):"
                            + " simple %.0f turns/s, tool %.0f turns/s%n",
                    report.throughput().simpleSustainedPerSecond(),
                    report.throughput().toolSustainedPerSecond()));
            out.append(
                    "| turn | offered/s | answered/s | failed | p50 ms | p99 ms | held |\n|---|---:|---:|---:|---:|---:|---|\n");
            steps(out, "simple", report.throughput().simpleSteps());
            steps(out, "tool", report.throughput().toolSteps());
        }
        if (report.historyGrowth() != null) {
            out.append(String.format(
                    "%nHistory growth, one session to %d turns (each row: the %d turns ending there)%n",
                    report.historyGrowth().turns(), HistoryGrowth.WINDOW));
            out.append(
                    "| turn | changelog bytes/turn | changelog records/turn | latency p50 ms |\n|---:|---:|---:|---:|\n");
            for (HistoryGrowth.Checkpoint c : report.historyGrowth().checkpoints()) {
                out.append(String.format(
                        "| %d | %.1f | %.1f | %.1f |%n",
                        c.turn(), c.changelogBytesPerTurn(), c.changelogRecordsPerTurn(), c.latencyP50Ms()));
            }
        }
        if (report.recovery() != null) {
            out.append("\nRecovery: SIGKILL of a skein up process, then one turn to probe sessions of every partition"
                    + " (ms from the kill to the answer)\n");
            out.append(
                    "| case | processes | sessions | history records | probes | first answer ms | all answered ms"
                            + " | restarted process healthy ms | histories intact |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
            for (Recovery.Case c : report.recovery().cases()) {
                out.append(String.format(
                        "| %s | %d | %d | %d | %d | %.0f | %s | %s | %d/%d |%n",
                        c.name(),
                        c.processes(),
                        c.sessions(),
                        c.historyRecords(),
                        c.probes(),
                        c.firstAnswerMs(),
                        c.unanswered() > 0 ? c.unanswered() + " unanswered" : String.format("%.0f", c.allAnswerMs()),
                        c.restartedHealthyMs() > 0 ? String.format("%.0f", c.restartedHealthyMs()) : "-",
                        c.historiesIntact(),
                        c.probes()));
            }
            for (Recovery.Case c : report.recovery().cases()) {
                Recovery.Background.Figures b = c.background();
                if (b != null) {
                    out.append(String.format(
                            "%s: %d tool turns/s to other sessions across the kill: %d sent, %d completed,"
                                    + " %d failed, %d unanswered; latency p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                            c.name(),
                            b.perSecond(),
                            b.sent(),
                            b.completed(),
                            b.failed(),
                            b.unanswered(),
                            b.p50Ms(),
                            b.p99Ms(),
                            b.maxMs()));
                }
            }
        }
        report.skipped().forEach((what, why) -> out.append(String.format("%nNot measured: %s: %s", what, why)));
        if (!report.skipped().isEmpty()) {
            out.append('\n');
        }
        return out.toString();
    }

    private static void turns(StringBuilder out, String name, BenchReport.TurnScenario scenario) {
        if (scenario == null) {
            return;
        }
        for (BenchReport.TurnLevel level : scenario.levels()) {
            Latency l = level.latency();
            out.append(String.format(
                    "| %s (%d hops)%s | %d | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %.2f |%n",
                    name,
                    scenario.hops(),
                    level.failed() > 0 ? ", " + level.failed() + " failed" : "",
                    level.sessions(),
                    level.turns(),
                    level.turnsPerSecond(),
                    l.p50(),
                    l.p90(),
                    l.p99(),
                    l.p999(),
                    level.ratioToFloor()));
        }
    }

    /** The topology's commits during each closed-loop level and open-loop step. */
    private static void commits(StringBuilder out, BenchReport report) {
        perLevel(
                out,
                report,
                "\nThe topology's commits (Kafka's client metrics: stream threads and their producers)\n"
                        + "| load | sessions | commits | per turn | sendOffsets ms | commitTransaction ms"
                        + " | time committing | producer retries/turn |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
                (name, level) -> {
                    CommitCost c = level.commits();
                    return c == null
                            ? null
                            : String.format(
                                    "| %s | %d | %d | %.2f | %.2f | %.2f | %.0f%% | %.3f |%n",
                                    name,
                                    level.sessions(),
                                    c.commits(),
                                    c.commitsPerTurn(),
                                    c.sendOffsetsMsPerCommit(),
                                    c.commitTransactionMsPerCommit(),
                                    100 * c.committingShare(),
                                    c.producerRetriesPerTurn());
                });
    }

    /** The CPU each turn cost during each closed-loop level and open-loop step, and who spent it. */
    private static void cpu(StringBuilder out, BenchReport report) {
        StringBuilder header = new StringBuilder(
                "\nCPU per turn (ms of CPU of the bench's JVM: broker, node and load generator; the ceiling is the"
                        + " machine's cores over it)\n| load | sessions | CPU ms/turn |");
        for (CpuCost.Role role : CpuCost.Role.values()) {
            header.append(' ').append(role.label).append(" |");
        }
        header.append(" cores used | other processes' cores | ceiling turns/s |\n|---|---:|---:|");
        header.append("---:|".repeat(CpuCost.Role.values().length)).append("---:|---:|---:|\n");
        perLevel(out, report, header.toString(), (name, level) -> {
            CpuCost c = level.cpu();
            if (c == null) {
                return null;
            }
            StringBuilder row =
                    new StringBuilder(String.format("| %s | %d | %.2f |", name, level.sessions(), c.msPerTurn()));
            for (CpuCost.Role role : CpuCost.Role.values()) {
                row.append(String.format(" %.2f |", c.msPerTurnByRole().getOrDefault(role, 0.0)));
            }
            return row.append(String.format(
                            " %.2f | %.2f | %.0f |%n", c.processCores(), c.othersCores(), c.ceilingPerSecond()))
                    .toString();
        });
    }

    /** A table with a row (or none, where {@code row} gives null) for every load level the report has. */
    private static void perLevel(
            StringBuilder out,
            BenchReport report,
            String header,
            BiFunction<String, BenchReport.TurnLevel, String> row) {
        List<String> rows = new ArrayList<>();
        BiConsumer<String, BenchReport.TurnLevel> add = (name, level) -> {
            String line = row.apply(name, level);
            if (line != null) {
                rows.add(line);
            }
        };
        if (report.simpleTurn() != null) {
            report.simpleTurn().levels().forEach(level -> add.accept("simple turn", level));
        }
        if (report.toolTurn() != null) {
            report.toolTurn().levels().forEach(level -> add.accept("tool turn", level));
        }
        if (report.throughput() != null) {
            for (BenchReport.TurnLevel step : report.throughput().simpleSteps()) {
                add.accept("simple, open loop " + Math.round(step.targetPerSecond()) + "/s", step);
            }
            for (BenchReport.TurnLevel step : report.throughput().toolSteps()) {
                add.accept("tool, open loop " + Math.round(step.targetPerSecond()) + "/s", step);
            }
        }
        if (!rows.isEmpty()) {
            out.append(header);
            rows.forEach(out::append);
        }
    }

    private static void steps(StringBuilder out, String name, List<BenchReport.TurnLevel> steps) {
        for (BenchReport.TurnLevel step : steps) {
            out.append(String.format(
                    "| %s | %.0f | %.0f | %d | %.1f | %.1f | %s |%n",
                    name,
                    step.targetPerSecond(),
                    step.turnsPerSecond(),
                    step.failed(),
                    step.latency().p50(),
                    step.latency().p99(),
                    SkeinBench.held(step) ? "yes" : "no"));
        }
    }
}
