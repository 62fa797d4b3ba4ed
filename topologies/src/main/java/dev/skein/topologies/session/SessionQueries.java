package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries of the session stores of a running {@link KafkaStreams} instance.
 *
 * <p>Answers from this instance's stores only: a session owned by another instance is reported
 * as unknown (forwarding to the owner is not built yet).
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
        return Optional.ofNullable(metaStore().get(address));
    }

    public Optional<Session> session(String address) {
        SessionMeta meta = metaStore().get(address);
        if (meta == null) {
            return Optional.empty();
        }
        return Optional.of(new Session(meta, SessionHistory.all(messageStore(), address, meta)));
    }

    private ReadOnlyKeyValueStore<String, SessionMeta> metaStore() {
        return streams.store(StoreQueryParameters.fromNameAndType(
                SessionStores.META, QueryableStoreTypes.<String, SessionMeta>keyValueStore()));
    }

    private ReadOnlyKeyValueStore<Bytes, ChatMessage> messageStore() {
        return streams.store(StoreQueryParameters.fromNameAndType(
                SessionStores.MESSAGES, QueryableStoreTypes.<Bytes, ChatMessage>keyValueStore()));
    }
}
