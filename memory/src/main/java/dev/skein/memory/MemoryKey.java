package dev.skein.memory;

import dev.skein.events.MemoryRecord;

/** Keys of the memories topic: {@code <tenant>/<userId or *>/<id>}. */
public final class MemoryKey {

    /** The user part of the key of a memory of the whole tenant. */
    public static final String WHOLE_TENANT = "*";

    private MemoryKey() {}

    public static String of(String tenant, String userId, String id) {
        if (tenant.contains("/") || (userId != null && (userId.contains("/") || userId.equals(WHOLE_TENANT)))) {
            throw new IllegalArgumentException("a memory's tenant and user may not contain '/' (and no user is '*')");
        }
        return tenant + "/" + userPart(userId) + "/" + id;
    }

    public static String of(MemoryRecord record) {
        return of(record.getTenant(), record.getUserId(), record.getId());
    }

    public static String userPart(String userId) {
        return userId == null ? WHOLE_TENANT : userId;
    }
}
