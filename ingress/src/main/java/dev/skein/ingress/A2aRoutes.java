package dev.skein.ingress;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/**
 * The A2A 1.0 routes of every agent served: the cards are public; the JSON-RPC binding at
 * {@code /a2a/{agent}} and the HTTP+JSON binding under {@code /a2a/{agent}/rest} are authenticated
 * like {@code /v1}, and their operations check the caller's roles themselves (the JSON-RPC method
 * is in the body). Every HTTP+JSON path may carry the {@code /{tenant}} prefix of {@code a2a.proto}'s
 * additional bindings ({@link A2aTenancy}).
 */
final class A2aRoutes {

    /** The HTTP+JSON binding's base, then its optional tenant prefix. */
    private static final String REST = "/a2a/(?<agent>[^/]+)/rest(?:/(?<tenant>[^/:]+))?";

    private final A2aCards cards;
    private final A2aRpcEndpoint rpc;
    private final A2aRestEndpoint rest;
    private final Handler<RoutingContext> agent;

    A2aRoutes(
            IngressConfig config,
            Vertx vertx,
            Context context,
            QuotaGateway gateway,
            SessionEvents events,
            SessionDirectory directory,
            Supplier<Forwarder> forwarder,
            SessionListEndpoint listing,
            CatalogReader catalog,
            boolean authenticated,
            A2aFeatures features) {
        A2aSessionReads reads = new A2aSessionReads(vertx, directory, forwarder);
        A2aPushSettings pushSettings = features.push();
        A2aWebhooks webhooks = new A2aWebhooks(vertx, pushSettings);
        A2aPushConfigs push = new A2aPushConfigs(vertx, pushSettings, features.pushStore(), webhooks, events, reads);
        if (pushSettings.enabled()) {
            new A2aPushNotifier(vertx, features.pushStore(), webhooks, events, reads, directory)
                    .start(pushSettings.pollInterval().toMillis());
        }
        A2aService service = new A2aService(config, gateway, events, context, reads, push);
        A2aStream stream =
                new A2aStream(service, events, context, reads, config.maxWait().toMillis());
        A2aTaskList tasks = new A2aTaskList(service, reads, listing);
        this.cards = new A2aCards(
                config.a2a(), authenticated, pushSettings.enabled(), features.signer(), catalog, config.access());
        this.rpc = new A2aRpcEndpoint(service, stream, tasks, push, cards);
        this.rest = new A2aRestEndpoint(service, stream, tasks, push, cards);
        this.agent = A2aBinding.agentGuard(config.a2a());
    }

    void mount(Router router, AuthGuard auth, Handler<RoutingContext> body) {
        router.get("/.well-known/agent-card.json").handler(cards::wellKnown);
        router.get("/a2a/:agent/.well-known/agent-card.json").handler(agent).handler(cards::card);
        router.post("/a2a/:agent")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(body)
                .handler(rpc::post);
        // Regular expressions: the binding's paths hold a colon (message:send), which a path
        // pattern would read as a parameter.
        router.postWithRegex(REST + "/message:send")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(body)
                .handler(rest::send);
        router.postWithRegex(REST + "/message:stream")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(body)
                .handler(rest::streamMessage);
        router.getWithRegex(REST + "/tasks")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(rest::listTasks);
        router.getWithRegex(REST + "/tasks/(?<id>[^/:]+):subscribe")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(rest::subscribe);
        router.getWithRegex(REST + "/tasks/(?<id>[^/:]+)")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(rest::getTask);
        router.postWithRegex(REST + "/tasks/(?<id>[^/:]+):cancel")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(body)
                .handler(rest::cancelTask);
        router.getWithRegex(REST + "/extendedAgentCard")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(rest::extendedCard);
        String configs = REST + "/tasks/(?<taskId>[^/:]+)/pushNotificationConfigs";
        router.postWithRegex(configs)
                .handler(agent)
                .handler(auth::authenticate)
                .handler(body)
                .handler(rest::createPushConfig);
        router.getWithRegex(configs).handler(agent).handler(auth::authenticate).handler(rest::listPushConfigs);
        router.getWithRegex(configs + "/(?<id>[^/:]+)")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(rest::getPushConfig);
        router.deleteWithRegex(configs + "/(?<id>[^/:]+)")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(rest::deletePushConfig);
        router.routeWithRegex("/a2a/(?<agent>[^/]+)/rest(/.*)?")
                .handler(agent)
                .handler(auth::authenticate)
                .handler(rest::unsupported);
    }
}
