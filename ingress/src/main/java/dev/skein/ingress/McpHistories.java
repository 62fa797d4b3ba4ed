package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Session histories as MCP resources, {@code skein://sessions/{id}/history}. A history is read by
 * the same code as {@code GET /v1/sessions/{id}/history} ({@link HistoryEndpoint#read}: the owner
 * lookup, forwarding to the instance that holds it as this caller, standby reads), and the list of
 * them by the same code as {@code GET /v1/sessions} ({@link SessionListEndpoint#listing}). The
 * session's address is the caller's tenant and the id, as {@link SessionGuard} makes it for
 * {@code /v1}: another tenant's session cannot be named.
 */
final class McpHistories {

    static final int PAGE = 100;
    private static final Pattern HISTORY = Pattern.compile("skein://sessions/([A-Za-z0-9._-]{1,128})/history");
    private static final int MAX_CURSOR = 512;

    private final HistoryEndpoint history;
    private final SessionListEndpoint listing;

    McpHistories(HistoryEndpoint history, SessionListEndpoint listing) {
        this.history = history;
        this.listing = listing;
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
        SessionQuery query;
        String tenant;
        try {
            tenant = new SessionAddress(Caller.of(ctx).tenant(), "x").tenant();
            query = SessionQuery.parse(null, null, (String) cursor, String.valueOf(PAGE), System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(McpEndpoint.error(-32602, e.getMessage()));
        }
        return listing.listing(ctx, tenant, query)
                .map(found -> {
                    JsonArray resources = new JsonArray();
                    for (Object entry : found.getJsonArray("sessions", new JsonArray())) {
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
                    if (found.getString("next") != null) {
                        result.put("nextCursor", found.getString("next"));
                    }
                    return result;
                })
                .recover(e -> Future.succeededFuture(
                        McpEndpoint.error(-32603, "the sessions cannot be listed: " + e.getMessage())));
    }

    /** The {@code resources/read} result, or an error ({@link McpEndpoint#error}); never a failed future. */
    Future<JsonObject> read(RoutingContext ctx, JsonObject params) {
        String uri = params.getValue("uri") instanceof String u ? u : "";
        Matcher matcher = HISTORY.matcher(uri);
        if (!matcher.matches()) {
            return Future.succeededFuture(McpEndpoint.error(
                    -32602,
                    "unknown resource " + ClientText.quote(uri) + "; Skein serves skein://sessions/{id}/history"));
        }
        SessionAddress address;
        try {
            address = new SessionAddress(Caller.of(ctx).tenant(), matcher.group(1));
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(McpEndpoint.error(-32602, e.getMessage()));
        }
        return history.read(ctx, address, "/v1/sessions/" + address.sessionId() + "/history")
                .map(reply -> {
                    if (reply.status() != 200) {
                        return McpEndpoint.error(
                                reply.status() == 404 ? -32002 : -32603,
                                "reading " + uri + " answered " + reply.status() + ": " + reply.body());
                    }
                    return new JsonObject()
                            .put(
                                    "contents",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("uri", uri)
                                                    .put("mimeType", "application/json")
                                                    .put("text", reply.body().toString())));
                })
                .recover(e -> Future.succeededFuture(
                        McpEndpoint.error(-32603, "the history cannot be read: " + e.getMessage())));
    }
}
