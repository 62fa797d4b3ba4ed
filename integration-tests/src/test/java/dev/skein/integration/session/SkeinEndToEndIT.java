package dev.skein.integration.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A whole Skein node (topology, agent runner, worker, ingress) on a real broker, used over HTTP and WebSocket. */
@Tag("session")
class SkeinEndToEndIT {

    private static SkeinNode node;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config("e2e", Map.of());
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aToolTurnAnswersAndTheHistoryShowsFourMessagesInOrder() {
        SkeinClient.Response response = client.postTurn("arith", "what is 12*7?", true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body().path("status").asText()).isEqualTo("COMPLETED");
        assertThat(response.body().path("answer").asText()).contains("84");

        JsonNode messages = client.history("arith").body().path("messages");
        assertThat(messages).hasSize(4);
        assertThat(SkeinClient.roles(messages)).containsExactly("user", "assistant", "tool", "assistant");
        assertThat(messages.get(0).path("content").asText()).isEqualTo("what is 12*7?");
        assertThat(messages.get(1).path("toolCalls").get(0).path("name").asText())
                .isEqualTo("calculator");
        assertThat(messages.get(2).path("content").asText()).isEqualTo("84");
        assertThat(messages.get(2).path("worker").asText()).isNotBlank();
        assertThat(messages.get(2).path("toolCallId").asText())
                .isEqualTo(messages.get(1).path("toolCalls").get(0).path("id").asText());
        assertThat(messages.get(3).path("content").asText()).contains("84");
    }

    @Test
    void theWebSocketShowsTheTurnProgressAndTheAnswer() throws Exception {
        try (SkeinClient.Stream stream = client.stream("ws-session")) {
            assertThat(stream.next(Duration.ofSeconds(10)).path("type").asText())
                    .isEqualTo("subscribed");
            stream.send("{\"message\":\"what is 6*7?\"}");
            List<JsonNode> frames = new ArrayList<>();
            JsonNode frame;
            while ((frame = stream.next(Duration.ofSeconds(30))) != null) {
                frames.add(frame);
                if ("completed".equals(frame.path("type").asText())) {
                    break;
                }
            }
            assertThat(frames)
                    .extracting(f -> f.path("type").asText())
                    .startsWith("accepted")
                    .endsWith("completed");
            assertThat(frames)
                    .extracting(f -> f.path("kind").asText())
                    .contains("TOOL_CALL", "TOOL_STARTED", "TOOL_FINISHED", "TEXT");
            assertThat(frames.getLast().path("answer").asText()).contains("42");
            String turnId = frames.getFirst().path("turnId").asText();
            assertThat(frames.getLast().path("turnId").asText()).isEqualTo(turnId);
        }
    }

    @Test
    void concurrentTurnsToManySessionsAndQuickTurnsToOneAreEachAnsweredOnceInOrder() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<SkeinClient.Response>> many = IntStream.range(0, 10)
                    .mapToObj(i -> CompletableFuture.supplyAsync(
                            () -> client.postTurn("many-" + i, "what is " + i + "+" + i + "?", true), pool))
                    .toList();
            List<CompletableFuture<SkeinClient.Response>> quick = IntStream.range(0, 3)
                    .mapToObj(i -> client.postTurn("quick", "hello number " + i, false))
                    .map(CompletableFuture::completedFuture)
                    .toList();

            for (int i = 0; i < 10; i++) {
                SkeinClient.Response r = many.get(i).join();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().path("answer").asText()).contains(String.valueOf(i + i));
                assertThat(SkeinClient.roles(client.history("many-" + i).body().path("messages")))
                        .containsExactly("user", "assistant", "tool", "assistant");
            }
            assertThat(quick).allSatisfy(f -> assertThat(f.join().status()).isEqualTo(202));
        }
        JsonNode quickHistory = client.awaitHistory("quick", 6);
        assertThat(SkeinClient.roles(quickHistory))
                .containsExactly("user", "assistant", "user", "assistant", "user", "assistant");
        assertThat(StreamSupport.stream(quickHistory.spliterator(), false)
                        .filter(m -> m.path("role").asText().equals("user"))
                        .map(m -> m.path("content").asText()))
                .containsExactly("hello number 0", "hello number 1", "hello number 2");
        assertThat(StreamSupport.stream(quickHistory.spliterator(), false)
                        .map(m -> m.path("sequence").asLong()))
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void badRequestsGetAClearErrorAndNothingIsSubmitted() {
        SkeinClient.Response malformed = client.postRaw("bad", "{not json");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().path("error").asText()).containsIgnoringCase("json");

        SkeinClient.Response missing = client.postRaw("bad", "{}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.body().path("error").asText()).contains("message");

        SkeinClient.Response invalidId = client.postTurn("no*such*id", "hello", false);
        assertThat(invalidId.status()).isEqualTo(400);
        assertThat(invalidId.body().path("error").asText()).contains("session id");

        SkeinClient.Response tooBig = client.postTurn("bad", "x".repeat(40_000), false);
        assertThat(tooBig.status()).isEqualTo(413);

        assertThat(client.history("bad").status()).isEqualTo(404);
    }

    @Test
    void healthReportsTheTopologyRunning() {
        SkeinClient.Response health = client.health();
        assertThat(health.status()).as(health.body().toString()).isEqualTo(200);
        assertThat(health.body().path("status").asText()).isEqualTo("UP");
    }
}
