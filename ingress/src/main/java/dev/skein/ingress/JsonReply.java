package dev.skein.ingress;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** How every route answers: a JSON body, or {@code {"error": message}}; nothing once the response is gone. */
final class JsonReply {

    private static final String JSON = "application/json";

    private JsonReply() {}

    /** Does nothing when the response has already ended or the client has gone (a late answer). */
    static void send(RoutingContext ctx, int status, JsonObject body) {
        send(ctx.response(), status, body);
    }

    static void error(RoutingContext ctx, int status, String message) {
        send(ctx, status, new JsonObject().put("error", message));
    }

    /** For answers given before or outside the router: malformed requests, refused paths. */
    static void error(HttpServerResponse response, int status, String message) {
        send(response, status, new JsonObject().put("error", message));
    }

    private static void send(HttpServerResponse response, int status, JsonObject body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body.encode());
    }
}
