package dev.skein.ingress;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The web UI: static ES modules and CSS from the jar's {@value #WEB_ROOT} folder, under
 * {@value #PREFIX}, with {@code /} redirecting there. The files are public (they hold no data); the
 * UI reads everything through the authenticated {@code /v1} routes with the caller's own
 * credential, so it can do nothing its user could not do with curl.
 *
 * <p>Every answer under {@value #PREFIX} carries a Content-Security-Policy that allows scripts,
 * styles and connections of this origin only, and no inline script or style: agent answers and
 * tool output are shown as text, and even a mistake that inserted them as HTML could not run
 * script. Framing is refused, so the UI's approve button cannot be clickjacked.
 */
final class UiRoutes {

    static final String PREFIX = "/ui";
    /** The classpath folder the files are read from (ingress/src/main/resources/skein-ui). */
    static final String WEB_ROOT = "skein-ui";

    /**
     * {@code connect-src 'self'} covers the WebSocket of the same host and port in CSP Level 3
     * browsers; {@code form-action 'none'}: the UI's forms are handled by script, never submitted.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none';"
            + " frame-ancestors 'none'";

    /**
     * The files' names carry no version, so a browser must ask again each time: with
     * {@code no-cache} it revalidates with If-Modified-Since and gets a 304 when nothing changed,
     * and an upgraded server's UI is never mixed with the old one's modules.
     */
    static final String CACHE_CONTROL = "no-cache";

    private UiRoutes() {}

    static void mount(Router router) {
        StaticHandler files = StaticHandler.create(WEB_ROOT)
                .setIndexPage("index.html")
                .setDirectoryListing(false)
                .setIncludeHidden(false)
                .setCachingEnabled(true)
                .setDefaultContentEncoding("UTF-8");
        router.get("/").handler(ctx -> redirect(ctx, PREFIX + "/"));
        // A route for /ui matches /ui/ too: only the bare prefix is redirected.
        router.get(PREFIX).handler(ctx -> {
            if (ctx.request().path().equals(PREFIX)) {
                redirect(ctx, PREFIX + "/");
            } else {
                ctx.next();
            }
        });
        router.route(PREFIX + "/*")
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD)
                .handler(UiRoutes::securityHeaders)
                .handler(files);
    }

    private static void securityHeaders(RoutingContext ctx) {
        // Set once the handler has written its own headers, so that these win over its Cache-Control.
        ctx.addHeadersEndHandler(ended -> {
            HttpServerResponse response = ctx.response();
            response.putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("X-Frame-Options", "DENY")
                    .putHeader("Referrer-Policy", "no-referrer")
                    .putHeader("Cross-Origin-Opener-Policy", "same-origin")
                    .putHeader("Cross-Origin-Resource-Policy", "same-origin")
                    .putHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
            if (response.getStatusCode() < 400) {
                response.putHeader("Cache-Control", CACHE_CONTROL);
            }
        });
        ctx.next();
    }

    private static void redirect(RoutingContext ctx, String location) {
        ctx.response().setStatusCode(302).putHeader("Location", location).end();
    }
}
