package dev.skein.ingress;

import dev.skein.events.CommandKind;
import dev.skein.ingress.auth.Authenticator;
import dev.skein.ingress.auth.JwtVerifier;
import dev.skein.ingress.auth.Permission;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP and WebSocket API of Skein under {@code /v1}; its lifecycle is {@link SkeinIngress}'s.
 * Every route is declared here, in one block; the handlers live in one class per feature
 * ({@link TurnEndpoint}, {@link SessionCommandEndpoint}, {@link HistoryEndpoint},
 * {@link StreamEndpoint}, {@link SseEndpoint}, {@link CatalogEndpoint}, {@link HealthEndpoint}, {@link MetricsEndpoint},
 * and {@link RegistryEndpoint}, the Confluent Schema Registry API under {@code /registry}), built in {@link #start()} because they answer on this verticle's context. In front of the router:
 * {@link ProtocolGuard} (what the HTTP decoder or the router would answer without JSON) and
 * {@link RequestHeaderDeadlines} (slow or absent request heads). In front of every route but
 * {@code /health}: {@link AuthGuard}, which authenticates the caller and checks its roles.
 */
final class IngressVerticle extends VerticleBase {

    private static final Logger log = LoggerFactory.getLogger(IngressVerticle.class);
    private static final String READING_BODY = "skein.reading-body";

    private final IngressConfig config;
    private final QuotaGateway gateway;
    private McpNotifications mcpNotifications;
    private final SessionEvents events;
    private final ClusterReads sessions;
    private Forwarder forwarder;
    private final Supplier<Health> healthCheck;
    private final CatalogReader catalogReader;
    private final PrometheusMeterRegistry prometheus;
    private final RegistryApi registryApi;
    private final Authenticator authenticator;
    private final JwtVerifier jwt;
    private volatile HttpServer server;
    private A2aFeatures a2aFeatures = A2aFeatures.NONE;
    private dev.skein.memory.MemoryStore memoryStore;

    /**
     * @param prometheus the registry {@code /metrics} scrapes; null when this instance exports none
     * @param jwt        the token verifier inside {@code authenticator}, whose JWKS URL this verticle
     *                   refreshes; null when tokens are not accepted
     */
    IngressVerticle(
            IngressConfig config,
            QuotaGateway gateway,
            SessionEvents events,
            ClusterReads sessions,
            Supplier<Health> health,
            CatalogReader catalog,
            PrometheusMeterRegistry prometheus,
            RegistryApi registry,
            Authenticator authenticator,
            JwtVerifier jwt) {
        this.config = config;
        this.gateway = gateway;
        this.events = events;
        this.sessions = sessions;
        this.healthCheck = health;
        this.catalogReader = catalog;
        this.prometheus = prometheus;
        this.registryApi = registry;
        this.authenticator = authenticator;
        this.jwt = jwt;
    }

    /** The long-term memory behind {@code /v1/memory}; none (404) by default. Before deployment. */
    IngressVerticle withMemory(dev.skein.memory.MemoryStore store) {
        this.memoryStore = store;
        return this;
    }

    /** The A2A server's optional parts (push notifications, card signing); before deployment. */
    IngressVerticle withA2a(A2aFeatures features) {
        this.a2aFeatures = java.util.Objects.requireNonNull(features, "features");
        return this;
    }

    /** Fails the deployment, with the address in the message, when the port cannot be bound. */
    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        // Only routes that read a body get the BodyHandler: it would consume a WebSocket upgrade.
        BodyHandler bodyHandler = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());
        // Marks the request so that a failure while its body is read (a bad chunk size, a
        // connection reset) is told apart from a failure of the handlers after it.
        Handler<RoutingContext> body = ctx -> {
            ctx.put(READING_BODY, Boolean.TRUE);
            bodyHandler.handle(ctx);
        };

        AuthGuard auth = new AuthGuard(config, authenticator);
        Handler<RoutingContext> reads = auth.require(Permission.READ_SESSION);
        Handler<RoutingContext> writes = auth.require(Permission.WRITE_SESSION);
        SessionGuard session = new SessionGuard();
        TurnEndpoint turns = new TurnEndpoint(config, gateway, events, context);
        ForwardSigner signer = new ForwardSigner(sessions.secret());
        Forwarding forwarding = new Forwarding(signer);
        forwarder = new Forwarder(
                vertx, signer, sessions.directory().self(), config.tenantHeader(), sessions.forwardTimeout());
        HistoryEndpoint history = new HistoryEndpoint(vertx, sessions.directory(), forwarder, sessions.standbyReads());
        HistoryEndpoint traces = new HistoryEndpoint(
                vertx, sessions.directory(), forwarder, sessions.standbyReads(), TraceEndpoint.TRACE);
        SessionListEndpoint listing = new SessionListEndpoint(vertx, sessions.directory(), forwarder, session);
        SessionCommandEndpoint commands = new SessionCommandEndpoint(gateway, context);
        StreamEndpoint stream = new StreamEndpoint(config, gateway, events, context, auth, gateway);
        SseEndpoint sse = new SseEndpoint(context, events, auth, gateway);
        CatalogEndpoint catalog = new CatalogEndpoint(catalogReader, config.workerTimeout(), config.access());
        McpEndpoint mcp =
                new McpEndpoint(new McpHistories(history, listing), config, gateway, events, catalogReader, context);
        mcpNotifications = new McpNotifications(
                context, catalogReader, gateway, auth, events.streamSettings().heartbeat());
        HealthEndpoint health = new HealthEndpoint(vertx, healthCheck);
        MetricsEndpoint metrics = new MetricsEndpoint(vertx, prometheus);
        RegistryEndpoint registry = new RegistryEndpoint(vertx, registryApi);

        RequestHeaderDeadlines deadlines = new RequestHeaderDeadlines(vertx, config.requestHeaderTimeout());

        // First on every request: the next request head's deadline starts when this response ends.
        router.route().handler(ctx -> {
            HttpConnection connection = ctx.request().connection();
            ctx.addEndHandler(ended -> deadlines.finished(connection));
            ctx.next();
        });
        // Every /v1 request is authenticated first, before its body is read; the role checks
        // come next, so a refused request is never parsed.
        router.route("/v1/*").handler(auth::authenticate);
        router.post("/v1/sessions/:id/turns")
                .handler(writes)
                .handler(body)
                .handler(session::resolve)
                .handler(turns::post);
        router.get("/v1/sessions").handler(reads).handler(forwarding::check).handler(listing::list);
        router.get("/v1/sessions/:id/history")
                .handler(reads)
                .handler(forwarding::check)
                .handler(session::resolve)
                .handler(history::get);
        router.get("/v1/sessions/:id/turns/:turnId/trace")
                .handler(reads)
                .handler(forwarding::check)
                .handler(session::resolve)
                .handler(TraceEndpoint::checkTurnId)
                .handler(traces::get);
        router.delete("/v1/sessions/:id/history")
                .handler(writes)
                .handler(session::resolve)
                .handler(commands.sending(CommandKind.CLEAR_HISTORY));
        router.delete("/v1/sessions/:id")
                .handler(writes)
                .handler(session::resolve)
                .handler(commands.sending(CommandKind.DELETE_SESSION));
        router.get("/v1/sessions/:id/stream")
                .handler(reads)
                .handler(session::resolve)
                .handler(stream::upgrade);
        router.get("/v1/sessions/:id/events")
                .handler(reads)
                .handler(session::resolve)
                .handler(sse::session);
        router.get("/v1/sessions/:id/turns/:turnId/events")
                .handler(reads)
                .handler(session::resolve)
                .handler(sse::turn);
        router.post("/v1/sessions/:id/turns/:turnId/cancel")
                .handler(writes)
                .handler(body)
                .handler(session::resolve)
                .handler(commands.sending(CommandKind.CANCEL_TURN));
        router.post("/v1/sessions/:id/tool-calls/:callId/approve")
                .handler(writes)
                .handler(body)
                .handler(session::resolve)
                .handler(commands.sending(CommandKind.APPROVE_TOOL_CALL));
        router.post("/v1/sessions/:id/tool-calls/:callId/deny")
                .handler(writes)
                .handler(body)
                .handler(session::resolve)
                .handler(commands.sending(CommandKind.DENY_TOOL_CALL));
        MemoryEndpoint memory = new MemoryEndpoint(vertx, memoryStore);
        router.get("/v1/memory").handler(reads).handler(memory::list);
        router.delete("/v1/memory").handler(writes).handler(memory::erase);
        router.delete("/v1/memory/:id").handler(writes).handler(memory::deleteOne);
        router.get("/v1/tools").handler(auth.require(Permission.LIST_TOOLS)).handler(catalog::tools);
        router.get("/v1/workers").handler(auth.require(Permission.LIST_WORKERS)).handler(catalog::workers);
        // Open: liveness and readiness probes carry no credential, and the answer names no tenant.
        // MCP over Streamable HTTP, authenticated like /v1; a call runs turns, so it needs WRITE_SESSION.
        router.route("/mcp").handler(auth::authenticate).handler(writes).handler(McpEndpoint::checkProtocolVersion);
        router.post("/mcp").handler(body).handler(mcp::post);
        router.get("/mcp").handler(mcpNotifications::get);
        router.delete("/mcp").handler(mcp::delete);
        router.get("/health").handler(health::check);
        router.get("/metrics")
                .handler(auth::authenticate)
                .handler(auth.require(Permission.SCRAPE_METRICS))
                .handler(metrics::scrape);
        // The registry's routes answer in Confluent's error shape, which its clients parse.
        String r = RegistryEndpoint.PREFIX;
        router.route(r + "/*").handler(auth::authenticate).handler(auth.require(Permission.READ_SCHEMAS));
        // Before the registry's own guard: a caller who may not register learns that, not whether a registry is served.
        router.post(r + "/subjects/:subject/versions").handler(auth.require(Permission.REGISTER_SCHEMAS));
        router.route(r + "/*").handler(registry::guard).failureHandler(registry::failure);
        router.get(r).handler(registry::root);
        router.get(r + "/subjects").handler(registry::subjects);
        router.get(r + "/subjects/:subject/versions").handler(registry::versions);
        router.get(r + "/subjects/:subject/versions/:version").handler(registry::version);
        router.get(r + "/subjects/:subject/versions/:version/schema").handler(registry::versionSchema);
        router.post(r + "/subjects/:subject/versions").handler(body).handler(registry::register);
        router.post(r + "/subjects/:subject").handler(body).handler(registry::lookUp);
        router.get(r + "/schemas/ids/:id").handler(registry::schemaById);
        router.get(r + "/schemas/ids/:id/schema").handler(registry::schemaTextById);
        router.get(r + "/schemas/ids/:id/versions").handler(registry::subjectsOfId);
        router.get(r + "/schemas/types").handler(registry::types);
        router.get(r + "/config").handler(registry::config);
        router.get(r + "/config/:subject").handler(registry::config);
        if (config.a2a().enabled()) {
            new A2aRoutes(
                            config,
                            vertx,
                            context,
                            gateway,
                            events,
                            sessions.directory(),
                            () -> forwarder,
                            listing,
                            catalogReader,
                            authenticator.enabled(),
                            a2aFeatures)
                    .mount(router, auth, body);
        }
        // The web UI's files are public; what it shows comes from the authenticated routes above.
        UiRoutes.mount(router);
        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> {
            if (RegistryEndpoint.isUnder(ctx.request().path())) {
                registry.noRoute(ctx, 404);
            } else {
                JsonReply.error(
                        ctx,
                        404,
                        "no route " + ctx.request().method() + " "
                                + ctx.request().path()
                                + "; see /v1/sessions, /v1/sessions/{id}/turns, /history, /stream, /events, /turns/{turnId}/events, /turns/{turnId}/trace, /turns/{turnId}/cancel,"
                                + " /tool-calls/{callId}/approve and /deny, /v1/tools, /v1/workers, /health,"
                                + " /metrics, /registry, /ui/"
                                + (config.a2a().enabled()
                                        ? " and /a2a/{agent} (A2A 1.0: /.well-known/agent-card.json)"
                                        : ""));
            }
        });
        router.errorHandler(405, ctx -> {
            if (RegistryEndpoint.isUnder(ctx.request().path())) {
                registry.noRoute(ctx, 405);
            } else {
                JsonReply.error(
                        ctx,
                        405,
                        "method " + ctx.request().method() + " is not allowed on "
                                + ctx.request().path());
            }
        });

        // HTTP/1.1 only: the h2c upgrade answered a bad HTTP2-Settings header with an empty 400,
        // and no client of the API needs cleartext HTTP/2.
        HttpServerOptions options = new HttpServerOptions()
                .setHttp2ClearTextEnabled(false)
                .setMaxInitialLineLength(ProtocolGuard.MAX_REQUEST_LINE_BYTES)
                .setMaxHeaderSize(ProtocolGuard.MAX_HEADER_BYTES)
                .setMaxWebSocketMessageSize(config.maxBodyBytes())
                .setMaxWebSocketFrameSize(config.maxBodyBytes())
                .setIdleTimeout(
                        (int) Math.min(Integer.MAX_VALUE, config.idleTimeout().toMillis()))
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        if (config.tls() != null) {
            for (var file :
                    java.util.List.of(config.tls().certPath(), config.tls().keyPath())) {
                if (!Files.isReadable(file)) {
                    return Future.failedFuture(new IllegalStateException("ingress cannot serve HTTPS: " + file
                            + " is not a readable file (skein.http.tls.cert-path and key-path name PEM files)"));
                }
            }
            options.setSsl(true)
                    .setKeyCertOptions(new PemKeyCertOptions()
                            .setCertPath(config.tls().certPath().toString())
                            .setKeyPath(config.tls().keyPath().toString()));
        }
        if (jwt != null && jwt.settings().jwksUrl() != null) {
            // Keys rotate: fetch them again now and then, off the event loop.
            vertx.setPeriodic(
                    jwt.settings().jwksRefresh().toMillis(),
                    id -> vertx.executeBlocking(
                            () -> {
                                jwt.refresh();
                                return null;
                            },
                            false));
        }
        return vertx.createHttpServer(options)
                .connectionHandler(deadlines::opened)
                .invalidRequestHandler(ProtocolGuard::refuseUndecodable)
                .requestHandler(request -> {
                    deadlines.started(request);
                    if (ProtocolGuard.admits(request)) {
                        router.handle(request);
                    } else {
                        deadlines.finished(request.connection());
                    }
                })
                .listen(config.port(), config.host())
                .onSuccess(listening -> server = listening)
                .recover(e -> Future.failedFuture(new IllegalStateException(
                        "ingress cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage()
                                + " (set skein.http.port, --port or SKEIN_HTTP_PORT to a free port, or 0 for any)",
                        e)));
    }

    @Override
    public Future<?> stop() {
        server = null;
        if (mcpNotifications != null) {
            mcpNotifications.close();
        }
        return forwarder == null ? Future.succeededFuture() : forwarder.close();
    }

    int actualPort() {
        HttpServer listening = server;
        if (listening == null) {
            throw new IllegalStateException("the ingress is not listening");
        }
        return listening.actualPort();
    }

    /** Failures of any route: refusals thrown while parsing, oversized bodies, and bugs. */
    private void failure(RoutingContext ctx) {
        Throwable cause = ctx.failure();
        if (cause instanceof HttpFailure refused) {
            JsonReply.error(ctx, refused.status(), refused.getMessage());
        } else if (ctx.statusCode() == 413) {
            JsonReply.error(
                    ctx,
                    413,
                    "request body exceeds " + config.maxBodyBytes() + " bytes; messages are limited to "
                            + config.maxMessageBytes() + " bytes");
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            // Refusals of the router itself (vertx-web fails with a 4xx and, at times, a message).
            JsonReply.error(
                    ctx,
                    ctx.statusCode(),
                    cause == null || cause.getMessage() == null
                            ? "bad request: " + ctx.response().getStatusMessage()
                            : cause.getMessage());
        } else if (cause != null
                && Boolean.TRUE.equals(ctx.get(READING_BODY))
                && !ctx.request().isEnded()) {
            log.debug(
                    "{} {}: the request body could not be read",
                    ctx.request().method(),
                    ctx.request().path(),
                    cause);
            JsonReply.error(
                    ctx,
                    400,
                    "malformed request body: " + cause.getMessage()
                            + "; send a Content-Length or valid chunked encoding");
            ctx.request().connection().close();
        } else {
            log.error("{} {} failed", ctx.request().method(), ctx.request().path(), cause);
            JsonReply.error(
                    ctx,
                    500,
                    "internal error while handling " + ctx.request().method() + " "
                            + ctx.request().path() + "; the server log has the details");
        }
    }
}
