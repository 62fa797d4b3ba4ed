package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import java.util.UUID;

/**
 * An A2A task of Skein: its id is {@code <contextId>~<rootTurnId>}, the session and the turn that
 * started it, so that {@code GetTask} and {@code CancelTask}, which carry only the id, find the
 * session without an index of their own (the tenant comes from the caller, as for every session).
 * A message that continues a task waiting for input becomes a turn {@code <rootTurnId>.<n>}: every
 * turn of the task starts with its root.
 *
 * @param contextId the session id
 * @param rootTurnId the id of the task's first turn; no {@code .} in it
 */
record A2aTaskId(String contextId, String rootTurnId) {

    private static final char SEPARATOR = '~';

    A2aTaskId {
        if (!SessionAddress.isValidPart(contextId) || !SessionAddress.isValidPart(rootTurnId)) {
            throw new IllegalArgumentException("invalid task id parts");
        }
    }

    /** A new task in {@code contextId}. */
    static A2aTaskId start(String contextId) {
        return new A2aTaskId(contextId, UUID.randomUUID().toString());
    }

    /** @throws A2aError not found when {@code id} is not a task id this server hands out */
    static A2aTaskId parse(String id) {
        int at = id == null ? -1 : id.indexOf(SEPARATOR);
        if (at <= 0 || at == id.length() - 1 || id.indexOf('.', at) >= 0) {
            throw A2aError.taskNotFound(
                    "no task " + ClientText.quote(id) + ": Skein's task ids look like <contextId>~<uuid>");
        }
        try {
            return new A2aTaskId(id.substring(0, at), id.substring(at + 1));
        } catch (IllegalArgumentException e) {
            throw A2aError.taskNotFound(
                    "no task " + ClientText.quote(id) + ": Skein's task ids look like <contextId>~<uuid>");
        }
    }

    /** Whether the turn {@code turnId} belongs to this task. */
    boolean owns(String turnId) {
        return turnId != null && (turnId.equals(rootTurnId) || turnId.startsWith(rootTurnId + "."));
    }

    /** The id of a turn that continues this task. */
    String continuationTurnId() {
        return rootTurnId + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    SessionAddress address(String tenant) {
        return new SessionAddress(tenant, contextId);
    }

    @Override
    public String toString() {
        return contextId + SEPARATOR + rootTurnId;
    }
}
