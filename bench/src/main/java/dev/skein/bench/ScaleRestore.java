package dev.skein.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The scale bench's unclean stops: SIGKILL of the process that holds the sessions, then at once
 * one turn to each of a few probe sessions of every partition (they wait in the turns topic while
 * nobody serves it); times run from the kill to each answer. Afterwards histories are read back
 * from the process that serves them: every session of the sample must have its 10 messages (a
 * probed one 12), sequences from 0 without a gap. That is the bench's own invariant.
 */
final class ScaleRestore {

    /**
     * @param healthyMs restart: until the restarted process's {@code /health} answered; standby: -1
     * @param pairStartSeconds standby: until both processes of the pair were healthy on fresh state
     *     directories (each restores its active and, after, its standby tasks); restart: -1
     * @param catchUpWaitSeconds standby: how long the bench let the standby replicas catch up before the kill
     */
    record Figures(
            String name,
            double healthyMs,
            double firstAnswerMs,
            double allAnswerMs,
            int probes,
            long unanswered,
            int checked,
            int intact,
            double pairStartSeconds,
            double catchUpWaitSeconds,
            List<String> defects) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PROBES_PER_PARTITION = 4;
    private static final Duration PROBE_TIMEOUT = Duration.ofMinutes(10);

    private final TurnDriver driver;
    private final int sessions;
    private final int verify;
    private final PrintStream console;
    /** Messages each session should hold; absent: 10. */
    private final Map<String, Integer> expected = new HashMap<>();

    private int probeRound;

    /** @param verify sessions whose history is checked after a kill (spread evenly); 0: every one */
    ScaleRestore(TurnDriver driver, int sessions, int verify, PrintStream console) {
        this.driver = driver;
        this.sessions = sessions;
        this.verify = verify;
        this.console = console;
    }

    /** SIGKILL of {@code node}, started again at once on the same data directory. */
    Figures restart(SkeinProcess node, Duration timeout) throws Exception {
        List<String> probes = probes();
        console.printf("Scale (%,d sessions): SIGKILL and restart ...%n", sessions);
        long killedAt = System.nanoTime();
        node.kill();
        List<CompletableFuture<TurnDriver.Answer>> answers = submit(probes);
        node.restart();
        node.awaitHealthy(timeout);
        double healthyMs = (System.nanoTime() - killedAt) / 1e6;
        return figures("restart", healthyMs, -1, -1, killedAt, probes, answers, node);
    }

    /**
     * Two processes with a standby replica each, both started on fresh state directories; once both
     * are healthy and the standbys have had {@code max(5 s, 1.5 x firstRestoreSeconds)} to catch up,
     * the first is SIGKILLed and the other takes over.
     */
    Figures standby(List<SkeinProcess> pair, double firstRestoreSeconds, Duration timeout) throws Exception {
        console.printf("Scale (%,d sessions): a pair with standbys, both restoring ...%n", sessions);
        long start = System.nanoTime();
        for (SkeinProcess node : pair) {
            node.awaitHealthy(timeout);
        }
        double pairStart = (System.nanoTime() - start) / 1e9;
        // Kafka Streams reports no standby lag to the outside: give the standbys the time the
        // first restore took and half as much again (they catch up once the active tasks have restored).
        double wait = Math.max(5, 1.5 * firstRestoreSeconds);
        Thread.sleep((long) (wait * 1000));
        List<String> probes = probes();
        console.printf("Scale (%,d sessions): SIGKILL of one of the pair ...%n", sessions);
        long killedAt = System.nanoTime();
        pair.get(0).kill();
        List<CompletableFuture<TurnDriver.Answer>> answers = submit(probes);
        return figures("standby", -1, pairStart, wait, killedAt, probes, answers, pair.get(1));
    }

    private Figures figures(
            String name,
            double healthyMs,
            double pairStart,
            double wait,
            long killedAt,
            List<String> probes,
            List<CompletableFuture<TurnDriver.Answer>> answers,
            SkeinProcess survivor)
            throws Exception {
        List<Double> answeredMs = new ArrayList<>();
        long unanswered = 0;
        for (CompletableFuture<TurnDriver.Answer> answer : answers) {
            try {
                TurnDriver.Answer a = answer.get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                answeredMs.add((a.receivedNanos() - killedAt) / 1e6);
            } catch (TimeoutException | ExecutionException e) {
                unanswered++;
            }
        }
        answeredMs.sort(Double::compare);
        List<String> defects = new ArrayList<>();
        if (unanswered > 0) {
            defects.add(sessions + " sessions, " + name + ": " + unanswered + " probes unanswered");
        }
        Set<String> checked = new LinkedHashSet<>(probes);
        int sample = verify == 0 ? sessions : Math.min(verify, sessions);
        for (int i = 0; i < sample; i++) {
            checked.add("scale-" + (long) i * sessions / sample);
        }
        int intact = 0;
        for (String session : checked) {
            int messages = messages(survivor, session);
            int want = expected.getOrDefault(session, 10);
            if (messages == want) {
                intact++;
            } else if (defects.size() < 20) {
                defects.add(sessions + " sessions, " + name + ": " + session + " has " + messages + " messages, not "
                        + want);
            }
        }
        if (intact < checked.size()) {
            defects.add(sessions + " sessions, " + name + ": " + (checked.size() - intact) + " of " + checked.size()
                    + " histories not intact");
        }
        return new Figures(
                name,
                healthyMs,
                answeredMs.isEmpty() ? -1 : answeredMs.get(0),
                unanswered > 0 || answeredMs.isEmpty() ? -1 : answeredMs.get(answeredMs.size() - 1),
                probes.size(),
                unanswered,
                checked.size(),
                intact,
                pairStart,
                wait,
                List.copyOf(defects));
    }

    private List<CompletableFuture<TurnDriver.Answer>> submit(List<String> probes) {
        List<CompletableFuture<TurnDriver.Answer>> answers = new ArrayList<>();
        for (String probe : probes) {
            answers.add(driver.submit(probe, SkeinBench.SIMPLE_MESSAGE));
            expected.merge(probe, 12, (a, b) -> a + 2);
        }
        return answers;
    }

    /** {@value #PROBES_PER_PARTITION} sessions of every partition not probed before. */
    private List<String> probes() {
        Map<Integer, List<String>> byPartition = new LinkedHashMap<>();
        int skip = probeRound++ * PROBES_PER_PARTITION;
        Map<Integer, Integer> seen = new HashMap<>();
        for (int i = 0; i < sessions; i++) {
            String session = "scale-" + i;
            int partition = driver.partitionOf(session);
            if (seen.merge(partition, 1, Integer::sum) <= skip) {
                continue;
            }
            List<String> probes = byPartition.computeIfAbsent(partition, p -> new ArrayList<>());
            if (probes.size() < PROBES_PER_PARTITION) {
                probes.add(session);
            }
        }
        return byPartition.values().stream().flatMap(List::stream).toList();
    }

    /** The messages of the session's history read from {@code node}; -1 when unreadable or not gapless from 0. */
    static int messages(SkeinProcess node, String session) throws InterruptedException {
        try {
            return messages(node.get("/v1/sessions/" + session + "/history"));
        } catch (IOException e) {
            return -1;
        }
    }

    static int messages(HttpResponse<String> response) throws IOException {
        if (response.statusCode() != 200) {
            return -1;
        }
        JsonNode messages = JSON.readTree(response.body()).path("messages");
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).path("sequence").asLong() != i) {
                return -1;
            }
        }
        return messages.size();
    }
}
