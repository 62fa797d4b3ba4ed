package dev.skein.ingress;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The probe endpoints of a process without the HTTP API ({@code skein agents}, {@code skein
 * worker}): {@code GET /health} and {@code GET /metrics}, as the ingress answers them, so that a
 * container orchestrator can probe every role and Prometheus can scrape every process. Nothing
 * else is served.
 */
public final class ProbeServer implements AutoCloseable {

    /** The paths served, for configuration checks (the manifests' probes must name one of them). */
    public static final String HEALTH_PATH = "/health";

    public static final String METRICS_PATH = "/metrics";

    private static final long TIMEOUT_SECONDS = 10;

    private final String host;
    private final int port;
    private final Supplier<Health> health;
    private final PrometheusMeterRegistry metrics;
    private Vertx vertx;
    private HttpServer server;

    public ProbeServer(String host, int port, Supplier<Health> health, PrometheusMeterRegistry metrics) {
        this.host = Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("probe port must be 0..65535, got " + port);
        }
        this.port = port;
        this.health = Objects.requireNonNull(health, "health");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Listens, or fails with a message that names the port (and the key that sets it). */
    public void start() throws Exception {
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        router.get(HEALTH_PATH).handler(new HealthEndpoint(vertx, health)::check);
        router.get(METRICS_PATH).handler(new MetricsEndpoint(vertx, metrics)::scrape);
        router.route().handler(ctx -> JsonReply.error(ctx, 404, "this process serves only /health and /metrics"));
        try {
            server = vertx.createHttpServer()
                    .requestHandler(router)
                    .listen(port, host)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException(
                    "cannot serve the probes on " + host + ":" + port + " (skein.http.probe-port): " + e.getMessage(),
                    e);
        }
    }

    /** The port listened on (the one chosen when configured as 0). */
    public int port() {
        return server == null ? port : server.actualPort();
    }

    @Override
    public void close() throws Exception {
        Vertx started = vertx;
        vertx = null;
        if (started != null) {
            started.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
