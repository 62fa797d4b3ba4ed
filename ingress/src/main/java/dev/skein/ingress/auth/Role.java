package dev.skein.ingress.auth;

import dev.skein.schemas.ClientText;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a credential may do. A credential carries one or more; what each role allows is
 * {@link Permission}'s table.
 */
public enum Role {
    /** Everything: every tenant (by the tenant header), the worker pools, metrics, registering schemas. */
    OPERATOR,
    /** One tenant's own sessions: post turns, read, stream, cancel, approve, deny, clear. */
    USER,
    /** One tenant's own sessions, read only: history and streams, no turns or commands. */
    READER;

    /** The name in configuration, credentials and messages: {@code operator}, {@code user}, {@code reader}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the roles there are */
    public static Role parse(String text) {
        for (Role role : values()) {
            if (role.label().equals(text == null ? null : text.trim().toLowerCase(Locale.ROOT))) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role " + ClientText.quote(text) + "; the roles are "
                + Arrays.stream(values()).map(Role::label).collect(Collectors.joining(", ")));
    }

    /** Each of {@code texts} parsed; at least one. */
    public static Set<Role> parseAll(Iterable<String> texts) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String text : texts) {
            roles.add(parse(text));
        }
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("a credential needs at least one role: operator, user or reader");
        }
        return roles;
    }
}
