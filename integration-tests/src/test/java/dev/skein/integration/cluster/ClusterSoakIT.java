package dev.skein.integration.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.bench.BenchCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The quick cluster soak ({@code skein bench cluster --quick}): a three-broker cluster (RF 3,
 * min.insync.replicas 2) under tool-using turns from a {@code skein core}, {@code agents} and
 * {@code worker} with {@code skein.topics.replication-factor = 3}; the active controller is
 * SIGKILLed mid-load and restarted. With two of three replicas left every write still has its
 * quorum, so every turn must complete (none may fail), exactly once, and no history may have a gap
 * or a duplicate. {@code -Dskein.cluster-soak.turns=3000} makes it a long run (about 10 turns/s at
 * that size, a kill every 30 s).
 */
@Tag("cluster")
class ClusterSoakIT {

    private static final int QUICK_TURNS = 200;

    @TempDir
    Path out;

    @Test
    void everyTurnCompletesOnceAndNoHistoryHasAGapOrADuplicateWhenABrokerIsKilled() throws Exception {
        Integer turns = Integer.getInteger("skein.cluster-soak.turns");
        List<String> args = new ArrayList<>(List.of("cluster", "--out", out.toString()));
        if (turns == null) {
            args.add("--quick");
        } else {
            args.addAll(List.of("--turns", turns.toString()));
        }
        int expected = turns == null ? QUICK_TURNS : turns;

        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand()).execute(args.toArray(String[]::new));
        } finally {
            System.setOut(previous);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        JsonNode report = new ObjectMapper().readTree(out.resolve("soak.json").toFile());

        assertThat(report.path("defects")).as(printed).isEmpty();
        assertThat(report.path("turnsSent").asLong()).isEqualTo(expected);
        assertThat(report.path("sendFailures").asLong()).as(printed).isZero();
        assertThat(report.path("withoutCompletion").asLong()).as(printed).isZero();
        assertThat(report.path("withMoreThanOneCompletion").asLong())
                .as(printed)
                .isZero();
        // One broker of three down leaves every partition two replicas, min.insync.replicas: nothing
        // may fail, and no tool call may be lost on the way (the agent would say so in its answer).
        assertThat(report.path("failedByReason")).as(printed).isEmpty();
        assertThat(report.path("completed").asLong()).as(printed).isEqualTo(expected);
        assertThat(report.path("toolFailuresByReason")).as(printed).isEmpty();
        assertThat(report.path("wrongAnswers").asLong()).isZero();
        assertThat(report.path("duplicates").asLong()).as(printed).isZero();
        assertThat(report.path("gaps").asLong()).as(printed).isZero();
        assertThat(report.path("missingFromHistory").asLong()).as(printed).isZero();
        assertThat(report.path("completionsOfUnknownTurns").asLong()).isZero();

        JsonNode kills = report.path("brokerRecoveries");
        assertThat(kills.size()).as(printed).isGreaterThanOrEqualTo(1);
        JsonNode first = kills.get(0);
        assertThat(first.path("partitionsLed").asInt())
                .as("the killed controller led partitions")
                .isPositive();
        assertThat(first.path("newController").asInt())
                .isNotEqualTo(first.path("node").asInt());
        assertThat(first.path("leadersMovedAfterMs").asLong()).isPositive();
        assertThat(first.path("fullyReplicatedAfterMs").asLong())
                .isGreaterThanOrEqualTo(first.path("restartedAfterMs").asLong());
        // Skein's topics, its changelogs, the schemas topic and Kafka's internal topics: three each.
        JsonNode replicas = report.path("replicasByTopic");
        assertThat(replicas.properties()).as(printed).hasSizeGreaterThan(10);
        replicas.properties()
                .forEach(e -> assertThat(e.getValue().asInt()).as(e.getKey()).isEqualTo(3));
        assertThat(replicas.fieldNames()).toIterable().anyMatch(t -> t.endsWith("-changelog"));
        assertThat(replicas.fieldNames()).toIterable().anyMatch(t -> t.endsWith("_schemas"));
        assertThat(replicas.fieldNames()).toIterable().contains("__transaction_state", "__share_group_state");
        // skein.topics.min-insync-replicas = 2 reached every topic Skein and Kafka Streams created,
        // as a config of the topic's own (the brokers' default happens to be 2 as well).
        JsonNode minInsync = report.path("minInsyncByTopic");
        assertThat(minInsync.properties()).hasSizeGreaterThan(10);
        minInsync
                .properties()
                .forEach(e -> assertThat(e.getValue().asText()).as(e.getKey()).isEqualTo("2 (topic)"));
        assertThat(exit).as(printed).isZero();
        assertThat(out.resolve("soak-logs/broker-1.log")).isNotEmptyFile();
    }
}
