package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The probes of a process without the API: /health follows its components, /metrics scrapes, nothing else is served. */
class ProbeServerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private PrometheusMeterRegistry registry;
    private ProbeServer probes;

    @BeforeEach
    void start() throws Exception {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("skein.test.probe").register(registry).increment();
        probes = new ProbeServer(
                "127.0.0.1",
                0,
                () -> new Health(Map.of(
                        "tool-worker",
                        running.get() ? Health.Component.up("RUNNING") : Health.Component.down("STOPPED"))),
                registry);
        probes.start();
    }

    @AfterEach
    void stop() throws Exception {
        probes.close();
        registry.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + probes.port() + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsUpWhileTheComponentsAreAndDownWhenOneIsNot() throws Exception {
        HttpResponse<String> up = get(ProbeServer.HEALTH_PATH);
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(up.body())
                        .getJsonObject("components")
                        .getJsonObject("tool-worker")
                        .getString("status"))
                .isEqualTo("UP");

        running.set(false);
        HttpResponse<String> down = get(ProbeServer.HEALTH_PATH);
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(new JsonObject(down.body()).getString("status")).isEqualTo("DOWN");
    }

    @Test
    void metricsAreTheProcesssRegistryAndNothingElseIsServed() throws Exception {
        HttpResponse<String> metrics = get(ProbeServer.METRICS_PATH);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("skein_test_probe_total 1.0");

        HttpResponse<String> other = get("/v1/sessions/s/history");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(other.body()).getString("error")).contains("only /health and /metrics");
    }

    @Test
    void aTakenPortIsAnErrorThatNamesTheKey() {
        ProbeServer second = new ProbeServer("127.0.0.1", probes.port(), () -> new Health(Map.of()), registry);
        assertThatThrownBy(second::start).hasMessageContaining("skein.http.probe-port");
        assertThatThrownBy(() -> new ProbeServer("127.0.0.1", 70000, () -> new Health(Map.of()), registry))
                .hasMessageContaining("0..65535");
    }
}
