package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Reads a session's messages from {@link SessionStores#MESSAGES}, in sequence order. */
public final class SessionHistory {

    private SessionHistory() {}

    /** Every message of the session, oldest first. */
    public static List<ChatMessage> all(
            ReadOnlyKeyValueStore<Bytes, ChatMessage> store, String address, SessionMeta meta) {
        List<ChatMessage> messages = new ArrayList<>();
        if (meta.getNextSequence() <= meta.getFirstSequence()) {
            return messages;
        }
        try (KeyValueIterator<Bytes, ChatMessage> it = store.range(
                SessionStores.messageKey(address, meta.getFirstSequence()),
                SessionStores.messageKey(address, meta.getNextSequence() - 1))) {
            it.forEachRemaining(kv -> messages.add(kv.value));
        }
        return messages;
    }
}
