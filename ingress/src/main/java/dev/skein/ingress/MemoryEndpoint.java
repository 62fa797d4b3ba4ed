package dev.skein.ingress;

import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import dev.skein.ingress.auth.Caller;
import dev.skein.memory.MemoryIndex;
import dev.skein.memory.MemoryKey;
import dev.skein.memory.MemoryQuery;
import dev.skein.memory.MemoryStore;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code /v1/memory}: a tenant's long-term memories, read from this instance's index (rebuilt from
 * the memories topic) and deleted with tombstones on the topic.
 *
 * <ul>
 *   <li>{@code GET /v1/memory?user=&kind=&entity=&q=&since=&limit=}: with {@code q}, the nearest by
 *       meaning; without, the newest. {@code user=*} is the tenant's shared memory.
 *   <li>{@code DELETE /v1/memory/{id}} (with {@code ?user=} when it is a user's)
 *   <li>{@code DELETE /v1/memory?user=U}: an erasure request, every memory of U
 * </ul>
 *
 * A token's caller is its {@code sub} and sees and deletes only its own memories (and reads the
 * tenant's shared ones); a tenant's API key acts for all of the tenant's users.
 */
final class MemoryEndpoint {

    private static final int DEFAULT_LIMIT = 20;
    private static final int MAX_LIMIT = 100;

    private final Vertx vertx;
    private final MemoryStore store;

    /** @param store null when memory is off: every route answers 404 */
    MemoryEndpoint(Vertx vertx, MemoryStore store) {
        this.vertx = vertx;
        this.store = store;
    }

    void list(RoutingContext ctx) {
        Caller caller = Caller.of(ctx);
        String user = user(ctx, caller, true);
        if (disabled(ctx)) {
            return;
        }
        Set<String> users = user == null
                ? (caller.credential() == Caller.Credential.JWT
                        ? Set.of(caller.subject(), MemoryKey.WHOLE_TENANT)
                        : null)
                : Set.of(user);
        String q = ctx.request().getParam("q");
        MemoryQuery query = new MemoryQuery(
                caller.tenant(),
                users,
                kind(ctx.request().getParam("kind")),
                ctx.request().getParam("entity"),
                number(ctx, "since"),
                null,
                q == null || q.isBlank() ? null : q,
                limit(ctx));
        answer(ctx, () -> {
            JsonArray memories = new JsonArray();
            store.search(query).forEach(record -> memories.add(json(record)));
            return new JsonObject().put("memories", memories);
        });
    }

    void deleteOne(RoutingContext ctx) {
        Caller caller = Caller.of(ctx);
        String id = ctx.pathParam("id");
        String user = user(ctx, caller, false);
        if (disabled(ctx)) {
            return;
        }
        String userId = user == null || user.equals(MemoryKey.WHOLE_TENANT) ? null : user;
        answer(ctx, () -> {
            if (!store.forget(caller.tenant(), userId, id)) {
                throw new HttpFailure(
                        404,
                        "no memory " + ClientText.quote(id) + " of "
                                + (userId == null ? "the tenant" : "user " + ClientText.quote(userId)));
            }
            return new JsonObject().put("deleted", id);
        });
    }

    void erase(RoutingContext ctx) {
        Caller caller = Caller.of(ctx);
        String user = user(ctx, caller, false);
        if (user == null) {
            throw HttpFailure.badRequest(
                    "DELETE /v1/memory needs ?user=<id> (or user=* for the tenant's shared memory)");
        }
        if (disabled(ctx)) {
            return;
        }
        String userId = user.equals(MemoryKey.WHOLE_TENANT) ? null : user;
        answer(ctx, () -> new JsonObject().put("user", user).put("deleted", store.forgetUser(caller.tenant(), userId)));
    }

    private boolean disabled(RoutingContext ctx) {
        if (store == null) {
            JsonReply.error(ctx, 404, "long-term memory is off on this node (skein.memory.enabled)");
            return true;
        }
        if (!store.ready().isDone()) {
            JsonReply.error(ctx, 503, "the memory index is still being rebuilt from the topic; try again shortly");
            return true;
        }
        return false;
    }

    /** The user the request names, checked: a token's caller may name only itself (or * when reading). */
    private static String user(RoutingContext ctx, Caller caller, boolean reading) {
        String user = ctx.request().getParam("user");
        if (user != null && !user.equals(MemoryKey.WHOLE_TENANT) && !SessionAddress.isValidPart(user)) {
            throw HttpFailure.badRequest(
                    "user " + ClientText.quote(user) + " is invalid: use 1 to 128 of A-Z a-z 0-9 . _ - (or *)");
        }
        if (caller.credential() == Caller.Credential.JWT) {
            tokenUser(caller);
            boolean shared = MemoryKey.WHOLE_TENANT.equals(user);
            if (user != null && !user.equals(caller.subject()) && !(shared && reading)) {
                throw new HttpFailure(
                        403,
                        "this token is for user " + ClientText.quote(caller.subject())
                                + ": it may not act for another");
            }
            return user == null && !reading ? caller.subject() : user;
        }
        return user;
    }

    /**
     * The user a token stands for: its {@code sub}, which must be a name a memory can be kept
     * under. A subject of {@code *} would otherwise act as the tenant's shared memory (and erase
     * it), and one with a '/' would split the memories topic's {@code <tenant>/<user>/<id>} key.
     *
     * @throws HttpFailure 403 for a token whose subject cannot be a user
     */
    static String tokenUser(Caller caller) {
        String subject = caller.subject();
        if (subject == null
                || subject.isEmpty()
                || subject.equals(MemoryKey.WHOLE_TENANT)
                || subject.contains("/")
                || subject.length() > 256) {
            throw new HttpFailure(
                    403,
                    "this token's subject " + ClientText.quote(subject)
                            + " cannot be a user (it is empty, '*', has a '/' or is"
                            + " longer than 256 characters): it may not use per-user memory or name a turn's user");
        }
        return subject;
    }

    private static Set<MemoryKind> kind(String kind) {
        if (kind == null) {
            return null;
        }
        try {
            return Set.of(MemoryKind.valueOf(kind.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw HttpFailure.badRequest("kind " + ClientText.quote(kind) + " is not one of fact, entity, episode");
        }
    }

    private static Long number(RoutingContext ctx, String name) {
        String value = ctx.request().getParam(name);
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw HttpFailure.badRequest(
                    name + " " + ClientText.quote(value) + " is not a whole number (epoch milliseconds)");
        }
    }

    private static int limit(RoutingContext ctx) {
        Long limit = number(ctx, "limit");
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw HttpFailure.badRequest("limit must be 1 to " + MAX_LIMIT + ", got " + limit);
        }
        return limit.intValue();
    }

    // Embedding a query and waiting for a tombstone to be applied both block: off the event loop.
    private void answer(RoutingContext ctx, Callable<JsonObject> work) {
        Future<JsonObject> done = vertx.executeBlocking(work, false);
        done.onSuccess(body -> JsonReply.send(ctx, 200, body)).onFailure(cause -> {
            if (cause instanceof HttpFailure failure) {
                JsonReply.error(ctx, failure.status(), failure.getMessage());
            } else if (cause instanceof MemoryIndex.UnsearchableText unsearchable) {
                JsonReply.error(ctx, 400, "q: " + unsearchable.getMessage());
            } else {
                JsonReply.error(ctx, 503, "memory is unavailable: " + cause.getMessage());
            }
        });
    }

    static JsonObject json(MemoryRecord record) {
        JsonObject json = new JsonObject()
                .put("id", record.getId())
                .put("user", MemoryKey.userPart(record.getUserId()))
                .put("kind", record.getKind().name().toLowerCase(Locale.ROOT))
                .put("text", record.getText())
                .put("createdAtMs", record.getCreatedAtMs());
        if (record.getEntity() != null) {
            json.put("entity", record.getEntity());
        }
        List<String> relations = record.getRelations();
        if (!relations.isEmpty()) {
            json.put("relations", new JsonArray(List.copyOf(relations)));
        }
        if (record.getSourceSessionId() != null) {
            json.put("sourceSession", record.getSourceSessionId());
        }
        if (record.getSourceTurnId() != null) {
            json.put("sourceTurn", record.getSourceTurnId());
        }
        return json;
    }
}
