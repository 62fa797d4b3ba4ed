package dev.skein.ingress;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the push notifications of the tasks that have configs: every poll interval it reads the
 * state of each such task whose session this instance holds (so one instance of a cluster
 * delivers), and POSTs each change of state to the task's webhooks: a {@code statusUpdate}, and at
 * the end the whole {@code task} (its final status, artifacts and history), after which the task's
 * configs are deleted (the specification keeps them "until task completion or explicit deletion").
 * Reading the state, not following events, also sees what has no event (a call held for approval)
 * and what happened while no instance ran; a restart or a rebalance may push the current state once
 * more, which clients are told to expect (deliveries are at least once).
 *
 * <p>Runs on the verticle's context: its maps are touched there only.
 */
final class A2aPushNotifier {

    private static final Logger log = LoggerFactory.getLogger(A2aPushNotifier.class);

    private final Vertx vertx;
    private final A2aPushStore store;
    private final A2aWebhooks webhooks;
    private final SessionEvents events;
    private final A2aSessionReads reads;
    private final SessionDirectory directory;
    /** The state last pushed, by {@link #identity} of the config. */
    private final Map<String, String> pushed = new HashMap<>();
    /** Each config's deliveries, in order: the next waits for the one before. */
    private final Map<String, Future<Void>> chains = new HashMap<>();

    private boolean sweeping;

    A2aPushNotifier(
            Vertx vertx,
            A2aPushStore store,
            A2aWebhooks webhooks,
            SessionEvents events,
            A2aSessionReads reads,
            SessionDirectory directory) {
        this.vertx = vertx;
        this.store = store;
        this.webhooks = webhooks;
        this.events = events;
        this.reads = reads;
        this.directory = directory;
    }

    /** Starts polling; the timer ends with the verticle that started it. */
    void start(long intervalMillis) {
        vertx.setPeriodic(intervalMillis, id -> sweep());
    }

    void sweep() {
        if (sweeping) {
            return;
        }
        sweeping = true;
        Map<String, List<A2aPushConfig>> byTask = new LinkedHashMap<>();
        for (A2aPushConfig config : store.all()) {
            byTask.computeIfAbsent(config.tenant() + "/" + config.taskId(), k -> new ArrayList<>())
                    .add(config);
        }
        pushed.keySet()
                .retainAll(store.all().stream().map(A2aPushNotifier::identity).toList());
        List<Future<Void>> checks = new ArrayList<>();
        byTask.values().forEach(configs -> checks.add(check(configs)));
        Future.join(checks).onComplete(done -> sweeping = false);
    }

    private Future<Void> check(List<A2aPushConfig> configs) {
        A2aPushConfig first = configs.getFirst();
        A2aTaskId id;
        try {
            id = A2aTaskId.parse(first.taskId());
        } catch (A2aError e) {
            return Future.succeededFuture();
        }
        var address = id.address(first.tenant());
        return vertx.executeBlocking(() -> directory.locate(address).kind(), false)
                .compose(kind -> kind == SessionDirectory.Kind.LOCAL
                        ? reads.history(null, address)
                        : Future.succeededFuture(null))
                .compose(history -> {
                    JsonObject task = history == null ? null : A2aService.taskOf(events, id, address, history);
                    if (task == null) {
                        return Future.succeededFuture();
                    }
                    String state = A2aJson.stateOf(task);
                    boolean last = A2aJson.terminal(state);
                    JsonObject payload = last
                            ? new JsonObject().put("task", task)
                            : A2aJson.statusUpdate(id, task.getJsonObject("status"));
                    List<Future<Void>> sent = new ArrayList<>();
                    for (A2aPushConfig config : configs) {
                        // Per config: one created later still gets the state the others already had.
                        if (!state.equals(pushed.put(identity(config), state))) {
                            sent.add(enqueue(config, payload));
                        }
                    }
                    if (!last || sent.isEmpty()) {
                        return Future.succeededFuture();
                    }
                    return Future.join(sent).transform(delivered -> {
                        configs.forEach(config -> store.delete(config.tenant(), config.taskId(), config.id()));
                        log.debug("task {}: ended {}, its push configs are deleted", id, state);
                        return Future.<Void>succeededFuture();
                    });
                })
                .recover(failed -> {
                    log.debug("push notifications: task {} not checked now: {}", first.taskId(), failed.toString());
                    return Future.succeededFuture();
                });
    }

    /** A config deleted and made again under its id is a new one, which gets the current state too. */
    private static String identity(A2aPushConfig config) {
        return config.key() + "@" + config.createdAtMs();
    }

    private Future<Void> enqueue(A2aPushConfig config, JsonObject payload) {
        Future<Void> before = chains.getOrDefault(config.key(), Future.succeededFuture());
        Future<Void> next = before.transform(previous -> webhooks.deliver(config, payload));
        chains.put(config.key(), next);
        next.onComplete(done -> chains.remove(config.key(), next));
        return next;
    }
}
