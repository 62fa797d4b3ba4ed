package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.DoubleTexting;
import dev.skein.events.TurnRequested;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Synchronous refusals at a real ingress: what the session would refuse (the reject policy on a
 * busy session, a full queue, an unknown agent) answers 4xx at once and writes nothing; what it
 * would take goes through. The session state is {@link TenantCounts}, the logic behind the
 * Kafka-fed load, fed here as the topics would feed it.
 */
class SessionAdmissionTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final RecordingGateway gateway = new RecordingGateway();
    private final TenantCounts counts = new TenantCounts(Duration.ofMinutes(3));
    private SkeinIngress ingress;
    private int port;

    private void start(DoubleTexting configured, int maxQueuedTurns) {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder().build(),
                        gateway,
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of()))
                .sessions(ClusterReads.single(new FakeHistory()))
                .admission(new Admission(
                        TenantQuotas.NONE,
                        counts,
                        new SessionAdmission(configured, maxQueuedTurns, Set.of("demo", "support"))))
                .build();
        port = ingress.start();
    }

    @AfterEach
    void stop() {
        if (ingress != null) {
            ingress.close();
        }
    }

    @Test
    void underRejectABusySessionAnswers409WithTheActiveTurnAndWritesNothing() throws Exception {
        start(DoubleTexting.REJECT, 16);
        assertThat(post("s1", "{\"message\":\"one\",\"turnId\":\"t1\"}").statusCode())
                .isEqualTo(202);

        HttpResponse<String> refused = post("s1", "{\"message\":\"two\",\"turnId\":\"t2\"}");

        assertThat(refused.statusCode()).isEqualTo(409);
        JsonObject body = new JsonObject(refused.body());
        assertThat(body.getString("code")).isEqualTo("session_busy");
        assertThat(body.getString("activeTurnId")).isEqualTo("t1");
        assertThat(body.getString("error")).contains("busy with turn t1").contains("reject");
        assertThat(gateway.turns).extracting(TurnRequested::getTurnId).containsExactly("t1");
        // Another session of the tenant is not busy.
        assertThat(post("s2", "{\"message\":\"two\"}").statusCode()).isEqualTo(202);
    }

    @Test
    void aTurnRefusedOnAWebSocketGetsAnErrorFrameWithItsCodeNotARetry() throws Exception {
        start(DoubleTexting.REJECT, 16);
        post("s1", "{\"message\":\"one\",\"turnId\":\"t1\"}");
        java.util.concurrent.LinkedBlockingQueue<String> frames = new java.util.concurrent.LinkedBlockingQueue<>();
        java.net.http.WebSocket ws = HTTP.newWebSocketBuilder()
                .buildAsync(
                        URI.create("ws://127.0.0.1:" + port + "/v1/sessions/s1/stream"),
                        new java.net.http.WebSocket.Listener() {
                            @Override
                            public java.util.concurrent.CompletionStage<?> onText(
                                    java.net.http.WebSocket socket, CharSequence data, boolean last) {
                                frames.add(data.toString());
                                socket.request(1);
                                return null;
                            }
                        })
                .join();
        ws.sendText("{\"message\":\"two\",\"turnId\":\"t2\"}", true).join();

        JsonObject error = null;
        for (String frame; (frame = frames.poll(5, java.util.concurrent.TimeUnit.SECONDS)) != null; ) {
            if (frame.contains("\"error\"")) {
                error = new JsonObject(frame);
                break;
            }
        }
        ws.abort();

        assertThat(error).isNotNull();
        assertThat(error.getString("code")).isEqualTo("session_busy");
        assertThat(error.getString("activeTurnId")).isEqualTo("t1");
        assertThat(error.getString("turnId")).isEqualTo("t2");
        assertThat(error.getString("error")).doesNotContain("retry");
        assertThat(gateway.turns).extracting(TurnRequested::getTurnId).containsExactly("t1");
    }

    @Test
    void aCompletionFreesTheSessionAndATurnsOwnPolicyOverridesTheDefault() throws Exception {
        start(DoubleTexting.REJECT, 16);
        post("s1", "{\"message\":\"one\",\"turnId\":\"t1\"}");

        assertThat(post("s1", "{\"message\":\"two\",\"doubleTexting\":\"interrupt\"}")
                        .statusCode())
                .isEqualTo(202);
        counts.completed("t1");
        counts.completed(gateway.turns.get(1).getTurnId());
        assertThat(post("s1", "{\"message\":\"three\"}").statusCode()).isEqualTo(202);
        assertThat(gateway.turns.get(1).getDoubleTexting()).isEqualTo(DoubleTexting.INTERRUPT);
    }

    @Test
    void aStickyPolicySeenOnTheTopicIsTheSessionsAtTheIngress() throws Exception {
        start(DoubleTexting.ENQUEUE, 16);
        post("s1", "{\"message\":\"one\",\"turnId\":\"t1\",\"doubleTexting\":\"reject\",\"sticky\":true}");
        assertThat(gateway.turns.getFirst().getStickyDoubleTexting()).isTrue();
        assertThat(post("s1", "{\"message\":\"two\"}").statusCode())
                .as("before the topic shows the sticky turn: the default, enqueue")
                .isEqualTo(202);

        counts.adopted("default", "s1", DoubleTexting.REJECT); // what KafkaTenantLoad does on reading t1

        HttpResponse<String> refused = post("s1", "{\"message\":\"three\"}");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(new JsonObject(refused.body()).getString("activeTurnId")).isEqualTo("t1");
    }

    @Test
    void aFullQueueAnswers409UnderEnqueueButNotUnderInterrupt() throws Exception {
        start(DoubleTexting.ENQUEUE, 1);
        assertThat(post("s1", "{\"message\":\"one\",\"turnId\":\"t1\"}").statusCode())
                .isEqualTo(202);
        assertThat(post("s1", "{\"message\":\"two\"}").statusCode()).isEqualTo(202);

        HttpResponse<String> full = post("s1", "{\"message\":\"three\"}");

        assertThat(full.statusCode()).isEqualTo(409);
        JsonObject body = new JsonObject(full.body());
        assertThat(body.getString("code")).isEqualTo("queue_full");
        assertThat(body.getString("activeTurnId")).isEqualTo("t1");
        assertThat(body.getString("error")).contains("limit 1");
        assertThat(post("s1", "{\"message\":\"three\",\"doubleTexting\":\"interrupt\"}")
                        .statusCode())
                .isEqualTo(202);
        assertThat(gateway.turns).hasSize(3);
    }

    @Test
    void anUnknownAgentAnswers400NamingTheAgentsAndAKnownOneIsAccepted() throws Exception {
        start(DoubleTexting.ENQUEUE, 16);

        HttpResponse<String> unknown = post("s1", "{\"message\":\"hi\",\"agent\":\"suport\"}");

        assertThat(unknown.statusCode()).isEqualTo(400);
        JsonObject body = new JsonObject(unknown.body());
        assertThat(body.getString("code")).isEqualTo("unknown_agent");
        assertThat(body.getString("error")).contains("'suport'").contains("demo, support");
        assertThat(gateway.turns).isEmpty();
        assertThat(post("s1", "{\"message\":\"hi\",\"agent\":\"support\"}").statusCode())
                .isEqualTo(202);
    }

    @Test
    void aBadPolicyOrAStickyWithoutOneIsA400() throws Exception {
        start(DoubleTexting.ENQUEUE, 16);

        HttpResponse<String> bad = post("s1", "{\"message\":\"hi\",\"doubleTexting\":\"later\"}");
        HttpResponse<String> stickyAlone = post("s1", "{\"message\":\"hi\",\"sticky\":true}");
        HttpResponse<String> stickyNotBoolean =
                post("s1", "{\"message\":\"hi\",\"doubleTexting\":\"reject\",\"sticky\":\"yes\"}");

        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("enqueue, reject, interrupt, rollback");
        assertThat(stickyAlone.statusCode()).isEqualTo(400);
        assertThat(stickyAlone.body()).contains("doubleTexting");
        assertThat(stickyNotBoolean.statusCode()).isEqualTo(400);
        assertThat(gateway.turns).isEmpty();
    }

    private HttpResponse<String> post(String session, String json) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions/" + session + "/turns"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
