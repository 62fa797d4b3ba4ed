package dev.skein.integration.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Agent A (triage) hands the session to agent B (demo); B answers, using a tool; the history shows both. */
@Tag("adapters")
class HandoffIT {

    @Test
    void triageHandsOffToTheDemoAgentWhichAnswersAndKeepsTheSession() throws Exception {
        String prefix = KafkaFixture.uniqueName("handoff") + ".";
        SkeinConfig config = SkeinConfig.load(
                Optional.empty(),
                Map.of(
                        "skein.kafka.bootstrap-servers",
                        KafkaFixture.bootstrapServers(),
                        "skein.data-dir",
                        Files.createTempDirectory("skein-handoff").toString(),
                        "skein.topics.prefix",
                        prefix,
                        "skein.agents.definitions",
                        Map.of(
                                "demo", Map.of("kind", "demo"),
                                "triage", Map.of("kind", "triage", "handoffs", List.of("demo"))),
                        "skein.session.default-agent",
                        "triage",
                        "skein.http.port",
                        0),
                Map.of());
        try (SkeinNode node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false)) {
            SkeinClient client = new SkeinClient(node.httpPort().orElseThrow());

            SkeinClient.Response first = client.postTurn("handed", "what is 12*7?", true);
            assertThat(first.body().path("status").asText())
                    .as(first.body().toString())
                    .isEqualTo("COMPLETED");
            assertThat(first.body().path("answer").asText()).contains("84");
            assertThat(first.body().path("agent").asText()).isEqualTo("demo");

            JsonNode messages = client.history("handed").body().path("messages");
            assertThat(StreamSupport.stream(messages.spliterator(), false)
                            .map(m -> m.path("role").asText() + ":"
                                    + m.path("agent").asText()))
                    .containsExactly(
                            "user:triage",
                            "assistant:triage",
                            "tool:triage",
                            "assistant:demo",
                            "tool:demo",
                            "assistant:demo");
            assertThat(messages.get(1).path("toolCalls").get(0).path("name").asText())
                    .isEqualTo("transfer_to_demo");
            assertThat(messages.get(2).path("content").asText()).contains("Transferred to agent 'demo'");

            // The session stays with the agent it was handed to.
            SkeinClient.Response second = client.postTurn("handed", "hello again", true);
            assertThat(second.body().path("agent").asText()).isEqualTo("demo");
        }
    }
}
