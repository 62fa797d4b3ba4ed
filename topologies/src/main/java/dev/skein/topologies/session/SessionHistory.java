package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
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

    /**
     * The last {@code limit} messages, oldest first, never starting with a tool result whose
     * assistant call was cut off (providers reject a tool message without its call).
     */
    public static List<ChatMessage> window(
            ReadOnlyKeyValueStore<Bytes, ChatMessage> store, String address, SessionMeta meta, int limit) {
        Deque<ChatMessage> window = new ArrayDeque<>();
        if (meta.getNextSequence() <= meta.getFirstSequence()) {
            return List.of();
        }
        try (KeyValueIterator<Bytes, ChatMessage> it = store.reverseRange(
                SessionStores.messageKey(address, meta.getFirstSequence()),
                SessionStores.messageKey(address, meta.getNextSequence() - 1))) {
            while (it.hasNext() && window.size() < limit) {
                KeyValue<Bytes, ChatMessage> kv = it.next();
                window.addFirst(kv.value);
            }
        }
        while (!window.isEmpty() && window.peekFirst().getRole() == dev.skein.events.Role.TOOL) {
            window.removeFirst();
        }
        return new ArrayList<>(window);
    }
}
