package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.ingress.auth.Permission;
import dev.skein.schemas.ClientText;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/** What the JSON-RPC and HTTP+JSON bindings share: the agent of the path, the version, permissions, bodies, SSE. */
final class A2aBinding {

    static final String AGENT = "skein.a2a.agent";
    static final String VERSION_HEADER = "A2A-Version";

    private A2aBinding() {}

    /** The guard of every {@code /a2a/:agent} route: 404 for an agent that is not served. */
    static io.vertx.core.Handler<RoutingContext> agentGuard(A2aSettings settings) {
        return ctx -> {
            String agent = ctx.pathParam("agent");
            if (agent == null || !settings.serves(agent)) {
                JsonReply.error(
                        ctx,
                        404,
                        "no agent " + ClientText.quote(agent) + " is served over A2A here; the agents are "
                                + settings.agents());
                return;
            }
            ctx.put(AGENT, agent);
            ctx.next();
        };
    }

    static String agent(RoutingContext ctx) {
        return ctx.get(AGENT);
    }

    /**
     * A2A 1.0, section 3.6: a request names its version in the {@code A2A-Version} header (or
     * parameter); Skein serves 1.0. An absent version is taken as 1.0 here, since only the 1.0
     * method names and paths reach these handlers (0.3's {@code message/send} is refused by name).
     */
    static void checkVersion(RoutingContext ctx) {
        String version = ctx.request().getHeader(VERSION_HEADER);
        if (version == null) {
            version = ctx.request().getParam(VERSION_HEADER);
        }
        if (version != null && !version.isBlank() && !version.trim().matches("1(\\.0)?(\\.\\d+)?")) {
            throw A2aError.versionNotSupported(
                    "A2A version " + version.trim() + " is not supported here: this interface speaks A2A 1.0");
        }
    }

    /** @throws A2aError 403 when the caller's roles do not grant {@code permission} */
    static void require(RoutingContext ctx, Permission permission) {
        if (!Caller.of(ctx).may(permission)) {
            throw A2aError.http(
                    403,
                    permission == Permission.WRITE_SESSION
                            ? "this credential may read sessions only: it may not send messages or cancel tasks"
                            : "this credential may not read sessions");
        }
    }

    /** The request body as a JSON object, strictly parsed. */
    static JsonObject body(RoutingContext ctx, Function<String, A2aError> malformed) {
        String text;
        try {
            text = StrictJson.utf8(ctx.body().buffer(), "request body");
        } catch (HttpFailure e) {
            throw malformed.apply(e.getMessage());
        }
        if (text == null || text.isBlank()) {
            throw malformed.apply("the request body is empty");
        }
        Object parsed;
        try {
            parsed = StrictJson.parse(text);
        } catch (IllegalArgumentException | DecodeException e) {
            String message = e.getMessage() == null
                    ? "unreadable"
                    : e.getMessage().lines().findFirst().orElse("");
            throw malformed.apply("the request body is not valid JSON: " + message);
        }
        if (!(parsed instanceof JsonObject object)) {
            throw A2aError.invalidRequest("the request body must be a JSON object");
        }
        return object;
    }

    /** Runs {@code operation}, turning what it throws into a failed future. */
    static <T> Future<T> attempt(java.util.function.Supplier<Future<T>> operation) {
        try {
            return operation.get();
        } catch (A2aError e) {
            return Future.failedFuture(e);
        }
    }

    /** Starts a Server-Sent Events response. */
    static void openSse(HttpServerResponse response) {
        response.setStatusCode(200)
                .setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
    }

    static void sse(HttpServerResponse response, JsonObject event) {
        if (!response.ended() && !response.closed()) {
            response.write("data: " + event.encode() + "\n\n");
        }
    }

    static void endSse(HttpServerResponse response) {
        if (!response.ended() && !response.closed()) {
            response.end();
        }
    }

    /** An unexpected failure as an internal error; its cause in the log only. */
    static A2aError asA2a(Throwable cause, org.slf4j.Logger log, RoutingContext ctx) {
        Throwable unwrapped = GatewaySubmission.unwrap(cause);
        if (unwrapped instanceof A2aError error) {
            return error;
        }
        log.error(
                "{} {}: A2A request failed",
                ctx.request().method(),
                ctx.request().path(),
                unwrapped);
        return A2aError.internal("internal error; the server log has the details");
    }
}
