package dev.skein.ingress.auth;

import java.util.EnumSet;
import java.util.Set;

/** What a request needs, and which {@link Role}s grant it. */
public enum Permission {
    /** {@code GET .../history}, the session's WebSocket stream (watching it). */
    READ_SESSION(Role.OPERATOR, Role.USER, Role.READER),
    /** Post a turn (HTTP or over the WebSocket); cancel, approve, deny, clear. */
    WRITE_SESSION(Role.OPERATOR, Role.USER),
    /** {@code GET /v1/tools}: the tools the caller's tenant may use. */
    LIST_TOOLS(Role.OPERATOR, Role.USER, Role.READER),
    /** {@code GET /v1/workers}: the worker pools of every tenant. */
    LIST_WORKERS(Role.OPERATOR),
    /** {@code GET /metrics}: counters of every tenant. */
    SCRAPE_METRICS(Role.OPERATOR),
    /** The schema registry's reads and look-ups, which serializers of any client need. */
    READ_SCHEMAS(Role.OPERATOR, Role.USER, Role.READER),
    /** Registering a schema: it changes what every reader of a topic must accept. */
    REGISTER_SCHEMAS(Role.OPERATOR);

    private final Set<Role> grantedTo;

    Permission(Role first, Role... rest) {
        this.grantedTo = EnumSet.of(first, rest);
    }

    /** Whether any of {@code roles} grants this permission. */
    public boolean grantedToAny(Set<Role> roles) {
        return roles.stream().anyMatch(grantedTo::contains);
    }
}
