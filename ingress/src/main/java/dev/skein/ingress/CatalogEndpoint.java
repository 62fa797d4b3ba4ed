package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.TenantAccess;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code GET /v1/tools} and {@code GET /v1/workers}. The catalog is an in-memory snapshot (see
 * {@link CatalogReader}): answered on the event loop. The tools are those the caller's tenant may use.
 */
final class CatalogEndpoint {

    private final CatalogReader catalog;
    private final Duration workerTimeout;
    private final TenantAccess access;

    /** @param workerTimeout a worker whose last heartbeat is older than this is shown as not live */
    CatalogEndpoint(CatalogReader catalog, Duration workerTimeout, TenantAccess access) {
        this.catalog = catalog;
        this.workerTimeout = workerTimeout;
        this.access = access;
    }

    void tools(RoutingContext ctx) {
        TenantAccess.Rules rules = access.of(Caller.of(ctx).tenant());
        JsonReply.send(
                ctx,
                200,
                CatalogJson.tools(catalog.tools().stream()
                        .filter(tool -> rules.allowsTool(tool.getName()))
                        .toList()));
    }

    void workers(RoutingContext ctx) {
        JsonReply.send(ctx, 200, CatalogJson.workers(catalog.workers(), System.currentTimeMillis(), workerTimeout));
    }
}
