package dev.skein.ingress;

import dev.skein.events.SessionMeta;
import dev.skein.events.TurnTrace;
import dev.skein.schemas.SessionAddress;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where sessions live among the instances that share the session topology, and what this
 * instance's own stores hold. The ingress reads locally what is here and forwards the rest to the
 * owner ({@link Forwarder}); with one instance everything is here ({@link #single}).
 *
 * <p>Every method may block (interactive queries, metadata): the ingress calls them on a worker
 * thread. An {@link IllegalStateException} or a Kafka exception means "not now" (a rebalance, a
 * restore): the client gets 503 with its message.
 */
public interface SessionDirectory {

    /** Who holds a session's state now. */
    enum Kind {
        /** This instance's active task: read here. */
        LOCAL,
        /** Another instance's active task: forward to {@link Location#active()}. */
        REMOTE,
        /** No instance, for now: the group is rebalancing. */
        UNAVAILABLE
    }

    /**
     * @param active the owner's base URL; null unless {@link Kind#REMOTE}
     * @param standbys base URLs of the instances holding a standby copy (this one included, if it does)
     */
    record Location(Kind kind, URI active, List<URI> standbys) {
        public Location {
            Objects.requireNonNull(kind, "kind");
            standbys = List.copyOf(standbys);
        }

        public static Location local() {
            return new Location(Kind.LOCAL, null, List.of());
        }
    }

    /**
     * What one instance's active tasks hold of a tenant's sessions, filtered and cut by the query.
     *
     * @param partitions the session partitions this answer covers (the instance's active ones)
     */
    record Listing(List<SessionMeta> sessions, Set<Integer> partitions) {
        public Listing {
            sessions = List.copyOf(sessions);
            partitions = Set.copyOf(partitions);
        }
    }

    Location locate(SessionAddress address);

    /**
     * The session as this instance's stores hold it; empty when they hold nothing of it.
     *
     * @param standbyAllowed also read a standby copy, which may lag its active task
     */
    Optional<SessionView> read(SessionAddress address, boolean standbyAllowed);

    /**
     * The decision trace of turn {@code turnId} as this instance's stores hold it; empty when they
     * hold none. A directory that keeps no traces has none.
     *
     * @param standbyAllowed also read a standby copy, which may lag its active task
     */
    default Optional<TurnTrace> trace(SessionAddress address, String turnId, boolean standbyAllowed) {
        return Optional.empty();
    }

    /** A tenant's sessions in this instance's active tasks that the query selects, at most its limit. */
    Listing list(String tenant, SessionQuery query);

    /** The base URL of every instance of the topology, this one included. */
    List<URI> instances();

    /** This instance's base URL, as the others reach it. */
    URI self();

    /** The number of session partitions: a listing is complete when its answers cover them all. */
    int partitions();

    /** A directory of one instance, which holds every session: reads go to {@code reader}. */
    static SessionDirectory single(HistoryReader reader, SessionLister lister) {
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(lister, "lister");
        URI self = URI.create("http://localhost");
        return new SessionDirectory() {
            @Override
            public Location locate(SessionAddress address) {
                return Location.local();
            }

            @Override
            public Optional<SessionView> read(SessionAddress address, boolean standbyAllowed) {
                return reader.read(address);
            }

            @Override
            public Optional<TurnTrace> trace(SessionAddress address, String turnId, boolean standbyAllowed) {
                return reader.trace(address, turnId);
            }

            @Override
            public Listing list(String tenant, SessionQuery query) {
                return new Listing(query.select(lister.sessions(tenant)), Set.of(0));
            }

            @Override
            public List<URI> instances() {
                return List.of(self);
            }

            @Override
            public URI self() {
                return self;
            }

            @Override
            public int partitions() {
                return 1;
            }
        };
    }

    /** Every session of a tenant that one store holds, in any order (for {@link #single}). */
    @FunctionalInterface
    interface SessionLister {
        SessionLister NONE = tenant -> java.util.stream.Stream.empty();

        java.util.stream.Stream<SessionMeta> sessions(String tenant);
    }
}
