package dev.skein.ingress;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The A2A 1.0 agent cards (section 8): one per agent at {@code /a2a/{agent}/.well-known/agent-card.json},
 * and the default agent's at {@code /.well-known/agent-card.json}, whose skills name every agent
 * and where its card is. A card is public (a client reads it to learn how to authenticate): it
 * declares the bearer scheme when authentication is on, which the guard then enforces. With a
 * signing key ({@code skein.a2a.signing-key-path}) every card carries a JWS in {@code signatures}.
 */
final class A2aCards {

    static final String PROTOCOL_VERSION = "1.0";
    static final String SCHEME = "skeinBearer";

    private final A2aSettings settings;
    private final boolean authenticated;
    private final boolean pushNotifications;
    private final A2aCardSigner signer;
    private final CatalogReader catalog;
    private final dev.skein.schemas.TenantAccess access;

    A2aCards(
            A2aSettings settings,
            boolean authenticated,
            boolean pushNotifications,
            A2aCardSigner signer,
            CatalogReader catalog,
            dev.skein.schemas.TenantAccess access) {
        if (signer != A2aCardSigner.NONE && settings.publicUrl() == null) {
            // Without a public URL a card names the Host header of whoever fetched it: anyone could
            // fetch a card signed with this node's key that sends its clients to a host of theirs.
            throw new IllegalArgumentException("skein.a2a.signing-key-path needs skein.a2a.public-url: a signed"
                    + " card must name the URL it is served at, not the Host header of the request that fetched it");
        }
        this.settings = settings;
        this.authenticated = authenticated;
        this.pushNotifications = pushNotifications;
        this.signer = signer;
        this.catalog = catalog;
        this.access = access;
    }

    /**
     * {@code GetExtendedAgentCard} (section 3.1.11), for an authenticated caller: the agent's card as
     * the caller's tenant sees it. Its interfaces name the tenant ({@code AgentInterface.tenant}); its
     * skills are the agent itself, the other agents the tenant may use (with their cards), and the
     * tools of the catalog the tenant may use (tag {@code tool}), which the agent may call for it.
     */
    JsonObject extended(RoutingContext ctx, String agent) {
        String tenant = dev.skein.ingress.auth.Caller.of(ctx).tenant();
        String base = base(ctx);
        JsonObject card = unsigned(base, agent, false);
        var rules = access.of(tenant);
        JsonArray interfaces = card.getJsonArray("supportedInterfaces");
        for (int i = 0; i < interfaces.size(); i++) {
            interfaces.getJsonObject(i).put("tenant", tenant);
        }
        JsonArray skills = card.getJsonArray("skills");
        for (String other : settings.agents()) {
            if (!other.equals(agent) && rules.allowsAgent(other)) {
                skills.add(skill(base, other, true));
            }
        }
        catalog.tools().stream()
                .filter(tool -> rules.allowsTool(tool.getName()))
                .sorted(java.util.Comparator.comparing(dev.skein.events.ToolDefinition::getName))
                .forEach(tool -> skills.add(new JsonObject()
                        .put("id", "tool:" + tool.getName())
                        .put("name", tool.getName())
                        .put("description", tool.getDescription())
                        .put("tags", new JsonArray().add("tool").add("skein"))));
        card.put(
                "description",
                settings.description(agent) + " This is tenant " + tenant + "'s view: the agents"
                        + " and tools it may use.");
        return signer.sign(card);
    }

    void card(RoutingContext ctx) {
        send(ctx, card(base(ctx), A2aBinding.agent(ctx), false));
    }

    void wellKnown(RoutingContext ctx) {
        if (!settings.serves(settings.defaultAgent())) {
            JsonReply.error(
                    ctx,
                    404,
                    "the default agent '" + settings.defaultAgent() + "' is not served over A2A; the agents' cards are"
                            + " at /a2a/{agent}/.well-known/agent-card.json for " + settings.agents());
            return;
        }
        send(ctx, card(base(ctx), settings.defaultAgent(), true));
    }

    JsonObject card(String base, String agent, boolean listAll) {
        return signer.sign(unsigned(base, agent, listAll));
    }

    private JsonObject skill(String base, String agent, boolean withCard) {
        return new JsonObject()
                .put("id", agent)
                .put("name", agent)
                .put(
                        "description",
                        settings.description(agent)
                                + (withCard
                                        ? " Its card: " + base + "/a2a/" + agent + "/.well-known/agent-card.json"
                                        : ""))
                .put("tags", new JsonArray().add("skein").add(agent));
    }

    private JsonObject unsigned(String base, String agent, boolean listAll) {
        String url = base + "/a2a/" + agent;
        JsonArray skills = new JsonArray();
        for (String each : listAll ? settings.agents() : java.util.List.of(agent)) {
            skills.add(skill(base, each, listAll));
        }
        JsonObject card = new JsonObject()
                .put("name", agent)
                .put("description", settings.description(agent))
                .put(
                        "supportedInterfaces",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("url", url)
                                        .put("protocolBinding", "JSONRPC")
                                        .put("protocolVersion", PROTOCOL_VERSION))
                                .add(new JsonObject()
                                        .put("url", url + "/rest")
                                        .put("protocolBinding", "HTTP+JSON")
                                        .put("protocolVersion", PROTOCOL_VERSION)))
                .put("provider", new JsonObject().put("organization", "Skein").put("url", base))
                .put("version", PROTOCOL_VERSION)
                .put(
                        "capabilities",
                        new JsonObject()
                                .put("streaming", true)
                                .put("pushNotifications", pushNotifications)
                                .put("extendedAgentCard", true))
                .put("defaultInputModes", new JsonArray().add("text/plain").add("application/json"))
                .put("defaultOutputModes", new JsonArray().add("text/plain"))
                .put("skills", skills);
        if (authenticated) {
            card.put(
                            "securitySchemes",
                            new JsonObject()
                                    .put(
                                            SCHEME,
                                            new JsonObject()
                                                    .put(
                                                            "httpAuthSecurityScheme",
                                                            new JsonObject()
                                                                    .put("scheme", "Bearer")
                                                                    .put(
                                                                            "description",
                                                                            "a Skein API key or a JWT, as"
                                                                                    + " Authorization: Bearer <credential>;"
                                                                                    + " the tenant is the credential's"))))
                    .put(
                            "securityRequirements",
                            new JsonArray()
                                    .add(new JsonObject()
                                            .put(
                                                    "schemes",
                                                    new JsonObject()
                                                            .put(
                                                                    SCHEME,
                                                                    new JsonObject().put("list", new JsonArray())))));
        }
        return card;
    }

    /** The base URL the card names: {@code skein.a2a.public-url}, or the one this request reached. */
    String base(RoutingContext ctx) {
        if (settings.publicUrl() != null) {
            String url = settings.publicUrl().toString();
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
        String authority = ctx.request().authority() == null
                ? ctx.request().localAddress().hostAddress() + ":"
                        + ctx.request().localAddress().port()
                : ctx.request().authority().toString();
        return ctx.request().scheme() + "://" + authority;
    }

    private static void send(RoutingContext ctx, JsonObject card) {
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=300")
                .end(card.encode());
    }
}
