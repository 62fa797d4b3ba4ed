package dev.skein.integration.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.bench.BenchCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The quick chaos soak ({@code skein bench soak --quick}): core, agents and worker processes
 * SIGKILLed at random under steady turns, on a broker of its own (the failover settings it needs are
 * the embedded broker's). Every turn has exactly one completion, no history a gap or a duplicate.
 */
@Tag("chaos")
class ChaosSoakIT {

    private static final int MIN_KILLS = 3;

    @TempDir
    Path out;

    @Test
    void everyTurnIsAnsweredOnceAndNoHistoryHasAGapOrADuplicateWhileProcessesAreKilled() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand()).execute("soak", "--quick", "--out", out.toString());
        } finally {
            System.setOut(previous);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        JsonNode report = new ObjectMapper().readTree(out.resolve("soak.json").toFile());

        assertThat(report.path("defects")).as(printed).isEmpty();
        assertThat(report.path("turnsSent").asLong()).isEqualTo(300);
        assertThat(report.path("sendFailures").asLong()).isZero();
        // Exactly one completion per turn: COMPLETED or FAILED with a reason, counted once.
        assertThat(report.path("withoutCompletion").asLong()).as(printed).isZero();
        assertThat(report.path("withMoreThanOneCompletion").asLong())
                .as(printed)
                .isZero();
        long failed = 0;
        for (JsonNode n : report.path("failedByReason")) {
            failed += n.asLong();
        }
        assertThat(report.path("completed").asLong() + failed).isEqualTo(300);
        assertThat(report.path("wrongAnswers").asLong()).isZero();
        assertThat(report.path("duplicates").asLong()).as(printed).isZero();
        assertThat(report.path("gaps").asLong()).as(printed).isZero();
        assertThat(report.path("missingFromHistory").asLong()).as(printed).isZero();
        assertThat(report.path("sessionsChecked").asInt()).isEqualTo(40);
        assertThat(report.path("kills").asInt()).as(printed).isGreaterThanOrEqualTo(MIN_KILLS);
        assertThat(report.path("latency").path("max").asDouble()).isPositive();
        assertThat(exit).as(printed).isZero();
        assertThat(out.resolve("soak-logs/core-0.log")).isNotEmptyFile();
        assertThat(printed).contains("| duplicates in histories (must be 0) | 0 |");
    }
}
