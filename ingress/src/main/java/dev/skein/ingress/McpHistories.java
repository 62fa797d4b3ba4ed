package dev.skein.ingress;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Session histories as MCP resources, {@code skein://sessions/{id}/history}. A history is read
 * through this instance's own {@code GET /v1/sessions/{id}/history}, with the caller's
 * credentials: the owner lookup, forwarding, standby reads and tenant checks of that endpoint
 * then hold here as well, with no copy of them.
 */
final class McpHistories {

    private static final Pattern HISTORY = Pattern.compile("skein://sessions/([A-Za-z0-9._-]{1,128})/history");

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

    /** The {@code resources/read} result, or an error ({@link McpEndpoint#error}); never a failed future. */
    Future<JsonObject> read(RoutingContext ctx, JsonObject params) {
        String uri = params.getValue("uri") instanceof String u ? u : "";
        Matcher matcher = HISTORY.matcher(uri);
        if (!matcher.matches()) {
            return Future.succeededFuture(McpEndpoint.error(
                    -32602, "unknown resource '" + uri + "'; Skein serves skein://sessions/{id}/history"));
        }
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setPort(config.port())
                .setURI("/v1/sessions/" + matcher.group(1) + "/history");
        for (String header : List.of("Authorization", config.tenantHeader())) {
            String value = ctx.request().getHeader(header);
            if (value != null) {
                options.putHeader(header, value);
            }
        }
        return loopback.request(options)
                .compose(req -> req.send()
                        .compose(res -> res.body().map(body -> {
                            if (res.statusCode() != 200) {
                                return McpEndpoint.error(
                                        res.statusCode() == 404 ? -32002 : -32603,
                                        "reading " + uri + " answered " + res.statusCode() + ": " + body);
                            }
                            return new JsonObject()
                                    .put(
                                            "contents",
                                            new JsonArray()
                                                    .add(new JsonObject()
                                                            .put("uri", uri)
                                                            .put("mimeType", "application/json")
                                                            .put("text", body.toString())));
                        })))
                .recover(e -> Future.succeededFuture(
                        McpEndpoint.error(-32603, "the history cannot be read: " + e.getMessage())));
    }
}
