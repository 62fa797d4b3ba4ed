package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The push notification config operations (A2A 1.0, sections 3.1.7 to 3.1.10) on the tasks of the
 * caller's tenant: a config is accepted only for a task that exists, with a webhook that passes
 * {@link A2aWebhooks#check}; at most {@link #MAX_PER_TASK} per task. With push notifications off
 * every operation answers {@code PushNotificationNotSupportedError}.
 */
final class A2aPushConfigs {

    static final int MAX_PER_TASK = 10;

    private final Vertx vertx;
    private final A2aPushSettings settings;
    private final A2aPushStore store;
    private final A2aWebhooks webhooks;
    private final SessionEvents events;
    private final A2aSessionReads reads;

    A2aPushConfigs(
            Vertx vertx,
            A2aPushSettings settings,
            A2aPushStore store,
            A2aWebhooks webhooks,
            SessionEvents events,
            A2aSessionReads reads) {
        this.vertx = vertx;
        this.settings = settings;
        this.store = store;
        this.webhooks = webhooks;
        this.events = events;
        this.reads = reads;
    }

    boolean enabled() {
        return settings.enabled();
    }

    /** {@code CreateTaskPushNotificationConfig}: params are a {@code TaskPushNotificationConfig}. */
    Future<JsonObject> create(RoutingContext ctx, JsonObject params) {
        A2aTaskId id = task(ctx, params);
        String tenant = Caller.of(ctx).tenant();
        A2aPushConfig config = A2aPushConfig.parse(params, tenant, id.toString());
        return existing(ctx, id)
                .compose(exists -> vertx.executeBlocking(() -> webhooks.check(config.url()), false))
                .compose(checked -> store(config))
                .map(stored -> config.json());
    }

    /** Stores a config for a task known to exist (also what {@code SendMessage}'s configuration does). */
    Future<Void> store(A2aPushConfig config) {
        List<A2aPushConfig> present = store.of(config.tenant(), config.taskId());
        if (present.size() >= MAX_PER_TASK && present.stream().noneMatch(c -> c.id().equals(config.id()))) {
            return Future.failedFuture(A2aError.invalidParams("task " + config.taskId() + " has " + present.size()
                    + " push notification configs, the most it may have; delete one first"));
        }
        return Future.fromCompletionStage(store.put(config), vertx.getOrCreateContext())
                .recover(failed -> Future.failedFuture(A2aError.http(
                        503, "the push notification config could not be stored: " + failed.getMessage() + "; retry")));
    }

    /** Checks a config that comes with a message, before the message is submitted. */
    Future<A2aPushConfig> checkWithMessage(A2aTaskId task, String tenant, JsonObject given) {
        if (!settings.enabled()) {
            return Future.failedFuture(notSupported());
        }
        A2aPushConfig config = A2aPushConfig.parse(given, tenant, task.toString());
        return vertx.executeBlocking(() -> webhooks.check(config.url()), false).map(checked -> config);
    }

    Future<JsonObject> get(RoutingContext ctx, JsonObject params) {
        A2aTaskId id = task(ctx, params);
        String configId = configId(params);
        return existing(ctx, id)
                .compose(exists -> store.of(Caller.of(ctx).tenant(), id.toString()).stream()
                        .filter(config -> config.id().equals(configId))
                        .findFirst()
                        .map(config -> Future.succeededFuture(config.json()))
                        .orElseGet(() -> Future.failedFuture(A2aError.taskNotFound(
                                "task " + id + " has no push notification config " + ClientText.quote(configId)))));
    }

    Future<JsonObject> list(RoutingContext ctx, JsonObject params) {
        A2aTaskId id = task(ctx, params);
        return existing(ctx, id).map(exists -> {
            JsonArray configs = new JsonArray();
            store.of(Caller.of(ctx).tenant(), id.toString()).forEach(config -> configs.add(config.json()));
            // At most MAX_PER_TASK: one page always holds them all.
            return new JsonObject().put("configs", configs).put("nextPageToken", "");
        });
    }

    /** Idempotent, as the specification asks: deleting what is not there succeeds. */
    Future<JsonObject> delete(RoutingContext ctx, JsonObject params) {
        A2aTaskId id = task(ctx, params);
        String configId = configId(params);
        return existing(ctx, id)
                .compose(exists -> Future.fromCompletionStage(
                        store.delete(Caller.of(ctx).tenant(), id.toString(), configId), vertx.getOrCreateContext()))
                .map(deleted -> new JsonObject());
    }

    private A2aTaskId task(RoutingContext ctx, JsonObject params) {
        if (!settings.enabled()) {
            throw notSupported();
        }
        A2aTenancy.resolve(ctx, params);
        String taskId = A2aSendRequest.string(params, "taskId");
        if (taskId == null || taskId.isEmpty()) {
            throw A2aError.invalidParams("'taskId' is required: the task whose push notifications these are");
        }
        return A2aTaskId.parse(taskId);
    }

    private static String configId(JsonObject params) {
        String id = A2aSendRequest.string(params, "id");
        if (id == null || id.isEmpty()) {
            throw A2aError.invalidParams("'id' is required: the push notification config's id");
        }
        return id;
    }

    private Future<Void> existing(RoutingContext ctx, A2aTaskId id) {
        SessionAddress address = id.address(Caller.of(ctx).tenant());
        return reads.history(ctx, address)
                .compose(history -> A2aService.taskOf(events, id, address, history) == null
                        ? Future.failedFuture(A2aService.notFound(id))
                        : Future.succeededFuture());
    }

    static A2aError notSupported() {
        return A2aError.pushNotSupported("this agent sends no push notifications (capabilities.pushNotifications"
                + " is false; skein.a2a.push.enabled turns them on): stream the task, or poll GetTask");
    }
}
