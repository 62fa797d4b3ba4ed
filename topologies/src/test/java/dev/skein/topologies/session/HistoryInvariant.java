package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolCall;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The promise a session's history keeps, whatever path its turns took: sequences strictly increase
 * within {@code [firstSequence, nextSequence)}, each message is stored under its own sequence, and
 * the only holes are the messages a rollback removed: the history holds exactly {@code nextSequence
 * - firstSequence - rolledBackMessages} messages (so no gap appears without a rollback, and no
 * sequence is used twice). Every tool message answers a call of an earlier assistant message of
 * its turn, once.
 */
final class HistoryInvariant {

    private HistoryInvariant() {}

    static void assertWellFormed(TopologyTestDriver driver) {
        KeyValueStore<String, SessionMeta> metas = driver.getKeyValueStore(SessionStores.META);
        KeyValueStore<Bytes, ChatMessage> messages = driver.getKeyValueStore(SessionStores.MESSAGES);
        try (KeyValueIterator<String, SessionMeta> it = metas.all()) {
            it.forEachRemaining(entry -> assertWellFormed(entry.key, entry.value, messages));
        }
    }

    static void assertWellFormed(String address, SessionMeta meta, KeyValueStore<Bytes, ChatMessage> store) {
        List<ChatMessage> history = SessionHistory.all(store, address, meta);
        assertThat(history.size())
                .as(
                        "session %s: messages in [%d, %d) with %d rolled back",
                        address, meta.getFirstSequence(), meta.getNextSequence(), meta.getRolledBackMessages())
                .isEqualTo(meta.getNextSequence() - meta.getFirstSequence() - meta.getRolledBackMessages());
        long previous = meta.getFirstSequence() - 1;
        Set<String> called = new HashSet<>();
        Set<String> answered = new HashSet<>();
        for (ChatMessage message : history) {
            assertThat(message.getSequence())
                    .as("session %s: sequence after %d", address, previous)
                    .isGreaterThan(previous)
                    .isLessThan(meta.getNextSequence());
            assertThat(store.get(SessionStores.messageKey(address, message.getSequence())))
                    .isEqualTo(message);
            previous = message.getSequence();
            for (ToolCall call : message.getToolCalls()) {
                called.add(message.getTurnId() + "/" + call.getCallId());
            }
            if (message.getRole() == Role.TOOL) {
                String id = message.getTurnId() + "/" + message.getToolCallId();
                assertThat(called)
                        .as("session %s: tool message %d answers a call", address, previous)
                        .contains(id);
                assertThat(answered.add(id))
                        .as("session %s: call %s answered once", address, id)
                        .isTrue();
            }
        }
    }
}
