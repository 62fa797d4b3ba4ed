package dev.skein.integration.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.bench.HttpPath;
import dev.skein.bench.SkeinBench;
import dev.skein.integration.fixtures.KafkaFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quick bench on the test broker: every scenario yields figures, and history growth stays flat. */
@Tag("bench")
class BenchQuickIT {

    @TempDir
    Path out;

    @Test
    void theQuickBenchWritesPositiveFiguresForEveryScenarioAndTheHistoryDoesNotGrow() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        new SkeinBench(
                        new SkeinBench.Options(
                                true,
                                out,
                                Optional.of(KafkaFixture.bootstrapServers()),
                                EnumSet.allOf(SkeinBench.Scenario.class)),
                        new PrintStream(console, true, StandardCharsets.UTF_8))
                .run();

        JsonNode report = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
        assertThat(report.at("/machine/cores").asInt()).isPositive();
        assertThat(report.at("/machine/kafka").asText()).isNotBlank();

        JsonNode floor = report.path("floor");
        assertThat(floor.at("/roundTrip/count").asLong()).isPositive();
        assertThat(floor.at("/roundTrip/p50").asDouble()).isPositive();
        assertThat(floor.at("/roundTrip/p99").asDouble()).isPositive();
        assertThat(floor.path("producerRecordsPerSecond").asDouble()).isPositive();
        assertThat(floor.path("consumerRecordsPerSecond").asDouble()).isPositive();

        for (String scenario : new String[] {"simpleTurn", "toolTurn"}) {
            JsonNode levels = report.path(scenario).path("levels");
            assertThat(levels).as(scenario).isNotEmpty();
            for (JsonNode level : levels) {
                assertThat(level.path("turns").asLong()).as(scenario).isPositive();
                assertThat(level.path("failed").asLong()).as(scenario).isZero();
                assertThat(level.path("turnsPerSecond").asDouble()).as(scenario).isPositive();
                assertThat(level.at("/latency/p50").asDouble()).as(scenario).isPositive();
                assertThat(level.at("/latency/p999").asDouble())
                        .as(scenario)
                        .isGreaterThanOrEqualTo(level.at("/latency/p50").asDouble());
                assertThat(level.path("ratioToFloor").asDouble()).as(scenario).isPositive();
                // Read from Kafka's own client metrics: a renamed metric would read 0 here.
                JsonNode commits = level.path("commits");
                assertThat(commits.path("commits").asLong()).as(scenario).isPositive();
                assertThat(commits.path("commitsPerTurn").asDouble())
                        .as(scenario)
                        .isPositive();
                assertThat(commits.path("sendOffsetsMsPerCommit").asDouble())
                        .as(scenario)
                        .isPositive();
                assertThat(commits.path("commitTransactionMsPerCommit").asDouble())
                        .as(scenario)
                        .isPositive();
                assertThat(commits.path("committingShare").asDouble())
                        .as(scenario)
                        .isBetween(0.0, 1.0);
                // The whole JVM's CPU over the level, split by thread: the roles add up to it.
                JsonNode cpu = level.path("cpu");
                double perTurn = cpu.path("msPerTurn").asDouble();
                assertThat(perTurn).as(scenario).isPositive();
                double byRole = 0;
                for (String role : List.of("STREAMS", "RUNNER", "INGRESS", "BROKER", "LOAD", "JVM")) {
                    assertThat(cpu.at("/msPerTurnByRole/" + role).isNumber())
                            .as(scenario + " " + role)
                            .isTrue();
                }
                for (JsonNode ms : cpu.path("msPerTurnByRole")) {
                    byRole += ms.asDouble();
                }
                assertThat(byRole).as(scenario).isCloseTo(perTurn, within(perTurn * 0.01 + 0.01));
                assertThat(cpu.at("/msPerTurnByRole/STREAMS").asDouble())
                        .as(scenario)
                        .isPositive();
                assertThat(cpu.at("/msPerTurnByRole/BROKER").asDouble())
                        .as(scenario)
                        .isPositive();
                assertThat(cpu.path("processCores").asDouble()).as(scenario).isPositive();
                assertThat(cpu.path("ceilingPerSecond").asDouble()).as(scenario).isPositive();
            }
        }
        assertThat(report.at("/simpleTurnAnatomy/turns").asInt()).isPositive();
        assertThat(report.at("/simpleTurnAnatomy/medianMs").path("whole turn").asDouble())
                .isPositive();
        assertThat(report.at("/throughput/simpleSteps/0/turns").asLong()).isPositive();
        JsonNode webSocket = report.path("httpWebSocket");
        assertThat(webSocket).hasSize(2);
        for (JsonNode level : webSocket) {
            assertThat(level.path("turns").asLong()).isPositive();
            assertThat(level.path("errors").asLong()).isZero();
            assertThat(level.at("/latencyMs/p50").asDouble()).isPositive();
            assertThat(level.at("/latencyMs/p99").asDouble())
                    .isGreaterThanOrEqualTo(level.at("/latencyMs/p50").asDouble());
            assertThat(level.path("percentileCurve")).isNotEmpty();
        }
        assertThat(report.path("skipped").has("http-websocket")).isFalse();
        if (HttpPath.wrk().isPresent()) {
            assertThat(report.at("/http/0/requests").asLong()).isPositive();
            assertThat(report.at("/http/0/errors").asLong()).isZero();
            assertThat(report.at("/http/0/latencyMs/p50").asDouble()).isPositive();
        } else {
            assertThat(report.at("/skipped/http").asText()).contains("wrk");
        }
        assertThat(report.at("/throughput/toolSteps/0/turns").asLong()).isPositive();

