package dev.skein.integration.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.Skein;
import dev.skein.app.process.ChildJvm;
import dev.skein.integration.fixtures.SkeinClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopProcesses() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void historySurvivesSigkillAndTheSessionContinuesWithoutDuplicates() throws Exception {
        Path dataDir = Files.createTempDirectory("skein-crash");
        int httpPort = freePort();
        int kafkaPort = freePort();

        Process first = skeinUp(dataDir, httpPort, kafkaPort);
        SkeinClient client = new SkeinClient(httpPort);
        awaitHealthy(client, first);
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

        first.destroyForcibly(); // SIGKILL: no shutdown hook runs, nothing is flushed or closed
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

        Process second = skeinUp(dataDir, httpPort, kafkaPort);
        awaitHealthy(client, second);
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

    private Process skeinUp(Path dataDir, int httpPort, int kafkaPort) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(
                        List.of(),
                        Skein.class.getName(),
                        List.of("up", "--data-dir", dataDir.toString(), "--port", String.valueOf(httpPort))))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dataDir.resolve("skein.log").toFile()));
        builder.environment().put("SKEIN_KAFKA_EMBEDDED_PORT", String.valueOf(kafkaPort));
        // The demo agent, whatever this machine's environment says about OpenAI.
        builder.environment().put("SKEIN_SESSION_DEFAULT_AGENT", "demo");
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static void awaitHealthy(SkeinClient client, Process process) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("skein up exited with " + process.exitValue() + "; see its log");
                    }
                    try {
                        return client.health().status() == 200;
                    } catch (RuntimeException notYetListening) {
                        return false;
                    }
                });
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
