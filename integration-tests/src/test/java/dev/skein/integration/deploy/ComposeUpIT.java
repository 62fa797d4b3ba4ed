package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * Where Docker runs: {@code docker compose up} of compose.yaml (the image built from the
 * Dockerfile), then the README's first conversation through core-1. Skipped where there is no
 * Docker engine (the machines this was written on have only the client).
 */
@Tag("deploy")
class ComposeUpIT {

    @Test
    void theFirstConversationRunsThroughCompose() throws Exception {
        Assumptions.assumeTrue(
                DockerClientFactory.instance().isDockerAvailable(),
                "no Docker engine here: compose.yaml was validated against the Compose Specification"
                        + " (ComposeFileIT) but not brought up");
        try (ComposeContainer compose = new ComposeContainer(ComposeFile.path().toFile())
                .withBuild(true)
                .withExposedService(
                        "core-1",
                        8080,
                        Wait.forHttp("/health").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(10)))) {
            compose.start();
            String base =
                    "http://" + compose.getServiceHost("core-1", 8080) + ":" + compose.getServicePort("core-1", 8080);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> answer = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/sessions/my-first-session/turns?wait=true"))
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"what is 12*7?\"}"))
                            .timeout(Duration.ofSeconds(60))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("84");
            HttpResponse<String> history = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/sessions/my-first-session/history"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(history.body()).contains("what is 12*7?", "84");
        }
    }
}
