package dev.skein.ingress.auth;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Where the ingress looks API keys up by id; called on the event loop, so it answers from memory. */
@FunctionalInterface
public interface ApiKeyStore {

    /** No keys at all. */
    ApiKeyStore NONE = id -> Optional.empty();

    Optional<StoredKey> find(String id);

    /** The keys given in the configuration. */
    static ApiKeyStore of(List<StoredKey> keys) {
        Map<String, StoredKey> byId =
                keys.stream().collect(Collectors.toUnmodifiableMap(StoredKey::id, Function.identity()));
        return id -> Optional.ofNullable(byId.get(id));
    }

    /** This store first, then {@code other}: configured keys before the topic's, so a topic cannot override them. */
    default ApiKeyStore or(ApiKeyStore other) {
        return id -> find(id).or(() -> other.find(id));
    }
}
