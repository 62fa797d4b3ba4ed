package dev.skein.ingress;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /metrics}: the Prometheus scrape, or 404 when this instance exports no metrics. */
final class MetricsEndpoint {

    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Vertx vertx;
    private final PrometheusMeterRegistry prometheus;

    /** @param prometheus the registry to scrape; null when this instance exports none */
    MetricsEndpoint(Vertx vertx, PrometheusMeterRegistry prometheus) {
        this.vertx = vertx;
        this.prometheus = prometheus;
    }

    void scrape(RoutingContext ctx) {
        if (prometheus == null) {
            JsonReply.error(
                    ctx,
                    404,
                    "this instance exports no Prometheus metrics: give the ingress a PrometheusMeterRegistry");
            return;
        }
        // A scrape walks every meter and formats them all; with many tiers, tools and routes that
        // takes long enough to stall other requests if done on the event loop.
        vertx.executeBlocking(prometheus::scrape, false).onComplete(scraped -> {
            if (scraped.failed()) {
                log.error("GET /metrics: the Prometheus scrape failed", scraped.cause());
                JsonReply.error(ctx, 500, "the Prometheus scrape failed; the server log has the details");
            } else if (!ctx.response().ended() && !ctx.response().closed()) {
                ctx.response()
                        .setStatusCode(200)
                        .putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT)
                        .end(scraped.result());
            }
        });
    }
}
