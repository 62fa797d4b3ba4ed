package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TenantQuotas.Limits;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tenant quotas at a real ingress: over a quota a turn gets 429 with Retry-After and a message
 * naming the quota, and nothing is written; other tenants are served meanwhile; a completion
 * frees the place. The counts are {@link TenantCounts}, the logic behind the Kafka-fed load.
 */
class QuotasTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final RecordingGateway gateway = new RecordingGateway();
    private final TenantCounts counts = new TenantCounts(Duration.ofMinutes(3));
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private SkeinIngress ingress;
    private int port;

    @BeforeEach
    void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        TenantQuotas quotas = new TenantQuotas(
                Limits.NONE,
                Map.of(
                        "rate", new Limits(3, 0, 0, 0),
                        "busy", new Limits(0, 2, 1, 0),
                        "viewer", new Limits(0, 0, 0, 1)));
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder().build(),
                        gateway,
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of()))
                .sessions(ClusterReads.single(new FakeHistory()))
                .metrics(metrics)
                .admission(new Admission(quotas, counts))
                .build();
        port = ingress.start();
    }

    @AfterEach
    void stop() {
        ingress.close();
    }

    @Test
    void aTenantOverItsTurnRateGets429WhileAnotherIsServed() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(post("rate", "s" + i).statusCode()).isEqualTo(202);
        }
        HttpResponse<String> refused = post("rate", "s9");
        HttpResponse<String> other = post("free", "s9");

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After"))
                .hasValueSatisfying(s -> assertThat(Integer.parseInt(s)).isBetween(1, 60));
        assertThat(new JsonObject(refused.body()).getString("error"))
                .contains("tenant rate is at its quota of 3 turns per minute")
                .contains("turns-per-minute");
        assertThat(other.statusCode()).isEqualTo(202);
        assertThat(gateway.turns).extracting(t -> t.getTenant()).containsExactly("rate", "rate", "rate", "free");
        assertThat(metrics.scrape())
                .contains("skein_tenant_quota_refusals_total{quota=\"turns-per-minute\",tenant=\"rate\"} 1.0");
    }

    @Test
    void activeAndQueuedTurnsAreLimitedUntilACompletionFreesAPlace() throws Exception {
        assertThat(post("busy", "a").statusCode()).isEqualTo(202);
        assertThat(post("busy", "b").statusCode()).isEqualTo(202);
        HttpResponse<String> third = post("busy", "c");
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(new JsonObject(third.body()).getString("error")).contains("active-turns");
        // A turn behind a running one is queued, not active: the queued quota applies.
        assertThat(post("busy", "a").statusCode()).isEqualTo(202);
        HttpResponse<String> queuedTooMany = post("busy", "b");
        assertThat(queuedTooMany.statusCode()).isEqualTo(429);
        assertThat(new JsonObject(queuedTooMany.body()).getString("error")).contains("queued-turns");

        counts.completed(gateway.turns.get(1).getTurnId()); // b's turn completes: one active place frees up

        assertThat(post("busy", "c").statusCode()).isEqualTo(202);
        assertThat(gateway.turns).hasSize(4);
    }

    @Test
    void aTurnOverQuotaOnAWebSocketGetsAnErrorFrameNamingTheQuota() throws Exception {
        for (int i = 0; i < 3; i++) {
            post("rate", "w" + i);
        }
        LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocket ws = open("free", "w", frames).join();
        ws.sendText("{\"message\":\"hi\"}", true).join();
        assertThat(frames.poll(5, TimeUnit.SECONDS)).contains("subscribed");
        assertThat(frames.poll(5, TimeUnit.SECONDS)).contains("accepted");
        ws.abort();

        LinkedBlockingQueue<String> limited = new LinkedBlockingQueue<>();
        WebSocket rate = open("rate", "w", limited).join();
        rate.sendText("{\"message\":\"hi\"}", true).join();
        assertThat(limited.poll(5, TimeUnit.SECONDS)).contains("subscribed");
        JsonObject error = new JsonObject(limited.poll(5, TimeUnit.SECONDS));
        assertThat(error.getString("type")).isEqualTo("error");
        assertThat(error.getString("quota")).isEqualTo("turns-per-minute");
        assertThat(error.getLong("retryAfterSeconds")).isPositive();
        rate.abort();
    }

    @Test
    void aTenantAtItsStreamQuotaGets429UntilItsStreamCloses() throws Exception {
        LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocket first = open("viewer", "v1", frames).join();
        assertThat(frames.poll(5, TimeUnit.SECONDS)).contains("subscribed");

        assertThatThrownBy(
                        () -> open("viewer", "v2", new LinkedBlockingQueue<>()).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOfSatisfying(WebSocketHandshakeException.class, e -> {
                    assertThat(e.getResponse().statusCode()).isEqualTo(429);
                    assertThat(String.valueOf(e.getResponse().body())).contains("streams");
                });
        first.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        WebSocket again = null;
        while (again == null && System.nanoTime() < deadline) {
            try {
                again = open("viewer", "v3", new LinkedBlockingQueue<>()).join();
            } catch (CompletionException stillCounted) {
                Thread.sleep(50);
            }
        }
        assertThat(again).as("a stream opens again once the first has closed").isNotNull();
        again.abort();
    }

    private HttpResponse<String> post(String tenant, String session) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions/" + session + "/turns"))
                        .header("X-Skein-Tenant", tenant)
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"hi\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<WebSocket> open(String tenant, String session, LinkedBlockingQueue<String> frames) {
        return HTTP.newWebSocketBuilder()
                .header("X-Skein-Tenant", tenant)
                .buildAsync(
                        URI.create("ws://127.0.0.1:" + port + "/v1/sessions/" + session + "/stream"),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                frames.add(data.toString());
                                ws.request(1);
                                return null;
                            }
                        });
    }
}
