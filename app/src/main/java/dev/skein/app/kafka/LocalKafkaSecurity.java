package dev.skein.app.kafka;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.ScramMechanism;

/**
 * A secured local broker: its client listener takes SASL over TLS only (SCRAM, with a certificate
 * made for the broker), and an ACL authorizer refuses what no ACL allows, except to super users.
 * The users and their passwords are created on every start, so a changed password takes effect.
 *
 * <p>Only for {@link LocalKafka}; a real cluster is secured by its operators (docs/security.md).
 *
 * @param mechanism SCRAM-SHA-256 or SCRAM-SHA-512
 * @param users name to password
 * @param superUsers the users that every ACL check lets through
 */
public record LocalKafkaSecurity(ScramMechanism mechanism, Map<String, String> users, Set<String> superUsers) {

    /** The broker's own principal, on its internal listeners; not a name for a client. */
    static final String BROKER_USER = "broker";

    // SCRAM names are escaped in the protocol ('=' and ','): a plain alphabet keeps ACL principals readable.
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public LocalKafkaSecurity {
        Objects.requireNonNull(mechanism, "mechanism");
        if (mechanism == ScramMechanism.UNKNOWN) {
            throw new IllegalArgumentException("mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512");
        }
        users.forEach((name, password) -> {
            if (!USER_NAME.matcher(name).matches() || name.equals(BROKER_USER)) {
                throw new IllegalArgumentException("user name '" + name + "' must match " + USER_NAME + " and not be '"
                        + BROKER_USER + "' (the broker's own)");
            }
            if (password == null || password.isEmpty()) {
                throw new IllegalArgumentException("user " + name + " needs a password");
            }
        });
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a secured broker needs at least one user");
        }
        for (String superUser : superUsers) {
            if (!users.containsKey(superUser)) {
                throw new IllegalArgumentException("super user " + superUser + " is not one of the users");
            }
        }
        users = Map.copyOf(users);
        superUsers = Set.copyOf(superUsers);
    }

    /** One super user, with {@code password}, on a SASL_SSL listener with {@code mechanism}. */
    public static LocalKafkaSecurity scramOverTls(ScramMechanism mechanism, String superUser, String password) {
        return new LocalKafkaSecurity(mechanism, Map.of(superUser, password), Set.of(superUser));
    }

    /** Adds a user that may do only what ACLs grant it. */
    public LocalKafkaSecurity withUser(String name, String password) {
        Map<String, String> more = new LinkedHashMap<>(users);
        if (more.put(name, password) != null) {
            throw new IllegalArgumentException("user " + name + " is there already");
        }
        return new LocalKafkaSecurity(mechanism, more, new LinkedHashSet<>(superUsers));
    }

    /** {@code SCRAM-SHA-512}: the name clients give as {@code sasl.mechanism}. */
    public String mechanismName() {
        return mechanism.mechanismName();
    }

    @Override
    public String toString() {
        return "LocalKafkaSecurity[" + mechanismName() + ", users " + users.keySet() + ", super users " + superUsers
                + "]";
    }
}