        JsonNode checkpoints = report.at("/historyGrowth/checkpoints");
        assertThat(checkpoints).hasSize(3);
        double first = checkpoints.get(0).path("changelogBytesPerTurn").asDouble();
        double last = checkpoints
                .get(checkpoints.size() - 1)
                .path("changelogBytesPerTurn")
                .asDouble();
        assertThat(checkpoints.get(checkpoints.size() - 1).path("turn").asInt()).isEqualTo(200);
        assertThat(first).isPositive();
        // An append writes the new messages only: the bytes of a turn do not grow with the history.
        assertThat(last).isCloseTo(first, within(first * 0.10));

        JsonNode recovery = report.at("/recovery/cases");
        assertThat(recovery)
                .extracting(c -> c.path("name").asText())
                .containsExactly("restart", "standby", "standby-under-load");
        for (JsonNode c : recovery) {
            String name = c.path("name").asText();
            assertThat(c.path("unanswered").asLong()).as(name).isZero();
            // Every probe session answered with its seeded history intact, on every partition.
            assertThat(c.path("historiesIntact").asInt())
                    .as(name)
                    .isEqualTo(c.path("probes").asInt())
                    .isPositive();
            assertThat(c.path("partitions").asInt()).as(name).isEqualTo(4);
            assertThat(c.path("historyRecords").asLong())
                    .as(name)
                    .isGreaterThanOrEqualTo(2L * c.path("sessions").asLong());
            assertThat(c.path("allAnswerMs").asDouble())
                    .as(name)
                    .isGreaterThanOrEqualTo(c.path("firstAnswerMs").asDouble())
                    .isPositive();
        }
        // Turns in flight across the kill: every one answered, none failed.
        JsonNode load = recovery.get(2).path("background");
        assertThat(load.path("sent").asLong()).isPositive();
        assertThat(load.path("completed").asLong()).isEqualTo(load.path("sent").asLong());
        assertThat(recovery.get(0).path("background").isNull()).isTrue();
        assertThat(out.resolve("recovery-logs/standby-1.log")).isNotEmptyFile();

        assertThat(out.resolve("latency-distribution.png")).isNotEmptyFile();
        assertThat(out.resolve("history-growth-bytes.png")).isNotEmptyFile();
        assertThat(console.toString(StandardCharsets.UTF_8))
                .contains("| simple turn (4 hops) | 8 |")
                .contains("The topology's commits")
                .contains("CPU per turn");
    }
}
