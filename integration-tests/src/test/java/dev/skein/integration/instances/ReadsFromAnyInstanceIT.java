package dev.skein.integration.instances;

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
 * The quick form of {@code skein bench reads}: three {@code skein core} processes (JVMs of their
 * own, each its own data directory and port) and an agent runner on one broker. Each of 200
 * sessions reads the same from every instance, {@code GET /v1/sessions} lists all of them from any
 * instance, and after one instance is SIGKILLed every session reads again through the others,
 * unchanged, once the group has rebalanced.
 */
@Tag("instances")
class ReadsFromAnyInstanceIT {

    @TempDir
    Path out;

    @Test
    void everySessionReadsTheSameFromEveryInstanceAndAgainAfterOneIsKilled() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand()).execute("reads", "--quick", "--out", out.toString());
        } finally {
            System.setOut(previous);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        JsonNode report = new ObjectMapper().readTree(out.resolve("reads.json").toFile());

        assertThat(report.path("defects")).as(printed).isEmpty();
        assertThat(report.path("sessions").asInt()).isEqualTo(200);
        assertThat(report.path("reads").asLong()).isEqualTo(600);
        assertThat(report.path("failedReads").asLong()).as(printed).isZero();
        assertThat(report.path("mismatches").asLong()).as(printed).isZero();
        // Two of every three reads are answered by another instance than the one asked.
        assertThat(report.path("forwarded").path("count").asLong()).isGreaterThan(200);
        assertThat(report.path("local").path("count").asLong()).isPositive();
        assertThat(report.path("listedSessions").asInt()).isEqualTo(200);
        assertThat(report.path("listingComplete").asBoolean()).isTrue();
        assertThat(report.path("msUntilAllFresh").asLong()).as(printed).isPositive();
        assertThat(report.path("changedAfterRecovery").asLong()).as(printed).isZero();
        assertThat(exit).as(printed).isZero();
        assertThat(printed).contains("| histories changed by the kill (must be 0) | 0 |");
    }
}
