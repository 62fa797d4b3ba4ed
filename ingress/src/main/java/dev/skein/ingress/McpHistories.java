package dev.skein.ingress;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Session histories as MCP resources, {@code skein://sessions/{id}/history}. A history is read
 * through this instance's own {@code GET /v1/sessions/{id}/history}, and the list of them through
 * its {@code GET /v1/sessions}, with the caller's credentials: the owner lookup, forwarding,
 * standby reads, paging and tenant checks of those endpoints then hold here as well, with no copy
 * of them.
 */
final class McpHistories {

    private static final Pattern HISTORY = Pattern.compile("skein://sessions/([A-Za-z0-9._-]{1,128})/history");

    static final int PAGE = 100;
    private static final int MAX_CURSOR = 512;

    private final IngressConfig config;
    private final HttpClient loopback;

    McpHistories(Vertx vertx, IngressConfig config) {
        this.config = config;
        // The address the ingress listens on; a wildcard is reached on loopback.
        String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
        HttpClientOptions options = new HttpClientOptions().setDefaultHost(host);
        if (config.tls() != null) {
            // Its own certificate, on loopback: the name in it need not be the host's.
            options.setSsl(true).setTrustAll(true).setVerifyHost(false);
        }
        this.loopback = vertx.createHttpClient(options);
    }

    static JsonArray templates() {
        return new JsonArray()
                .add(new JsonObject()
                        .put("uriTemplate", "skein://sessions/{id}/history")
                        .put("name", "session history")
                        .put("description", "The messages of one of your sessions, as GET /v1/sessions/{id}/history")
                        .put("mimeType", "application/json"));
    }

    /**
     * The {@code resources/list} result: the caller's tenant's sessions (those {@code GET
     * /v1/sessions} lists for the same credential, newest activity first), one history resource
     * each, {@value #PAGE} a page, with {@code nextCursor} while there are more.
     */
    Future<JsonObject> list(RoutingContext ctx, JsonObject params) {
        Object cursor = params.getValue("cursor");
        if (cursor != null && !(cursor instanceof String c && !c.isEmpty() && c.length() <= MAX_CURSOR)) {
            return Future.succeededFuture(
                    McpEndpoint.error(-32602, "cursor must be the nextCursor of an earlier resources/list (a string)"));
        }
        String query = "?limit=" + PAGE
                + (cursor == null ? "" : "&cursor=" + URLEncoder.encode((String) cursor, StandardCharsets.UTF_8));
        return get(ctx, "/v1/sessions" + query)
                .map(res -> {
                    if (res.status() != 200) {
                        return McpEndpoint.error(
                                res.status() == 400 ? -32602 : -32603,
                                "listing the sessions answered " + res.status() + ": " + res.body());
                    }
                    JsonObject listing = res.body().toJsonObject();
                    JsonArray resources = new JsonArray();
                    for (Object entry : listing.getJsonArray("sessions", new JsonArray())) {
                        JsonObject session = (JsonObject) entry;
                        String id = session.getString("session");
                        resources.add(new JsonObject()
                                .put("uri", "skein://sessions/" + id + "/history")
                                .put("name", "session " + id)
                                .put(
                                        "description",
                                        "The history of session " + id + " (" + session.getString("status") + ", "
                                                + session.getValue("messages") + " messages, last active "
                                                + session.getString("lastActivityAt") + ")")
                                .put("mimeType", "application/json"));
                    }
                    JsonObject result = new JsonObject().put("resources", resources);
                    if (listing.getString("next") != null) {
                        result.put("nextCursor", listing.getString("next"));
                    }
                    return result;
                })
                .recover(e -> Future.succeededFuture(
                        McpEndpoint.error(-32603, "the sessions cannot be listed: " + e.getMessage())));
    }

    private record Answer(int status, Buffer body) {}

    // This instance's own /v1, with the caller's credentials: its checks hold here as they are.
    private Future<Answer> get(RoutingContext ctx, String path) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setPort(config.port())
                .setURI(path);
        for (String header : List.of("Authorization", config.tenantHeader())) {
            String value = ctx.request().getHeader(header);
            if (value != null) {
                options.putHeader(header, value);
            }
        }
        return loopback.request(options)
                .compose(req -> req.send().compose(res -> res.body().map(body -> new Answer(res.statusCode(), body))));
    }

    /** The {@code resources/read} result, or an error ({@link McpEndpoint#error}); never a failed future. */
    Future<JsonObject> read(RoutingContext ctx, JsonObject params) {
        String uri = params.getValue("uri") instanceof String u ? u : "";
        Matcher matcher = HISTORY.matcher(uri);
        if (!matcher.matches()) {
            return Future.succeededFuture(McpEndpoint.error(
                    -32602, "unknown resource '" + uri + "'; Skein serves skein://sessions/{id}/history"));
        }
        return get(ctx, "/v1/sessions/" + matcher.group(1) + "/history")
                .map(res -> {
                    if (res.status() != 200) {
                        return McpEndpoint.error(
                                res.status() == 404 ? -32002 : -32603,
                                "reading " + uri + " answered " + res.status() + ": " + res.body());
                    }
                    return new JsonObject()
                            .put(
                                    "contents",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("uri", uri)
                                                    .put("mimeType", "application/json")
                                                    .put("text", res.body().toString())));
                })
                .recover(e -> Future.succeededFuture(
                        McpEndpoint.error(-32603, "the history cannot be read: " + e.getMessage())));
    }
}
