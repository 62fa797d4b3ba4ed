package dev.skein.integration.streams;

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
 * The quick form of {@code skein bench streams}: two {@code skein core} processes and an agent
 * runner; a client follows 60 turns of one session over SSE, drops and resumes at random, and
 * resumes on the other instance after the one it was on is SIGKILLed (and started again). It must
 * see every record of the session on the deltas topic once, in order.
 */
@Tag("streams")
class StreamsAcrossInstancesIT {

    @TempDir
    Path out;

    @Test
    void aClientSeesEveryEventOnceInOrderAcrossDropsAndASigkillOfItsInstance() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand()).execute("streams", "--quick", "--out", out.toString());
        } finally {
            System.setOut(previous);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        JsonNode report =
                new ObjectMapper().readTree(out.resolve("streams.json").toFile());

        assertThat(report.path("defects")).as(printed).isEmpty();
        assertThat(report.path("turns").asInt()).isEqualTo(60);
        assertThat(report.path("reconnects").asInt()).as(printed).isGreaterThan(5);
        assertThat(report.path("reconnectsToAnotherInstance").asInt()).isEqualTo(1);
        assertThat(report.path("missing").asLong()).isZero();
        assertThat(report.path("duplicated").asLong()).isZero();
        assertThat(report.path("outOfOrder").asLong()).isZero();
        assertThat(report.path("liveDelta").path("count").asLong()).isPositive();
        assertThat(report.path("replayWhole").path("count").asLong()).isPositive();
        assertThat(exit).as(printed).isZero();
    }
}
