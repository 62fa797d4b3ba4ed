package dev.skein.integration.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.AgentInvocation;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Double-texting on a whole node over HTTP: a turn sent while an agent is still thinking is
 * refused at once (reject), interrupts it (its agent call is told to stop, its partial history
 * kept and marked), or rolls it back (its messages removed, their sequences not reused); an
 * unknown agent is a 400. Every turn gets its one completion, the superseded ones naming the turn
 * that superseded them.
 */
@Tag("session")
class DoubleTextingIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ThinkingAgent thinker = new ThinkingAgent();
    private static SkeinNode node;
    private static SkeinClient client;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config("double-texting", Map.of());
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false, List.of(thinker));
        base = "http://127.0.0.1:" + node.httpPort().orElseThrow();
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aRejectIs409AndAnInterruptCancelsTheThinkingTurnAndStopsItsAgentCall() throws Exception {
        CompletableFuture<SkeinClient.Response> first = CompletableFuture.supplyAsync(
                () -> post("int", "{\"message\":\"ponder\",\"turnId\":\"t1\",\"agent\":\"thinker\"}", true));
        thinker.awaitStarted("t1");

        SkeinClient.Response refused =
                post("int", "{\"message\":\"hurry\",\"turnId\":\"t2\",\"doubleTexting\":\"reject\"}", false);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body().path("code").asText()).isEqualTo("session_busy");
        assertThat(refused.body().path("activeTurnId").asText()).isEqualTo("t1");

        SkeinClient.Response second = post(
                "int",
                "{\"message\":\"never mind\",\"turnId\":\"t3\",\"agent\":\"demo\",\"doubleTexting\":\"interrupt\"}",
                true);

        assertThat(second.status()).isEqualTo(200);
        assertThat(second.body().path("status").asText()).isEqualTo("COMPLETED");
        JsonNode cancelled = first.get(WAIT.toSeconds(), TimeUnit.SECONDS).body();
        assertThat(cancelled.path("status").asText()).isEqualTo("CANCELLED");
        assertThat(cancelled.path("supersededBy").asText()).isEqualTo("t3");
        assertThat(cancelled.path("rolledBack").asBoolean()).isFalse();
        thinker.awaitInterrupted("t1"); // the thinking agent's call is told to stop
        JsonNode messages = client.history("int").body().path("messages");
        assertThat(StreamSupport.stream(messages.spliterator(), false)
                        .map(m ->
                                m.path("turnId").asText() + " " + m.path("role").asText())
                        .toList())
                .containsExactly("t1 user", "t1 assistant", "t3 user", "t3 assistant");
        assertThat(messages.get(1).path("content").asText()).startsWith("[turn cancelled: interrupted by turn t3");
        // The rejected t2 never reached the session.
        assertThat(messages.toString()).doesNotContain("hurry");
    }

    @Test
    void aRollbackRemovesTheThinkingTurnAndTheSequencesGoOnAfterIt() throws Exception {
        assertThat(post("rb", "{\"message\":\"hello\",\"turnId\":\"r0\"}", true)
                        .body()
                        .path("status")
                        .asText())
                .isEqualTo("COMPLETED");
        CompletableFuture<SkeinClient.Response> thinking = CompletableFuture.supplyAsync(
                () -> post("rb", "{\"message\":\"ponder\",\"turnId\":\"r1\",\"agent\":\"thinker\"}", true));
        thinker.awaitStarted("r1");

        SkeinClient.Response replaced = post(
                "rb",
                "{\"message\":\"forget it\",\"turnId\":\"r2\",\"agent\":\"demo\",\"doubleTexting\":\"rollback\"}",
                true);

        assertThat(replaced.body().path("status").asText()).isEqualTo("COMPLETED");
        JsonNode rolledBack = thinking.get(WAIT.toSeconds(), TimeUnit.SECONDS).body();
        assertThat(rolledBack.path("status").asText()).isEqualTo("CANCELLED");
        assertThat(rolledBack.path("rolledBack").asBoolean()).isTrue();
        JsonNode messages = client.history("rb").body().path("messages");
        assertThat(StreamSupport.stream(messages.spliterator(), false)
                        .map(m -> m.path("turnId").asText() + "@"
                                + m.path("sequence").asLong())
                        .toList())
                .as("r1's user message held sequence 2: it is gone, and not reused")
                .containsExactly("r0@0", "r0@1", "r2@3", "r2@4");
    }

    @Test
    void aStickyRejectIsTheSessionsAndAnUnknownAgentIs400() throws Exception {
        SkeinClient.Response unknown = post("st", "{\"message\":\"hi\",\"agent\":\"nobody\"}", false);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().path("code").asText()).isEqualTo("unknown_agent");

        CompletableFuture<SkeinClient.Response> thinking = CompletableFuture.supplyAsync(() -> post(
                "st",
                "{\"message\":\"ponder\",\"turnId\":\"s1\",\"agent\":\"thinker\",\"doubleTexting\":\"reject\",\"sticky\":true}",
                true));
        thinker.awaitStarted("s1");

        SkeinClient.Response next = post("st", "{\"message\":\"and?\",\"turnId\":\"s2\"}", true);

        // 409 once the ingress has read the sticky turn from the topic; if this POST outran it, the
        // session, which is the authority, rejects the turn instead.
        if (next.status() == 409) {
            assertThat(next.body().path("activeTurnId").asText()).isEqualTo("s1");
        } else {
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body().path("status").asText()).isEqualTo("REJECTED");
        }
        client.send(HttpRequest.newBuilder(URI.create(base + "/v1/sessions/st/turns/s1/cancel"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(thinking.get(WAIT.toSeconds(), TimeUnit.SECONDS)
                        .body()
                        .path("status")
                        .asText())
                .isEqualTo("CANCELLED");
        thinker.awaitInterrupted("s1");
    }

    private static SkeinClient.Response post(String session, String body, boolean wait) {
        return client.send(HttpRequest.newBuilder(
                        URI.create(base + "/v1/sessions/" + session + "/turns" + (wait ? "?wait=60" : "")))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** An agent that thinks until it is told to stop, as a long model call. */
    private static final class ThinkingAgent implements AgentAdapter {
        final Set<String> started = ConcurrentHashMap.newKeySet();
        final Set<String> interrupted = ConcurrentHashMap.newKeySet();

        void awaitStarted(String turnId) {
            await().atMost(WAIT).until(() -> started.contains(turnId));
        }

        void awaitInterrupted(String turnId) {
            await().atMost(WAIT).until(() -> interrupted.contains(turnId));
        }

        @Override
        public String name() {
            return "thinker";
        }

        @Override
        public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws Exception {
            started.add(invocation.getTurnId());
            try {
                Thread.sleep(Duration.ofMinutes(5));
            } catch (InterruptedException e) {
                interrupted.add(invocation.getTurnId());
                throw e;
            }
            throw new IllegalStateException("never told to stop");
        }
    }
}
