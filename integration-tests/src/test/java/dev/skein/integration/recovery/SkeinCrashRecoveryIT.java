package dev.skein.integration.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.SkeinUpProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code skein up} as a user runs it, in its own process with its embedded broker: killed with
 * SIGKILL after some turns and started again with the same command, it keeps every session.
 */
@Tag("recovery")
class SkeinCrashRecoveryIT {

    private final List<SkeinUpProcess> processes = new ArrayList<>();

    @AfterEach
    void stopProcesses() throws InterruptedException {
        for (SkeinUpProcess p : processes) {
            p.close();
        }
    }

    @Test
    void historySurvivesSigkillAndTheSessionContinuesWithoutDuplicates() throws Exception {
        Path dataDir = Files.createTempDirectory("skein-crash");
        int httpPort = SkeinUpProcess.freePort();
        int kafkaPort = SkeinUpProcess.freePort();

        SkeinUpProcess first = skeinUp(dataDir, httpPort, kafkaPort);
        SkeinClient client = new SkeinClient(httpPort);
        first.awaitHealthy(Duration.ofSeconds(120));
        assertThat(client.postTurn("durable", "what is 12*7?", true)
                        .body()
                        .path("answer")
                        .asText())
                .contains("84");
        assertThat(client.postTurn("durable", "hello again", true).status()).isEqualTo(200);
        assertThat(client.postTurn("other", "what is 3*3?", true)
                        .body()
                        .path("answer")
                        .asText())
                .contains("9");
        JsonNode before = client.history("durable").body().path("messages");
        assertThat(before).hasSize(6);

        first.kill9(); // no shutdown hook runs, nothing is flushed or closed

        SkeinUpProcess second = skeinUp(dataDir, httpPort, kafkaPort).awaitHealthy(Duration.ofSeconds(120));
        // The unclean stop is found before Kafka Streams starts (UncleanStopRecovery), so Kafka
        // Streams never meets the stores it would fail as corrupted and rebalance over.
        String restartLog = Files.readString(second.log());
        assertThat(restartLog).contains("the local state of tasks [0_0, 0_1, 0_2, 0_3] is deleted");
        assertThat(restartLog).doesNotContain("no checkpoint after an unclean stop");
        JsonNode after = client.awaitHistory("durable", 6);
        assertThat(after).isEqualTo(before);
        assertThat(client.history("other").body().path("messages")).hasSize(4);

        SkeinClient.Response next = client.postTurn("durable", "what is 2+3?", true);
        assertThat(next.body().path("answer").asText()).contains("5");
        JsonNode history = client.history("durable").body().path("messages");
        assertThat(SkeinClient.roles(history))
                .containsExactly(
                        "user",
                        "assistant",
                        "tool",
                        "assistant",
                        "user",
                        "assistant",
                        "user",
                        "assistant",
                        "tool",
                        "assistant");
        assertThat(StreamSupport.stream(history.spliterator(), false)
                        .map(m -> m.path("sequence").asLong()))
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }

    /** With the demo agent, whatever this machine's environment says about OpenAI. */
    private SkeinUpProcess skeinUp(Path dataDir, int httpPort, int kafkaPort) throws IOException {
        SkeinUpProcess process = SkeinUpProcess.up(dataDir)
                .port(httpPort)
                .embeddedKafkaPort(kafkaPort)
                .start();
        processes.add(process);
        return process;
    }
}
