package dev.skein.ingress;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;

/**
 * How the {@code /registry} routes answer, as Confluent's Schema Registry does: in the media type
 * the client accepts, errors as {@code {"error_code": 40401, "message": "..."}} (the shape its
 * clients parse, unlike the {@code {"error": ...}} of the rest of the API).
 */
final class RegistryReply {

    static final String V1 = "application/vnd.schemaregistry.v1+json";
    static final String GENERIC = "application/vnd.schemaregistry+json";
    static final String JSON = "application/json";

    /** What answers and requests may be in; requests may also be octet-stream, as Confluent accepts. */
    private static final List<String> ANSWERED = List.of(V1, GENERIC, JSON);

    private static final List<String> ACCEPTED = List.of(V1, GENERIC, JSON, "application/octet-stream");
    private static final String MEDIA_TYPE = "skein.registry.media-type";

    private RegistryReply() {}

    /**
     * The media type to answer in for this {@code Accept} header: the served type with the highest
     * {@code q} (the first listed on a tie), v1 for none or a wildcard; null when it names none.
     */
    static String negotiate(String accept) {
        if (accept == null || accept.isBlank()) {
            return V1;
        }
        String best = null;
        double bestQ = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].strip().toLowerCase(Locale.ROOT);
            String served =
                    type.equals("*/*") || type.equals("application/*") ? V1 : ANSWERED.contains(type) ? type : null;
            double q = quality(parts);
            if (served != null && q > bestQ) {
                best = served;
                bestQ = q;
            }
        }
        return best;
    }

    /** True when a request body of this {@code Content-Type} is read (none at all is taken as JSON). */
    static boolean readable(String contentType) {
        return contentType == null
                || ACCEPTED.contains(contentType.split(";")[0].strip().toLowerCase(Locale.ROOT));
    }

    static void negotiated(RoutingContext ctx, String mediaType) {
        ctx.put(MEDIA_TYPE, mediaType);
    }

    /** {@code json} is the encoded body (an object, an array, or a schema's own JSON). */
    static void send(RoutingContext ctx, int status, String json) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        String type = ctx.get(MEDIA_TYPE);
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, type == null ? V1 : type)
                .end(json);
    }

    static void error(RoutingContext ctx, int status, int errorCode, String message) {
        send(
                ctx,
                status,
                new JsonObject()
                        .put("error_code", errorCode)
                        .put("message", message)
                        .encode());
    }

    private static double quality(String[] parameters) {
        for (int i = 1; i < parameters.length; i++) {
            String parameter = parameters[i].strip();
            if (parameter.startsWith("q=")) {
                try {
                    return Double.parseDouble(parameter.substring(2));
                } catch (NumberFormatException e) {
                    return 0; // an unreadable weight counts as "not acceptable", as RFC 9110 allows
                }
            }
        }
        return 1;
    }
}
