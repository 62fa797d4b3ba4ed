package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.SessionMeta;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The promise every path of the state machine keeps: each turn id accepted into the topology ends
 * with exactly one {@link TurnCompleted}, and no completion names a turn that was never requested.
 * A test pipes its turns and reads its responses through this ledger's {@link TurnsInput} and
 * {@link ResponsesOutput}, which behave like the test driver's topics and remember every record;
 * {@link #assertEveryTurnCompletedOnce} then drives the turns still running past their deadlines
 * and checks the promise, and then that every session's history is well formed ({@link HistoryInvariant}).
 */
final class CompletionLedger {

    /** The turns input, remembering every turn piped. */
    final class TurnsInput {
        private final TestInputTopic<String, TurnRequested> topic;

        private TurnsInput(TestInputTopic<String, TurnRequested> topic) {
            this.topic = topic;
        }

        void pipeInput(String key, TurnRequested turn) {
            // Accepted: the processor dead-letters a null value and a key that names another session.
            if (turn != null && key != null && key.equals(turn.getTenant() + "/" + turn.getSessionId())) {
                accepted.add(id(key, turn.getTurnId()));
            }
            topic.pipeInput(key, turn);
        }
    }

    /** The responses output, remembering every completion read. */
    final class ResponsesOutput {
        private final TestOutputTopic<String, TurnCompleted> topic;

        private ResponsesOutput(TestOutputTopic<String, TurnCompleted> topic) {
            this.topic = topic;
        }

        TurnCompleted readValue() {
            KeyValue<String, TurnCompleted> record = topic.readKeyValue();
            remember(record);
            return record.value;
        }

        List<TurnCompleted> readValuesToList() {
            List<TurnCompleted> values = new ArrayList<>();
            for (KeyValue<String, TurnCompleted> record : topic.readKeyValuesToList()) {
                remember(record);
                values.add(record.value);
            }
            return values;
        }

        boolean isEmpty() {
            return topic.isEmpty();
        }

        private void remember(KeyValue<String, TurnCompleted> record) {
            completions
                    .computeIfAbsent(id(record.key, record.value.getTurnId()), id -> new ArrayList<>())
                    .add(record.value.getStatus().toString());
        }
    }

    private final Set<String> accepted = new LinkedHashSet<>();
    private final Map<String, List<String>> completions = new LinkedHashMap<>();
    private ResponsesOutput responses;

    TurnsInput turns(TestInputTopic<String, TurnRequested> topic) {
        return new TurnsInput(topic);
    }

    ResponsesOutput responses(TestOutputTopic<String, TurnCompleted> topic) {
        responses = new ResponsesOutput(topic);
        return responses;
    }

    /**
     * Lets every turn still active or queued run into its deadline (each deadline ends one turn and
     * starts the next queued one), reads every completion left, and checks the promise.
     */
    void assertEveryTurnCompletedOnce(TopologyTestDriver driver, SessionTopologyConfig config) {
        Duration step = config.turnTimeout().plus(config.deadlineCheckInterval());
        for (int i = 0; i <= config.maxQueuedTurns() + 1 && anyTurnInFlight(driver); i++) {
            driver.advanceWallClockTime(step);
        }
        assertThat(anyTurnInFlight(driver))
                .as("a turn is still active or queued after every deadline passed")
                .isFalse();
        responses.readValuesToList();

        Map<String, List<String>> notOnce = new LinkedHashMap<>();
        for (String id : accepted) {
            List<String> got = completions.getOrDefault(id, List.of());
            if (got.size() != 1) {
                notOnce.put(id, got);
            }
        }
        assertThat(notOnce)
                .as("accepted turns without exactly one completion (turn -> statuses)")
                .isEmpty();
        assertThat(completions.keySet())
                .as("completions for turns never requested")
                .isSubsetOf(accepted);
        HistoryInvariant.assertWellFormed(driver);
    }

    private static boolean anyTurnInFlight(TopologyTestDriver driver) {
        KeyValueStore<String, SessionMeta> metas = driver.getKeyValueStore(SessionStores.META);
        try (KeyValueIterator<String, SessionMeta> it = metas.all()) {
            while (it.hasNext()) {
                SessionMeta meta = it.next().value;
                if (meta.getActiveTurn() != null || !meta.getQueuedTurns().isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String id(String address, String turnId) {
        return address + " " + turnId;
    }
}
