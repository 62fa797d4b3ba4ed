package dev.skein.ingress;

import dev.skein.ingress.auth.ApiKeyStore;
import dev.skein.ingress.auth.Authenticator;
import dev.skein.ingress.auth.JwtVerifier;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Skein's HTTP and WebSocket ingress: owns a Vert.x instance and the verticle serving the API.
 *
 * <pre>
 * POST   /v1/sessions/{id}/turns[?wait=true|30s|2]     202 accepted, or 200 with the completion (504 if late)
 * GET    /v1/sessions[?status=&active-since=&limit=&cursor=]  200 the tenant's sessions, newest first, from every instance
 * GET    /v1/sessions/{id}/history                     200 messages, 404 unknown session
 * DELETE /v1/sessions/{id}/history                     202 after producing CLEAR_HISTORY
 * DELETE /v1/sessions/{id}                             202 after producing DELETE_SESSION
 * GET    /v1/sessions/{id}/turns/{turnId}/trace       200 the turn's decision trace, 404 none, 400 bad turn id
 * GET    /v1/sessions/{id}/stream                      WebSocket: deltas, completions; send turns
 * GET    /v1/tools                                     200 the tool catalog, sorted by name
 * GET    /v1/workers                                   200 the workers' latest heartbeats, sorted by id, each live or not
 * GET    /health                                       200 UP, 503 when a component is down
 * GET    /metrics                                      200 Prometheus text, when given a PrometheusMeterRegistry; else 404
 * GET    /registry/subjects, /schemas/ids/{id}, ...     the Confluent Schema Registry API of the embedded registry
 * POST   /registry/subjects/{subject}[/versions]       look up, register (see {@link RegistryEndpoint}); else 404
 * </pre>
 *
 * With authentication on ({@link IngressConfig#auth()}), every route but {@code /health} needs an API key or
 * a JWT, and the tenant comes from it; with it off, from {@link IngressConfig#tenantHeader()} (default
 * {@link IngressConfig#defaultTenant()}).
 * Every error is {@code {"error": "..."}}, except under {@code /registry}: Confluent's
 * {@code {"error_code": 40401, "message": "..."}}. The collaborators are not owned: closing the ingress
 * does not close them.
 */
public final class SkeinIngress implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SkeinIngress.class);
    private static final long START_TIMEOUT_SECONDS = 30;
    private static final long CLOSE_TIMEOUT_SECONDS = 10;

    private final IngressConfig config;
    private final TurnGateway gateway;
    private final SessionEvents events;
    private final ClusterReads sessions;
    private final Admission admission;
    private final Supplier<Health> health;
    private final CatalogReader catalog;
    private final MeterRegistry metrics;
    private final RegistryApi registry;
    private final ApiKeyStore keys;
    private A2aFeatures a2a = A2aFeatures.NONE;
    private dev.skein.memory.MemoryStore memory;
    private volatile IngressVerticle verticle;
    private Vertx vertx;

    /**
     * An ingress of these collaborators; the rest are optional: no tool catalog ({@code /v1/tools}
     * and {@code /v1/workers} list nothing), no metrics ({@code /metrics} answers 404), no registry,
     * no quotas, no API keys but the configuration's. Sessions are read with {@link Builder#history}
     * (one instance) or {@link Builder#sessions} (forwarded to the instance that holds them).
     */
    public static Builder builder(
            IngressConfig config, TurnGateway gateway, SessionEvents events, Supplier<Health> health) {
        return new Builder(config, gateway, events, health);
    }

    /** The optional collaborators of an ingress; {@link #build()} checks that sessions can be read. */
    public static final class Builder {
        private final IngressConfig config;
        private final TurnGateway gateway;
        private final SessionEvents events;
        private final Supplier<Health> health;
        private ClusterReads sessions;
        private CatalogReader catalog = CatalogReader.EMPTY;
        private MeterRegistry metrics;
        private RegistryApi registry = RegistryApi.none();
        private Admission admission = Admission.OPEN;
        private ApiKeyStore keys = ApiKeyStore.NONE;
        private A2aFeatures a2a = A2aFeatures.NONE;
        private dev.skein.memory.MemoryStore memory;

        private Builder(IngressConfig config, TurnGateway gateway, SessionEvents events, Supplier<Health> health) {
            this.config = config;
            this.gateway = gateway;
            this.events = events;
            this.health = health;
        }

        /** The long-term memory behind /v1/memory (owned by the caller); default none: 404. */
        public Builder memory(dev.skein.memory.MemoryStore store) {
            this.memory = store;
            return this;
        }

        /** The A2A server's push notifications and card signing; default none. */
        public Builder a2a(A2aFeatures features) {
            this.a2a = Objects.requireNonNull(features, "features");
            return this;
        }

        /** One instance: every session is read here. */
        public Builder history(HistoryReader history) {
            this.sessions = ClusterReads.single(Objects.requireNonNull(history, "history"));
            return this;
        }

        /** Where the sessions are read: here, or forwarded to the instance that holds them. */
        public Builder sessions(ClusterReads reads) {
            this.sessions = reads;
            return this;
        }

        public Builder catalog(CatalogReader reader) {
            this.catalog = reader;
            return this;
        }

        /**
         * Receives the Vert.x HTTP server's meters (requests, latency, connections); when it is a
         * {@link PrometheusMeterRegistry}, {@code GET /metrics} answers its scrape, so every meter
         * registered in it by anyone is exported.
         */
        public Builder metrics(MeterRegistry registry) {
            this.metrics = registry;
            return this;
        }

        /** What {@code /registry} serves: the embedded registry, or a 404 naming the external one. */
        public Builder registry(RegistryApi api) {
            this.registry = api;
            return this;
        }

        /** The tenants' quotas (429 over one), their load, and what a session refuses at once. */
        public Builder admission(Admission rules) {
            this.admission = rules;
            return this;
        }

        /** API keys beyond those of the configuration (the keys topic's); asked on the event loop, so from memory. */
        public Builder keys(ApiKeyStore store) {
            this.keys = store;
            return this;
        }

        public SkeinIngress build() {
            SkeinIngress ingress = new SkeinIngress(
                    config,
                    gateway,
                    events,
                    Objects.requireNonNull(sessions, "history or sessions"),
                    health,
                    catalog,
                    metrics,
                    registry,
                    admission,
                    keys);
            ingress.a2a = a2a;
            ingress.memory = memory;
            return ingress;
        }
    }

    private SkeinIngress(
            IngressConfig config,
            TurnGateway gateway,
            SessionEvents events,
            ClusterReads sessions,
            Supplier<Health> health,
            CatalogReader catalog,
            MeterRegistry metrics,
            RegistryApi registry,
            Admission admission,
            ApiKeyStore keys) {
        this.config = Objects.requireNonNull(config, "config");
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.events = Objects.requireNonNull(events, "events");
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.health = Objects.requireNonNull(health, "health");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.metrics = metrics;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.admission = Objects.requireNonNull(admission, "admission");
        this.keys = Objects.requireNonNull(keys, "keys");
    }

    /**
     * Starts listening and blocks until the server is bound; returns the bound port.
     *
     * @throws IllegalStateException when already started, or when the port cannot be bound (the
     *                               message names the address and the cause, e.g. already in use)
     * @throws IllegalArgumentException when the JWT keys cannot be read (the message names the setting)
     */
    public synchronized int start() {
        if (vertx != null) {
            throw new IllegalStateException("the ingress is already started");
        }
        vertx = metrics == null
                ? Vertx.vertx()
                : Vertx.builder()
                        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                        .withMetrics(new MicrometerMetricsFactory(metrics))
                        .build();
        try {
            JwtVerifier jwt = config.auth().enabled() && config.auth().jwt() != null
                    ? new JwtVerifier(vertx, config.auth().jwt())
                    : null;
            Authenticator authenticator = new Authenticator(
                    config.auth(), ApiKeyStore.of(config.auth().keys()).or(keys), jwt, config.defaultTenant());
            verticle = new IngressVerticle(
                            config,
                            new QuotaGateway(
                                    gateway, admission.quotas(), admission.load(), admission.sessions(), metrics),
                            events,
                            sessions,
                            health,
                            catalog,
                            metrics instanceof PrometheusMeterRegistry prometheus ? prometheus : null,
                            registry,
                            authenticator,
                            jwt)
                    .withA2a(a2a)
                    .withMemory(memory);
            vertx.deployVerticle(verticle).await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            close();
            throw new IllegalStateException(
                    "ingress did not start listening on " + config.host() + ":" + config.port() + " within "
                            + START_TIMEOUT_SECONDS + "s",
                    e);
        } catch (RuntimeException e) {
            close();
            throw e instanceof IllegalStateException || e instanceof IllegalArgumentException
                    ? e
                    : new IllegalStateException("ingress failed to start: " + e.getMessage(), e);
        }
        int port = verticle.actualPort();
        log.info(
                "ingress listening on {}://{}:{} (authentication {})",
                config.tls() == null ? "http" : "https",
                config.host(),
                port,
                config.auth().enabled() ? "on" : "off");
        return port;
    }

    /** The bound port (useful with {@code port 0}). */
    public int port() {
        IngressVerticle listening = verticle;
        if (listening == null) {
            throw new IllegalStateException("the ingress is not started");
        }
        return listening.actualPort();
    }

    /** Stops the server and Vert.x, waiting up to 10 s; closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (vertx == null) {
            return;
        }
        Vertx closing = vertx;
        vertx = null;
        try {
            closing.close().await(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            log.info("ingress stopped");
        } catch (TimeoutException e) {
            log.warn("ingress did not stop within {}s; continuing shutdown", CLOSE_TIMEOUT_SECONDS, e);
        }
    }
}
