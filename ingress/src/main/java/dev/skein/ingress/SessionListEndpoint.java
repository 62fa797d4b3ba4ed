package dev.skein.ingress;

import dev.skein.events.SessionMeta;
import dev.skein.ingress.SessionDirectory.Listing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/sessions}: the caller's tenant's sessions, newest activity first, a page at a
 * time, from every instance. Each instance answers from the session-meta store of its active
 * tasks (a prefix range of the tenant, never a history); this one asks the others (forwarded,
 * signed) and merges their pages. An answer says whether it covers every session partition: while
 * an instance is down or the group rebalances, {@code complete} is false and
 * {@code missingPartitions} names what is missing, rather than a silently short list.
 */
final class SessionListEndpoint {

    private static final Logger log = LoggerFactory.getLogger(SessionListEndpoint.class);

    private static final Comparator<JsonObject> ORDER = Comparator.<JsonObject>comparingLong(
                    s -> Instant.parse(s.getString("lastActivityAt")).toEpochMilli())
            .reversed()
            .thenComparing(s -> s.getString("session"));

    private final Vertx vertx;
    private final SessionDirectory directory;
    private final Forwarder forwarder;
    private final SessionGuard guard;

    SessionListEndpoint(Vertx vertx, SessionDirectory directory, Forwarder forwarder, SessionGuard guard) {
        this.vertx = vertx;
        this.directory = directory;
        this.forwarder = forwarder;
        this.guard = guard;
    }

    void list(RoutingContext ctx) {
        String tenant;
        SessionQuery query;
        try {
            tenant = guard.tenant(ctx);
            var params = ctx.queryParams();
            query = SessionQuery.parse(
                    params.get("status"),
                    params.get("active-since"),
                    params.get("cursor"),
                    params.get("limit"),
                    System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            JsonReply.error(ctx, 400, e.getMessage());
            return;
        }
        if (Forwarding.isForwarded(ctx)) {
            local(tenant, query).onComplete(page -> {
                if (page.failed()) {
                    JsonReply.error(
                            ctx,
                            503,
                            "sessions not available here right now: "
                                    + page.cause().getMessage());
                } else {
                    JsonReply.send(ctx, 200, page.result());
                }
            });
            return;
        }
        listing(ctx, tenant, query).onComplete(done -> JsonReply.send(ctx, 200, done.result()));
    }

    /**
     * The tenant's sessions on every instance, merged, newest activity first; never a failed
     * future (an instance that does not answer is in {@code missingPartitions}). Asks the others as
     * the caller of {@code ctx}, as {@code GET /v1/sessions} does; {@code /mcp}'s resources/list too.
     */
    Future<JsonObject> listing(RoutingContext ctx, String tenant, SessionQuery query) {
        List<Future<JsonObject>> pages = new ArrayList<>();
        for (URI instance : directory.instances()) {
            pages.add(
                    instance.equals(directory.self())
                            ? local(tenant, query)
                            : forwarder
                                    .get(ctx, instance, "/v1/sessions?" + query.toQueryString(), false)
                                    .compose(relayed -> relayed.status() == 200
                                            ? Future.succeededFuture(
                                                    relayed.body().toJsonObject())
                                            : Future.failedFuture(instance + " answered " + relayed.status())));
        }
        return Future.join(pages).transform(done -> Future.succeededFuture(merge(pages, query)));
    }

    private Future<JsonObject> local(String tenant, SessionQuery query) {
        return vertx.executeBlocking(() -> page(directory.list(tenant, query)), false);
    }

    private JsonObject merge(List<Future<JsonObject>> pages, SessionQuery query) {
        List<JsonObject> sessions = new ArrayList<>();
        Set<Integer> covered = new TreeSet<>();
        for (Future<JsonObject> page : pages) {
            if (page.failed()) {
                log.info(
                        "sessions listing: an instance did not answer: {}",
                        page.cause().getMessage());
                continue;
            }
            try {
                page.result().getJsonArray("sessions").forEach(s -> sessions.add((JsonObject) s));
                page.result().getJsonArray("partitions").forEach(p -> covered.add(((Number) p).intValue()));
            } catch (ClassCastException | NullPointerException | DecodeException e) {
                log.warn("sessions listing: an instance answered in an unknown shape: {}", e.toString());
            }
        }
        sessions.sort(ORDER);
        List<JsonObject> cut = sessions.subList(0, Math.min(query.limit(), sessions.size()));
        JsonArray missing = new JsonArray();
        for (int p = 0; p < directory.partitions(); p++) {
            if (!covered.contains(p)) {
                missing.add(p);
            }
        }
        JsonObject last = cut.isEmpty() ? null : cut.getLast();
        return new JsonObject()
                .put("sessions", new JsonArray(new ArrayList<>(cut)))
                .put(
                        "next",
                        cut.size() < query.limit()
                                ? null
                                : new SessionQuery.Cursor(
                                                Instant.parse(last.getString("lastActivityAt"))
                                                        .toEpochMilli(),
                                                last.getString("session"))
                                        .encode())
                .put("complete", missing.isEmpty())
                .put("missingPartitions", missing);
    }

    private static JsonObject page(Listing listing) {
        JsonArray sessions = new JsonArray();
        listing.sessions().forEach(meta -> sessions.add(summary(meta)));
        return new JsonObject()
                .put("sessions", sessions)
                .put("partitions", new JsonArray(new ArrayList<>(new TreeSet<>(listing.partitions()))));
    }

    /** One session of the listing: its state, its counts and its agent, never its messages. */
    static JsonObject summary(SessionMeta meta) {
        var active = meta.getActiveTurn();
        return new JsonObject()
                .put("session", meta.getSessionId())
                .put("status", meta.getStatus().name())
                .put("agent", active != null ? active.getAgent() : meta.getActiveAgent())
                .put("activeTurnId", active == null ? null : active.getTurnId())
                .put("queuedTurns", meta.getQueuedTurns().size())
                .put("turnsCompleted", meta.getTurnsCompleted())
                .put("turnsFailed", meta.getTurnsFailed())
                .put("messages", meta.getNextSequence() - meta.getFirstSequence() - meta.getRolledBackMessages())
                .put("createdAt", Instant.ofEpochMilli(meta.getCreatedAtMs()).toString())
                .put(
                        "lastActivityAt",
                        Instant.ofEpochMilli(meta.getUpdatedAtMs()).toString());
    }
}
