package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code ListTasks} (A2A 1.0, section 3.1.4) from the sessions of the caller's tenant: with
 * {@code contextId}, the tasks of that session; without, those of the tenant's most recently active
 * sessions ({@link #SESSIONS_SCANNED}, from the cluster-wide session listing), each session read
 * where it is held. Tasks come most recently updated first; the page token is a cursor (the last
 * task's status time and id), so a page does not shift when newer tasks arrive.
 */
final class A2aTaskList {

    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 100;
    /** Without contextId, how many of the tenant's sessions (newest activity first) are looked at. */
    static final int SESSIONS_SCANNED = 100;

    private static final Comparator<JsonObject> ORDER = Comparator.<JsonObject>comparingLong(A2aTaskList::updatedAt)
            .reversed()
            .thenComparing(task -> task.getString("id"));

    private final A2aService service;
    private final A2aSessionReads reads;
    private final SessionListEndpoint listing;

    A2aTaskList(A2aService service, A2aSessionReads reads, SessionListEndpoint listing) {
        this.service = service;
        this.reads = reads;
        this.listing = listing;
    }

    /** The request's filters, checked. */
    record Query(
            String contextId,
            String status,
            int pageSize,
            Cursor after,
            Integer historyLength,
            long updatedAfterMs,
            boolean includeArtifacts) {

        static Query parse(JsonObject params) {
            String contextId = A2aSendRequest.string(params, "contextId");
            if (contextId != null && !contextId.isEmpty() && !SessionAddress.isValidPart(contextId)) {
                throw A2aError.invalidParams("contextId " + ClientText.quote(contextId)
                        + " names no Skein session: 1 to 128 of the" + " characters A-Z a-z 0-9 . _ -");
            }
            String status = A2aSendRequest.string(params, "status");
            if (status != null
                    && !status.isEmpty()
                    && !status.equals("TASK_STATE_UNSPECIFIED")
                    && !A2aJson.STATES.contains(status)) {
                throw A2aError.invalidParams(
                        "status " + ClientText.quote(status) + " is not a TaskState; one of " + A2aJson.STATES);
            }
            Integer size = whole(params, "pageSize");
            if (size != null && (size < 1 || size > MAX_PAGE_SIZE)) {
                throw A2aError.invalidParams("pageSize must be 1 to " + MAX_PAGE_SIZE + ", got " + size);
            }
            Integer history = whole(params, "historyLength");
            if (history != null && history < 0) {
                throw A2aError.invalidParams("historyLength must be at least 0, got " + history);
            }
            String token = A2aSendRequest.string(params, "pageToken");
            String after = A2aSendRequest.string(params, "statusTimestampAfter");
            long afterMs = 0;
            if (after != null && !after.isEmpty()) {
                try {
                    afterMs = Instant.parse(after).toEpochMilli();
                } catch (DateTimeParseException e) {
                    throw A2aError.invalidParams("statusTimestampAfter must be an RFC 3339 time such as"
                            + " 2026-10-27T10:00:00Z, got " + ClientText.quote(after));
                }
            }
            Object artifacts = params.getValue("includeArtifacts");
            if (artifacts != null && !(artifacts instanceof Boolean)) {
                throw A2aError.invalidParams("includeArtifacts must be a boolean");
            }
            return new Query(
                    contextId == null || contextId.isEmpty() ? null : contextId,
                    status == null || status.isEmpty() || status.equals("TASK_STATE_UNSPECIFIED") ? null : status,
                    size == null ? DEFAULT_PAGE_SIZE : size,
                    token == null || token.isEmpty() ? null : Cursor.decode(token),
                    history,
                    afterMs,
                    Boolean.TRUE.equals(artifacts));
        }

        private static Integer whole(JsonObject params, String field) {
            Object value = params.getValue(field);
            if (value == null) {
                return null;
            }
            if (value instanceof Integer n) {
                return n;
            }
            // The HTTP+JSON binding's query parameters arrive as text.
            if (value instanceof String text) {
                try {
                    return Integer.parseInt(text);
                } catch (NumberFormatException e) {
                    // answered below
                }
            }
            throw A2aError.invalidParams(
                    field + " must be a whole number, got " + ClientText.quote(String.valueOf(value)));
        }
    }

    /** Where a page ended: the last task's status time and id. Opaque to clients. */
    record Cursor(long updatedAtMs, String taskId) {
        String encode() {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString((updatedAtMs + ":" + taskId).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String token) {
            try {
                String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
                int colon = text.indexOf(':');
                return new Cursor(Long.parseLong(text.substring(0, colon)), text.substring(colon + 1));
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw A2aError.invalidParams("pageToken is not one this server gave out (take nextPageToken of"
                        + " the previous answer as it is)");
            }
        }

        boolean before(JsonObject task) {
            return ORDER.compare(new JsonObject().put("id", taskId).put("updatedAtMs", updatedAtMs), task) < 0;
        }
    }

    Future<JsonObject> list(RoutingContext ctx, JsonObject params) {
        A2aTenancy.resolve(ctx, params);
        Query query = Query.parse(params);
        String tenant = Caller.of(ctx).tenant();
        Future<List<String>> contexts = query.contextId() != null
                ? Future.succeededFuture(List.of(query.contextId()))
                : listing.listing(
                                ctx, tenant, SessionQuery.parse(null, null, null, String.valueOf(SESSIONS_SCANNED), 0))
                        .map(page -> page.getJsonArray("sessions").stream()
                                .map(s -> ((JsonObject) s).getString("session"))
                                .toList());
        return contexts.compose(ids -> {
            List<Future<List<JsonObject>>> reading = new ArrayList<>();
            for (String id : ids) {
                SessionAddress address = new SessionAddress(tenant, id);
                reading.add(reads.history(ctx, address).map(history -> tasksOf(address, history)));
            }
            return Future.all(reading).map(all -> page(query, reading));
        });
    }

    private List<JsonObject> tasksOf(SessionAddress address, JsonObject history) {
        if (history == null) {
            return List.of();
        }
        Set<String> roots = new LinkedHashSet<>();
        history.getJsonArray("messages", new JsonArray())
                .forEach(m -> roots.add(root(((JsonObject) m).getString("turnId"))));
        roots.add(root(history.getString("activeTurnId")));
        history.getJsonArray("queuedTurnIds", new JsonArray()).forEach(id -> roots.add(root((String) id)));
        history.getJsonArray("finishedTurnIds", new JsonArray()).forEach(id -> roots.add(root((String) id)));
        roots.remove(null);
        List<JsonObject> tasks = new ArrayList<>();
        for (String root : roots) {
            A2aTaskId id;
            try {
                id = new A2aTaskId(address.sessionId(), root);
            } catch (IllegalArgumentException e) {
                continue; // a /v1 turn id that cannot be an A2A task id: not listed
            }
            JsonObject task = service.taskOf(id, address, history);
            if (task != null) {
                tasks.add(task);
            }
        }
        return tasks;
    }

    private static JsonObject page(Query query, List<Future<List<JsonObject>>> reading) {
        List<JsonObject> matching = new ArrayList<>();
        for (Future<List<JsonObject>> read : reading) {
            for (JsonObject task : read.result()) {
                if ((query.status() == null || query.status().equals(A2aJson.stateOf(task)))
                        && updatedAt(task) >= query.updatedAfterMs()) {
                    matching.add(task);
                }
            }
        }
        matching.sort(ORDER);
        List<JsonObject> after = query.after() == null
                ? matching
                : matching.stream().filter(query.after()::before).toList();
        List<JsonObject> page = after.subList(0, Math.min(query.pageSize(), after.size()));
        JsonArray tasks = new JsonArray();
        for (JsonObject task : page) {
            tasks.add(shaped(task, query));
        }
        String next = after.size() > page.size()
                ? new Cursor(updatedAt(page.getLast()), page.getLast().getString("id")).encode()
                : "";
        return new JsonObject()
                .put("tasks", tasks)
                .put("nextPageToken", next)
                .put("pageSize", query.pageSize())
                .put("totalSize", matching.size());
    }

    /** The spec: artifacts left out entirely unless asked for; history cut to {@code historyLength}. */
    private static JsonObject shaped(JsonObject task, Query query) {
        JsonObject copy = task.copy();
        if (!query.includeArtifacts()) {
            copy.remove("artifacts");
        } else if (!copy.containsKey("artifacts")) {
            copy.put("artifacts", new JsonArray());
        }
        JsonArray history = copy.getJsonArray("history");
        if (query.historyLength() != null && history != null) {
            int from = Math.max(0, history.size() - query.historyLength());
            copy.put("history", new JsonArray(new ArrayList<>(history.getList().subList(from, history.size()))));
        }
        return copy;
    }

    private static long updatedAt(JsonObject task) {
        Long cached = task.getLong("updatedAtMs");
        if (cached != null) {
            return cached;
        }
        return Instant.parse(task.getJsonObject("status").getString("timestamp"))
                .toEpochMilli();
    }

    private static String root(String turnId) {
        if (turnId == null) {
            return null;
        }
        int dot = turnId.indexOf('.');
        return dot < 0 ? turnId : turnId.substring(0, dot);
    }
}
