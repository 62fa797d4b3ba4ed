package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.events.TurnStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/** Every figure of one soak, as written to {@code soak.json}. Latencies in ms, from the send to the first completion. */
public record SoakReport(
        String startedAt,
        double durationSeconds,
        Map<String, Object> machine,
        Map<String, Object> settings,
        long turnsSent,
        long sendFailures,
        long completed,
        Map<String, Long> failedByReason,
        long withoutCompletion,
        long withMoreThanOneCompletion,
        long completionsOfUnknownTurns,
        Map<String, Long> toolFailuresByReason,
        long wrongAnswers,
        long duplicates,
        long gaps,
        long missingFromHistory,
        long messagesOfUnknownTurns,
        int sessionsChecked,
        long historyMessages,
        long changelogRecords,
        int kills,
        Map<String, Long> killsByRole,
        List<Soak.Kill> killLog,
        List<BrokerChaos.Recovery> brokerRecoveries,
        Map<String, Integer> replicasByTopic,
        Map<String, String> minInsyncByTopic,
        Latency latency,
        Latency latencyBeforeTheFirstKill,
        long longestAnswerGapMs,
        double loadSeconds,
        double settleSeconds,
        List<Long> answeredPer10Seconds,
        List<SoakHistory.Defect> defects,
        Map<String, List<String>> defectiveHistories,
        String logs) {

    /** Every turn answered once, no history with a gap or a duplicate, no wrong answer. */
    boolean invariantsHold() {
        return sendFailures == 0
                && withoutCompletion == 0
                && withMoreThanOneCompletion == 0
                && completionsOfUnknownTurns == 0
                && wrongAnswers == 0
                && duplicates == 0
                && gaps == 0
                && missingFromHistory == 0
                && messagesOfUnknownTurns == 0;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int DEFECTIVE_HISTORIES_KEPT = 10;
    private static final String TOOL_FAILED = "[demo agent] The tool calculator ";

    /** Judges a soak from what it sent, what came back and the histories; every figure of {@link #write}. */
    static SoakReport judge(
            Soak.Options options,
            Collection<SoakLedger.Turn> turns,
            SoakLedger ledger,
            SoakHistory history,
            List<Soak.Kill> kills,
            List<BrokerChaos.Recovery> brokerRecoveries,
            Map<String, Integer> replicasByTopic,
            Map<String, String> minInsyncByTopic,
            Map<String, String> processSettings,
            Instant startedAt,
            long began,
            double loadSeconds,
            double settleSeconds,
            Path work) {
        Histogram latency = Latency.histogram();
        long sendFailures = 0;
        long completed = 0;
        long none = 0;
        long many = 0;
        long wrong = 0;
        Map<String, Long> failedByReason = new TreeMap<>();
        Map<String, Long> toolFailures = new TreeMap<>();
        Map<String, Map<String, TurnStatus>> bySession = new TreeMap<>();
        List<SoakHistory.Defect> defects = new ArrayList<>();
        for (SoakLedger.Turn turn : turns) {
            Map<String, TurnStatus> sessionTurns =
                    bySession.computeIfAbsent(turn.sessionId, s -> new LinkedHashMap<>());
            if (turn.sendError.get() != null) {
                sendFailures++;
                continue;
            }
            if (turn.completions.isEmpty()) {
                none++;
                sessionTurns.put(turn.turnId, null);
                defects.add(new SoakHistory.Defect("no completion", turn.sessionId, turn.turnId, turn.message));
                continue;
            }
            if (turn.completions.size() > 1) {
                many++;
                defects.add(new SoakHistory.Defect(
                        "more than one completion",
                        turn.sessionId,
                        turn.turnId,
                        turn.completions.stream()
                                .map(c ->
                                        c.completed().getStatus() + " at responses-" + c.partition() + "@" + c.offset())
                                .toList()
                                .toString()));
            }
            SoakLedger.Completion first = turn.completions.get(0);
            latency.recordValue(Math.max(0, first.receivedNanos() - turn.sentNanos));
            TurnStatus status = first.completed().getStatus();
            sessionTurns.put(turn.turnId, status);
            if (status == TurnStatus.COMPLETED) {
                completed++;
                String answer = first.completed().getAnswer();
                if (turn.expected != null && answer != null && answer.startsWith(TOOL_FAILED)) {
                    // The agent was told the call failed (no live worker, a timeout) and said so:
                    // an answer, not a wrong one; counted by reason.
                    toolFailures.merge(reason(answer.substring(TOOL_FAILED.length())), 1L, Long::sum);
                } else if (turn.expected != null && (answer == null || !answer.contains(turn.expected))) {
                    wrong++;
                    defects.add(new SoakHistory.Defect(
                            "wrong answer", turn.sessionId, turn.turnId, turn.message + " -> " + answer));
                }
            } else {
                failedByReason.merge(status + ": " + reason(first.completed().getError()), 1L, Long::sum);
            }
        }
        SoakHistory.Findings findings = history.check(bySession);
        defects.addAll(findings.defects());
        Map<String, List<String>> histories = new LinkedHashMap<>();
        for (SoakHistory.Defect defect : defects) {
            if (histories.size() < DEFECTIVE_HISTORIES_KEPT && !histories.containsKey(defect.sessionId())) {
                histories.put(defect.sessionId(), history.dump(defect.sessionId()));
            }
        }
        long firstSent = turns.stream().mapToLong(t -> t.sentNanos).min().orElse(0);
        List<Long> answeredPer10Seconds = new ArrayList<>();
        for (SoakLedger.Turn turn : turns) {
            if (!turn.completions.isEmpty()) {
                int window = (int) ((turn.completions.get(0).receivedNanos() - firstSent) / 10_000_000_000L);
                while (answeredPer10Seconds.size() <= window) {
                    answeredPer10Seconds.add(0L);
                }
                answeredPer10Seconds.set(window, answeredPer10Seconds.get(window) + 1);
            }
        }
        long longestGap = longestGapMs(turns);
        // Kills are dated from the start of the load, which is when the first turn was sent.
        long firstKill =
                kills.isEmpty() ? Long.MAX_VALUE : firstSent + kills.get(0).atMs() * 1_000_000;
        Histogram beforeKill = Latency.histogram();
        for (SoakLedger.Turn turn : turns) {
            if (!turn.completions.isEmpty() && turn.completions.get(0).receivedNanos() < firstKill) {
                beforeKill.recordValue(Math.max(0, turn.completions.get(0).receivedNanos() - turn.sentNanos));
            }
        }
        Map<String, Long> killsByRole = new TreeMap<>();
        kills.forEach(k -> killsByRole.merge(k.role(), 1L, Long::sum));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("turns", options.turns());
        settings.put("perSecond", options.perSecond());
        settings.put("killEveryMs", options.killEvery().toMillis());
        settings.put("sessions", options.sessions());
        settings.put("cores", options.cores());
        settings.put("agents", options.agents());
        settings.put("workers", options.workers());
        settings.put("seed", options.seed());
        settings.put("brokers", options.brokers());
        if (options.brokers() > 1) {
            settings.put("brokerDowntimeMs", options.brokerDowntime().toMillis());
        }
        settings.put("mix", "2 of 3 turns 'what is a*b?' (one calculator call), 1 of 3 'hello'");
        settings.put("processes", processSettings);
        return new SoakReport(
                startedAt.toString(),
                (System.nanoTime() - began) / 1e9,
                SkeinBench.machine(),
                settings,
                turns.size(),
                sendFailures,
                completed,
                failedByReason,
                none,
                many,
                ledger.strangers().size(),
                toolFailures,
                wrong,
                findings.duplicates(),
                findings.gaps(),
                findings.missing(),
                findings.strangers(),
                findings.sessionsChecked(),
                findings.messages(),
                findings.changelogRecords(),
                kills.size(),
                killsByRole,
                kills,
                brokerRecoveries,
                replicasByTopic,
                minInsyncByTopic,
                Latency.of(latency),
                Latency.of(beforeKill),
                longestGap,
                loadSeconds,
                settleSeconds,
                answeredPer10Seconds,
                defects.stream().limit(200).toList(),
                histories,
                options.out().resolve("soak-logs").toString());
    }

    /**
     * The longest time between two answers (first completions, in the order they came) from the
     * first to the last: how long the sessions went silent at worst, a kill included.
     */
    private static long longestGapMs(Collection<SoakLedger.Turn> turns) {
        long[] answered = turns.stream()
                .filter(t -> !t.completions.isEmpty())
                .mapToLong(t -> t.completions.get(0).receivedNanos())
                .sorted()
                .toArray();
        long longest = 0;
        for (int i = 1; i < answered.length; i++) {
            longest = Math.max(longest, answered[i] - answered[i - 1]);
        }
        return longest / 1_000_000;
    }

    /** A failure's reason without the numbers and ids that differ from turn to turn, so that like reasons count together. */
    private static String reason(String error) {
        if (error == null) {
            return "(no reason given)";
        }
        String words = error.replaceAll("[0-9a-f]{8}-[0-9a-f-]{27,}", "<id>").replaceAll("\\d+", "N");
        return words.length() > 160 ? words.substring(0, 160) + "..." : words;
    }

    /** Writes {@code soak.json} under {@code out} and prints the table. */
    void write(Path out, PrintStream console) throws IOException {
        SoakReport report = this;
        Files.createDirectories(out);
        Path json = out.resolve("soak.json");
        JSON.writeValue(json.toFile(), report);
        Latency l = report.latency();
        console.println();
        console.println("| figure | value |");
        console.println("|---|---:|");
        row(console, "turns sent", report.turnsSent());
        row(console, "completed", report.completed());
        report.failedByReason().forEach((reason, n) -> row(console, "failed, " + reason, n));
        row(console, "turns without a completion (must be 0)", report.withoutCompletion());
        row(console, "turns with more than one completion (must be 0)", report.withMoreThanOneCompletion());
        report.toolFailuresByReason()
                .forEach((reason, n) -> row(console, "completed, the calculator call failed: " + reason, n));
        row(console, "wrong calculator answers (must be 0)", report.wrongAnswers());
        row(console, "duplicates in histories (must be 0)", report.duplicates());
        row(console, "gaps in histories (must be 0)", report.gaps());
        row(console, "completed turns missing from their history (must be 0)", report.missingFromHistory());
        row(console, "sessions checked", report.sessionsChecked());
        row(console, "history messages", report.historyMessages());
        row(console, "kills", report.kills());
        report.killsByRole().forEach((role, n) -> row(console, "kills of " + killed(role), n));
        for (BrokerChaos.Recovery r : report.brokerRecoveries()) {
            String broker = "broker " + r.node() + " (controller, led " + r.partitionsLed() + " partitions)";
            console.printf("| %s: every partition led again after | %.1f s |%n", broker, r.leadersMovedAfterMs() / 1e3);
            console.printf("| %s: restarted after | %.1f s |%n", broker, r.restartedAfterMs() / 1e3);
            console.printf(
                    "| %s: every replica in sync again after | %.1f s |%n", broker, r.fullyReplicatedAfterMs() / 1e3);
        }
        if (!report.replicasByTopic().isEmpty()) {
            row(
                    console,
                    "fewest replicas of any topic (Skein's, changelogs, internal)",
                    report.replicasByTopic().values().stream()
                            .mapToInt(Integer::intValue)
                            .min()
                            .orElse(0));
        }
        console.printf("| latency p50 | %.0f ms |%n", l.p50());
        console.printf("| latency p99 | %.0f ms |%n", l.p99());
        console.printf("| latency max | %.0f ms |%n", l.max());
        Latency quiet = report.latencyBeforeTheFirstKill();
        console.printf(
                "| latency p50 / p99 of turns answered before the first kill | %.0f ms / %.0f ms |%n",
                quiet.p50(), quiet.p99());
        console.printf("| longest time without an answer | %.1f s |%n", report.longestAnswerGapMs() / 1e3);
        console.printf("| load | %.1f s |%n", report.loadSeconds());
        console.printf("| time to settle (last send to last answer) | %.1f s |%n", report.settleSeconds());
        console.println("Answers per 10 s from the first send: " + report.answeredPer10Seconds());
        console.println();
        if (report.invariantsHold()) {
            console.println("Soak: every invariant holds. Figures: " + json);
        } else {
            console.println("Soak: INVARIANTS BROKEN. Defects (first 20):");
            report.defects().stream()
                    .limit(20)
                    .forEach(d -> console.printf(
                            "  %s, session %s, turn %s: %s%n", d.kind(), d.sessionId(), d.turnId(), d.detail()));
            console.println("Figures, every defect and the histories: " + json + "; logs: " + report.logs());
        }
    }

    private static String killed(String role) {
        return role.equals("broker") ? "Kafka brokers" : "skein " + role;
    }

    private static void row(PrintStream console, String figure, long value) {
        console.printf("| %s | %d |%n", figure, value);
    }
}
