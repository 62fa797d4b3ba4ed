package dev.skein.integration.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.bench.ScaleBench;
import dev.skein.bench.ScaleBenchCommand;
import dev.skein.integration.fixtures.KafkaFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skein bench scale --quick} on the test broker: 2,000 sessions loaded through their
 * changelogs and a 1,000-message session. The bench's own invariants, not its timings: after each
 * SIGKILL (restart, standby takeover) every probe turn is answered and every session's history
 * reads back whole, and the reads and footprints are there.
 */
@Tag("bench")
class ScaleBenchQuickIT {

    @TempDir
    Path out;

    @Test
    void everySessionIsRestoredAfterEachKillAndEveryHistoryReads() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ScaleBench bench = new ScaleBench(
                ScaleBenchCommand.options(
                        true,
                        null,
                        null,
                        ScaleBench.Load.CHANGELOG,
                        null,
                        null,
                        out,
                        Optional.of(KafkaFixture.bootstrapServers())),
                new PrintStream(console, true, StandardCharsets.UTF_8));
        ScaleBench.Report report = bench.run();
        bench.write(report);
        String printed = console.toString(StandardCharsets.UTF_8);

        assertThat(report.defects()).as(printed).isEmpty();
        JsonNode json = new ObjectMapper().readTree(out.resolve("scale.json").toFile());
        JsonNode size = json.at("/sizes/0");
        assertThat(size.path("sessions").asInt()).isEqualTo(2_000);
        // The template's records, once per session: the load wrote something for every one.
        assertThat(size.path("recordsWritten").asLong()).isGreaterThanOrEqualTo(2_000L * 10);
        for (String kill : new String[] {"restart", "standby"}) {
            JsonNode figures = size.path(kill);
            assertThat(figures.path("unanswered").asLong()).as(kill).isZero();
            assertThat(figures.path("probes").asInt()).as(kill).isPositive();
            assertThat(figures.path("allAnswerMs").asDouble()).as(kill).isPositive();
            // Every session checked (quick: --verify 0), every one whole.
            assertThat(figures.path("checked").asInt()).as(kill).isEqualTo(2_000);
            assertThat(figures.path("intact").asInt())
                    .as(kill)
                    .isEqualTo(figures.path("checked").asInt());
        }
        assertThat(size.at("/reads/shortSession/count").asLong()).isEqualTo(500);
        assertThat(size.at("/reads/longMessages").asInt()).isEqualTo(1_000);
        assertThat(size.at("/footprint/changelogBytesPerSession").asDouble()).isPositive();
        assertThat(size.at("/footprint/stateDirBytes").asLong()).isPositive();
        assertThat(json.path("context")).isNotEmpty();
        assertThat(printed).contains("| sessions (10 messages each) | 2,000 |");
    }
}
