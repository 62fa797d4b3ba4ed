package dev.skein.memory;

import dev.skein.events.MemoryKind;
import java.util.Objects;
import java.util.Set;

/**
 * What to recall or list: always within one tenant; {@code users} the user parts of keys that may
 * match (a user's own id and {@code *} for a turn's recall; null for any, only for a tenant's
 * administrator); the rest are optional filters. With {@code text}, results are the {@code limit}
 * nearest by vector similarity; without, the newest first.
 */
public record MemoryQuery(
        String tenant,
        Set<String> users,
        Set<MemoryKind> kinds,
        String entity,
        Long sinceMs,
        Long untilMs,
        String text,
        int limit) {

    public MemoryQuery {
        Objects.requireNonNull(tenant, "tenant");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        users = users == null ? null : Set.copyOf(users);
        kinds = kinds == null || kinds.isEmpty() ? null : Set.copyOf(kinds);
    }

    /** What a turn of {@code userId} (null: no user) may recall: its own memories and the tenant's. */
    public static MemoryQuery recall(String tenant, String userId, String text, int limit) {
        Set<String> users = userId == null ? Set.of(MemoryKey.WHOLE_TENANT) : Set.of(userId, MemoryKey.WHOLE_TENANT);
        return new MemoryQuery(tenant, users, null, null, null, null, text, limit);
    }

    public MemoryQuery withKinds(Set<MemoryKind> kinds) {
        return new MemoryQuery(tenant, users, kinds, entity, sinceMs, untilMs, text, limit);
    }

    public MemoryQuery withEntity(String entity) {
        return new MemoryQuery(tenant, users, kinds, entity, sinceMs, untilMs, text, limit);
    }

    public MemoryQuery withTime(Long sinceMs, Long untilMs) {
        return new MemoryQuery(tenant, users, kinds, entity, sinceMs, untilMs, text, limit);
    }
}
