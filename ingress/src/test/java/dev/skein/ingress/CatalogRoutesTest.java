package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ChatMessage;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.ingress.TestDoubles.FakeCatalog;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code /v1/tools}, {@code /v1/workers} and {@code /metrics}, against an in-memory catalog. */
class CatalogRoutesTest {

    private static final long MIB = 1024L * 1024;
    private static final Duration WORKER_TIMEOUT = Duration.ofSeconds(15);

    private static final FakeCatalog catalog = new FakeCatalog();
    private static PrometheusMeterRegistry registry;
    private static SkeinIngress ingress;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        // Avro builders resolve record defaults by class name, which Avro 1.12 allows only for
        // trusted packages; AvroSerde registers Skein's, as it does in production.
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        IngressConfig config =
                TestIngressConfig.builder().workerTimeout(WORKER_TIMEOUT).build();
        ingress = SkeinIngress.builder(
                        config, new RecordingGateway(), new InMemorySessionEvents(), () -> new Health(Map.of()))
                .history(new FakeHistory())
                .catalog(catalog)
                .metrics(registry)
                .build();
        ingress.start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        http.close();
        ingress.close();
        registry.close();
    }

    @BeforeEach
    void reset() {
        catalog.tools = List.of();
        catalog.workers = List.of();
    }

    @Test
    void toolsAreListedByNameWithTheirSchemaAsJsonAndTheirNeeds() throws Exception {
        ToolDefinition render = tool(
                "render",
                "{\"type\":\"object\",\"properties\":{\"scene\":{\"type\":\"string\"}}}",
                resources(4, 1, 16 * 1024 * MIB, Map.of("licence", 1.0)));
        ToolDefinition echo = tool("echo", "{\"type\":\"object\"}", resources(0.5, 0, 512 * MIB, Map.of()));
        catalog.tools = List.of(render, echo);

        HttpResponse<String> response = get("/v1/tools");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonArray tools = new JsonObject(response.body()).getJsonArray("tools");
        assertThat(tools.stream().map(t -> ((JsonObject) t).getString("name"))).containsExactly("echo", "render");
        JsonObject rendered = tools.getJsonObject(1);
        assertThat(rendered.getString("description")).isEqualTo("the render tool");
        assertThat(rendered.getInteger("version")).isEqualTo(2);
        assertThat(rendered.getJsonObject("parameters")
                        .getJsonObject("properties")
                        .getJsonObject("scene")
                        .getString("type"))
                .isEqualTo("string");
        JsonObject needs = rendered.getJsonObject("resources");
        assertThat(needs.getDouble("cpus")).isEqualTo(4.0);
        assertThat(needs.getInteger("gpus")).isEqualTo(1);
        assertThat(needs.getLong("memoryBytes")).isEqualTo(16 * 1024 * MIB);
        assertThat(needs.getString("memory")).isEqualTo("16 GiB");
        assertThat(needs.getJsonObject("custom").getMap()).containsExactly(Map.entry("licence", 1.0));
        assertThat(rendered.getLong("timeoutMs")).isEqualTo(60_000L);
        JsonObject retry = rendered.getJsonObject("retry");
        assertThat(retry.getInteger("maxAttempts")).isEqualTo(3);
        assertThat(retry.getLong("initialBackoffMs")).isEqualTo(100L);
        assertThat(retry.getDouble("multiplier")).isEqualTo(2.0);
        assertThat(retry.getLong("maxBackoffMs")).isEqualTo(5_000L);
        assertThat(retry.getJsonArray("retryOn").getList()).containsExactly("timeout");
        assertThat(rendered.getBoolean("cacheable")).isTrue();
        assertThat(rendered.getBoolean("requiresApproval")).isFalse();
        assertThat(rendered.getLong("cacheTtlMs")).isEqualTo(30_000L);
        assertThat(rendered.getString("publisher")).isEqualTo("worker-1");
        assertThat(tools.getJsonObject(0).getJsonObject("resources").getString("memory"))
                .isEqualTo("512 MiB");
    }

    @Test
    void aSchemaThatIsNotJsonIsShownAsItsRawText() throws Exception {
        catalog.tools = List.of(tool("broken", "{not json", resources(1, 0, 512 * MIB, Map.of())));

        HttpResponse<String> response = get("/v1/tools");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(response.body())
                        .getJsonArray("tools")
                        .getJsonObject(0)
                        .getValue("parameters"))
                .isEqualTo("{not json");
    }

    @Test
    void workersAreListedByIdAndLiveOnlyWhenRecentAndNotStopping() throws Exception {
        long now = System.currentTimeMillis();
        WorkerHeartbeat fresh = worker("w-b", now - 1_000, false);
        WorkerHeartbeat silent = worker("w-a", now - WORKER_TIMEOUT.toMillis() - 5_000, false);
        WorkerHeartbeat stopping = worker("w-c", now - 1_000, true);
        catalog.workers = List.of(fresh, stopping, silent);

        HttpResponse<String> response = get("/v1/workers");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonArray workers = new JsonObject(response.body()).getJsonArray("workers");
        assertThat(workers.stream().map(w -> ((JsonObject) w).getString("id"))).containsExactly("w-a", "w-b", "w-c");
        assertThat(workers.stream().map(w -> ((JsonObject) w).getBoolean("live")))
                .containsExactly(false, true, false);
        JsonObject b = workers.getJsonObject(1);
        assertThat(b.getString("host")).isEqualTo("host-w-b");
        assertThat(b.getJsonArray("tiers").getList()).containsExactly("small", "gpu");
        assertThat(b.getJsonArray("tools").getList()).containsExactly("echo", "render");
        assertThat(b.getJsonObject("capabilities").getDouble("cpus")).isEqualTo(8.0);
        assertThat(b.getJsonObject("capabilities").getString("memory")).isEqualTo("1.5 GiB");
        assertThat(b.getJsonObject("inUse").getDouble("cpus")).isEqualTo(2.0);
        assertThat(b.getInteger("inFlight")).isEqualTo(2);
        assertThat(b.getLong("admitted")).isEqualTo(40L);
        assertThat(b.getLong("released")).isEqualTo(1L);
        assertThat(b.getString("startedAt"))
                .isEqualTo(Instant.ofEpochMilli(now - 3_600_000).toString());
        assertThat(b.getString("lastHeartbeat"))
                .isEqualTo(Instant.ofEpochMilli(now - 1_000).toString());
    }

    @Test
    void aWorkerThatDoesNotReportItsUseShowsNull() throws Exception {
        WorkerHeartbeat old = WorkerHeartbeat.newBuilder(worker("w-old", System.currentTimeMillis(), false))
                .setInUse(null)
                .build();
        catalog.workers = List.of(old);

        JsonObject shown = new JsonObject(get("/v1/workers").body())
                .getJsonArray("workers")
                .getJsonObject(0);

        assertThat(shown.containsKey("inUse")).isTrue();
        assertThat(shown.getValue("inUse")).isNull();
        assertThat(shown.getBoolean("live")).isTrue();
    }

    @Test
    void metricsAnswerThePrometheusScrapeIncludingTheHttpServersOwnMeters() throws Exception {
        registry.counter("skein.test.probe", "tier", "small").increment(3);
        assertThat(get("/v1/tools").statusCode()).isEqualTo(200);

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.body()).contains("skein_test_probe_total{tier=\"small\"} 3.0");
        assertThat(response.body())
                .as("Vert.x's HTTP server meters are bound to the registry")
                .contains("vertx_http_server_requests_total");
    }

    @Test
    void withoutARegistryMetricsAre404AndWithoutACatalogNothingIsListed() throws Exception {
        IngressConfig config = TestIngressConfig.builder().build();
        try (SkeinIngress bare = SkeinIngress.builder(
                        config, new RecordingGateway(), new InMemorySessionEvents(), () -> new Health(Map.of()))
                .history(new FakeHistory())
                .build()) {
            int port = bare.start();

            HttpResponse<String> metrics = get(port, "/metrics");
            HttpResponse<String> tools = get(port, "/v1/tools");
            HttpResponse<String> workers = get(port, "/v1/workers");

            assertThat(metrics.statusCode()).isEqualTo(404);
            assertThat(new JsonObject(metrics.body()).getString("error")).contains("no Prometheus metrics");
            assertThat(new JsonObject(tools.body()).getJsonArray("tools")).isEmpty();
            assertThat(new JsonObject(workers.body()).getJsonArray("workers")).isEmpty();
        }
    }

    @Test
    void workerTimeoutIsRequiredAndMustBePositive() {
        // Its default (15 s) is reference.conf's, checked by the app's SkeinConfigTest.
        assertThat(TestIngressConfig.builder()
                        .workerTimeout(Duration.ofSeconds(3))
                        .port(9)
                        .build()
                        .workerTimeout())
                .isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() ->
                        TestIngressConfig.builder().workerTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.session.worker-timeout");
        assertThatThrownBy(() -> IngressConfig.builder()
                        .host("127.0.0.1")
                        .port(0)
                        .maxMessageBytes(1)
                        .defaultTenant("t")
                        .waits(Duration.ofSeconds(1), Duration.ofSeconds(2))
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("skein.session.worker-timeout");
    }

    @Test
    void memoryIsShownInBinaryUnits() {
        assertThat(CatalogJson.humanBytes(0)).isEqualTo("0 B");
        assertThat(CatalogJson.humanBytes(1023)).isEqualTo("1023 B");
        assertThat(CatalogJson.humanBytes(1024)).isEqualTo("1 KiB");
        assertThat(CatalogJson.humanBytes(512 * MIB)).isEqualTo("512 MiB");
        assertThat(CatalogJson.humanBytes(1536 * MIB)).isEqualTo("1.5 GiB");
        assertThat(CatalogJson.humanBytes(64L * 1024 * 1024 * MIB)).isEqualTo("64 TiB");
    }

    private static ToolDefinition tool(String name, String schema, ResourceSpec needs) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription("the " + name + " tool")
                .setVersion(2)
                .setParametersSchema(schema)
                .setResources(needs)
                .setTimeoutMs(60_000)
                .setRetry(RetryPolicy.newBuilder()
                        .setMaxAttempts(3)
                        .setInitialBackoffMs(100)
                        .setMultiplier(2.0)
                        .setMaxBackoffMs(5_000)
                        .setRetryOn(List.of("timeout"))
                        .build())
                .setCacheable(true)
                .setRequiresApproval(false)
                .setCacheTtlMs(30_000)
                .setPublisher("worker-1")
                .build();
    }

    private static ResourceSpec resources(double cpus, int gpus, long memoryBytes, Map<String, Double> custom) {
        return ResourceSpec.newBuilder()
                .setCpus(cpus)
                .setGpus(gpus)
                .setMemoryBytes(memoryBytes)
                .setCustom(Map.copyOf(custom))
                .build();
    }

    private static WorkerHeartbeat worker(String id, long lastHeartbeatMs, boolean stopping) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("host-" + id)
                .setTiers(List.of("small", "gpu"))
                .setCapabilities(resources(8, 1, 1536 * MIB, Map.of()))
                .setTools(List.of("echo", "render"))
                .setInFlight(2)
                .setInUse(resources(2, 0, 1024 * MIB, Map.of()))
                .setAdmitted(40)
                .setReleased(1)
                .setStartedAtMs(lastHeartbeatMs + 1_000 - 3_600_000)
                .setTimestampMs(lastHeartbeatMs)
                .setStopping(stopping)
                .build();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return get(ingress.port(), path);
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
