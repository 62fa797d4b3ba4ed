package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.TurnTrace;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries of the session stores of a running {@link KafkaStreams} instance: this
 * instance's stores only (the ingress forwards reads of sessions held elsewhere to their owner).
 *
 * @throws InvalidStateStoreException (from each method) while the stores are not ready, for
 *     example during restoration after a restart; callers answer 503 and the client retries
 */
public final class SessionQueries {

    /** A session's state and history as read together. */
    public record Session(SessionMeta meta, List<ChatMessage> messages) {}

    private final KafkaStreams streams;

    public SessionQueries(KafkaStreams streams) {
        this.streams = streams;
    }

    public Optional<SessionMeta> meta(String address) {
        return Optional.ofNullable(metaStore(false).get(address));
    }

    /** The session as this instance's active stores hold it. */
    public Optional<Session> session(String address) {
        return session(address, false);
    }

    /**
     * @param standbyToo also read the standby copies this instance keeps, which may lag their active
     *     task (Kafka Streams' "stale stores")
     */
    public Optional<Session> session(String address, boolean standbyToo) {
        SessionMeta meta = metaStore(standbyToo).get(address);
        if (meta == null) {
            return Optional.empty();
        }
        return Optional.of(new Session(meta, SessionHistory.all(messageStore(standbyToo), address, meta)));
    }

    /**
     * The decision trace of turn {@code turnId} of the session at {@code address} ({@link SessionStores#TRACES}).
     *
     * @param standbyToo also read the standby copies this instance keeps
     */
    public Optional<TurnTrace> trace(String address, String turnId, boolean standbyToo) {
        StoreQueryParameters<ReadOnlyKeyValueStore<Bytes, TurnTrace>> query =
                StoreQueryParameters.fromNameAndType(SessionStores.TRACES, QueryableStoreTypes.keyValueStore());
        return Optional.ofNullable(streams.store(standbyToo ? query.enableStaleStores() : query)
                .get(SessionStores.traceKey(address, turnId)));
    }

    /**
     * The sessions of {@code tenant} in the active store of session partition {@code partition}
     * that {@code wanted} accepts: one range of the meta store (its keys start with the tenant).
     */
    public List<SessionMeta> sessionsOf(String tenant, int partition, Predicate<SessionMeta> wanted) {
        ReadOnlyKeyValueStore<String, SessionMeta> store = streams.store(StoreQueryParameters.fromNameAndType(
                        SessionStores.META, QueryableStoreTypes.<String, SessionMeta>keyValueStore())
                .withPartition(partition));
        List<SessionMeta> found = new ArrayList<>();
        try (KeyValueIterator<String, SessionMeta> range = store.prefixScan(tenant + "/", new StringSerializer())) {
            while (range.hasNext()) {
                KeyValue<String, SessionMeta> next = range.next();
                if (wanted.test(next.value)) {
                    found.add(next.value);
                }
            }
        }
        return found;
    }

    private ReadOnlyKeyValueStore<String, SessionMeta> metaStore(boolean stale) {
        StoreQueryParameters<ReadOnlyKeyValueStore<String, SessionMeta>> query =
                StoreQueryParameters.fromNameAndType(SessionStores.META, QueryableStoreTypes.keyValueStore());
        return streams.store(stale ? query.enableStaleStores() : query);
    }

    private ReadOnlyKeyValueStore<Bytes, ChatMessage> messageStore(boolean stale) {
        StoreQueryParameters<ReadOnlyKeyValueStore<Bytes, ChatMessage>> query =
                StoreQueryParameters.fromNameAndType(SessionStores.MESSAGES, QueryableStoreTypes.keyValueStore());
        return streams.store(stale ? query.enableStaleStores() : query);
    }
}
