package dev.skein.app.runtime;

import dev.skein.events.SessionMeta;
import dev.skein.events.TurnTrace;
import dev.skein.ingress.SessionDirectory;
import dev.skein.ingress.SessionQuery;
import dev.skein.ingress.SessionView;
import dev.skein.schemas.SessionAddress;
import dev.skein.topologies.session.SessionQueries;
import dev.skein.topologies.session.SessionStores;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The session directory of a Kafka Streams instance: Kafka Streams' own metadata says which
 * instance (by its {@code application.server}, the HTTP address it advertises) holds each
 * session partition, actively or as a standby.
 */
public final class StreamsSessionDirectory implements SessionDirectory {

    private static final StringSerializer KEYS = new StringSerializer();

    private final KafkaStreams streams;
    private final SessionQueries queries;
    private final HostInfo self;
    private final String scheme;
    private final int partitions;
    private volatile Set<Integer> activeCache = Set.of();
    private volatile long activeAt = System.nanoTime() - 2_000_000_000L;

    /**
     * @param self what this instance advertises ({@code application.server})
     * @param scheme {@code http} or {@code https}, the same for every instance
     */
    StreamsSessionDirectory(KafkaStreams streams, HostInfo self, String scheme, int partitions) {
        this.streams = streams;
        this.queries = new SessionQueries(streams);
        this.self = self;
        this.scheme = scheme;
        this.partitions = partitions;
    }

    @Override
    public Location locate(SessionAddress address) {
        KeyQueryMetadata where = streams.queryMetadataForKey(SessionStores.META, address.toString(), KEYS);
        if (where == null || where.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return new Location(Kind.UNAVAILABLE, null, List.of());
        }
        List<URI> standbys = where.standbyHosts().stream().map(this::url).toList();
        return where.activeHost().equals(self)
                ? new Location(Kind.LOCAL, null, standbys)
                : new Location(Kind.REMOTE, url(where.activeHost()), standbys);
    }

    @Override
    public Optional<SessionView> read(SessionAddress address, boolean standbyAllowed) {
        return queries.session(address.toString(), standbyAllowed).map(s -> new SessionView(s.meta(), s.messages()));
    }

    @Override
    public Optional<TurnTrace> trace(SessionAddress address, String turnId, boolean standbyAllowed) {
        return queries.trace(address.toString(), turnId, standbyAllowed);
    }

    /**
     * Whether this instance holds session partition {@code partition} actively, as of at most a
     * second ago (asked for every completion the ingress reads: Kafka Streams' answer is cached).
     */
    public boolean holdsActive(int partition) {
        long now = System.nanoTime();
        if (now - activeAt > 1_000_000_000L) {
            activeCache = activePartitions();
            activeAt = now;
        }
        return activeCache.contains(partition);
    }

    private Set<Integer> activePartitions() {
        Set<Integer> active = new TreeSet<>();
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                active.add(task.taskId().partition());
            }
        }
        return active;
    }

    @Override
    public Listing list(String tenant, SessionQuery query) {
        Set<Integer> active = activePartitions();
        List<SessionMeta> found = new ArrayList<>();
        for (int partition : active) {
            found.addAll(queries.sessionsOf(tenant, partition, query::selects));
        }
        return new Listing(query.select(found.stream()), active);
    }

    @Override
    public List<URI> instances() {
        Set<URI> all = new LinkedHashSet<>();
        all.add(self());
        for (StreamsMetadata instance : streams.metadataForAllStreamsClients()) {
            all.add(url(instance.hostInfo()));
        }
        return List.copyOf(all);
    }

    @Override
    public URI self() {
        return url(self);
    }

    @Override
    public int partitions() {
        return partitions;
    }

    private URI url(HostInfo host) {
        String name = host.host().contains(":") ? "[" + host.host() + "]" : host.host();
        return URI.create(scheme + "://" + name + ":" + host.port());
    }
}
