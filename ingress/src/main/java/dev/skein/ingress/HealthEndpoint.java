package dev.skein.ingress;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /health}: 200 when every component is up, else 503; each component with its detail. */
final class HealthEndpoint {

    private static final Logger log = LoggerFactory.getLogger(HealthEndpoint.class);

    private final Vertx vertx;
    private final Supplier<Health> health;

    HealthEndpoint(Vertx vertx, Supplier<Health> health) {
        this.vertx = vertx;
        this.health = health;
    }

    void check(RoutingContext ctx) {
        // A health supplier may ask Kafka or the streams runtime: not on the event loop.
        vertx.executeBlocking(health::get, false).onComplete(checked -> {
            if (checked.failed()) {
                log.warn("health check failed", checked.cause());
                JsonReply.send(
                        ctx,
                        503,
                        new JsonObject()
                                .put("status", "DOWN")
                                .put(
                                        "error",
                                        "health check failed: "
                                                + checked.cause().getMessage()));
                return;
            }
            Health report = checked.result();
            JsonObject components = new JsonObject();
            report.components()
                    .forEach((name, component) -> components.put(
                            name,
                            new JsonObject()
                                    .put("status", component.up() ? "UP" : "DOWN")
                                    .put("detail", component.detail())));
            JsonReply.send(
                    ctx,
                    report.isUp() ? 200 : 503,
                    new JsonObject()
                            .put("status", report.isUp() ? "UP" : "DOWN")
                            .put("components", components));
        });
    }
}
