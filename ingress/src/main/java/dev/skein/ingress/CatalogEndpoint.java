package dev.skein.ingress;

import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code GET /v1/tools} and {@code GET /v1/workers}. The catalog is an in-memory snapshot (see
 * {@link CatalogReader}): answered on the event loop.
 */
final class CatalogEndpoint {

    private final CatalogReader catalog;
    private final Duration workerTimeout;

    /** @param workerTimeout a worker whose last heartbeat is older than this is shown as not live */
    CatalogEndpoint(CatalogReader catalog, Duration workerTimeout) {
        this.catalog = catalog;
        this.workerTimeout = workerTimeout;
    }

    void tools(RoutingContext ctx) {
        JsonReply.send(ctx, 200, CatalogJson.tools(catalog.tools()));
    }

    void workers(RoutingContext ctx) {
        JsonReply.send(ctx, 200, CatalogJson.workers(catalog.workers(), System.currentTimeMillis(), workerTimeout));
    }
}
