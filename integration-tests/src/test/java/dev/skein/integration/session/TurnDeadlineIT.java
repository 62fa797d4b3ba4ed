package dev.skein.integration.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.integration.fixtures.TopicReader;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Turn deadlines on a real broker: a turn nobody answers fails at its deadline, also when the node
 * stopped and started again in between (the deadline index is restored with the task), and a node
 * with no deadline pending makes no commits (a punctuation would make its task commit).
 */
@Tag("session")
class TurnDeadlineIT {

    private SkeinNode node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aTurnNobodyAnswersFailsAtItsDeadlineAndAnIdleNodeThenCommitsNothing() throws Exception {
        // Core only: no agent runner, so the invocation is never answered.
        SkeinConfig config = TestNodes.config("deadline", Map.of("skein.session.turn-timeout", "2s"));
        node = SkeinNode.start(config, Set.of(Role.CORE), false);
        SkeinClient client = new SkeinClient(node.httpPort().orElseThrow());
        String appId = config.streamsApplicationId().orElseThrow();

        try (TopicReader<TurnCompleted> responses =
                new TopicReader<>(node.bootstrapServers(), node.topics().responses, IsolationLevel.READ_COMMITTED)) {
            String turnId = client.postTurn("waits", "hello", false)
                    .body()
                    .path("turnId")
                    .asText();

            TurnCompleted failed = responses
                    .await(r -> r.value().getTurnId().equals(turnId), Duration.ofSeconds(30))
                    .value();
            assertThat(failed.getStatus()).isEqualTo(TurnStatus.FAILED);
            assertThat(failed.getError()).startsWith("turn timed out after 2000 ms while waiting for agent 'demo'");

            double before = commits(appId);
            assertThat(before).as("the turn's passes were committed").isPositive();
            responses.poll(Duration.ofSeconds(3));
            assertThat(commits(appId))
                    .as("commits of an idle node (the old 500 ms deadline beat made two a second)")
                    .isEqualTo(before);
            assertThat(completionsOf(responses.seen(), turnId)).isEqualTo(1);
        }
    }

    @Test
    void aDeadlineSetBeforeARestartStillFailsItsTurnAfterIt() throws Exception {
        SkeinConfig config = TestNodes.config("deadline-restart", Map.of("skein.session.turn-timeout", "6s"));
        node = SkeinNode.start(config, Set.of(Role.CORE), false);
        SkeinClient client = new SkeinClient(node.httpPort().orElseThrow());
        String turnId =
                client.postTurn("across", "hello", false).body().path("turnId").asText();
        try (TopicReader<AgentDelta> deltas =
                new TopicReader<>(node.bootstrapServers(), node.topics().deltas, IsolationLevel.READ_COMMITTED)) {
            // The turn's first pass (which wrote its deadline) is committed before the stop: its
            // TURN_STARTED is the topology's, in the same transaction.
            deltas.await(
                    r -> r.value().getTurnId().equals(turnId) && r.value().getKind() == DeltaKind.TURN_STARTED,
                    Duration.ofSeconds(30));
        }
        node.close();
        node = SkeinNode.start(config, Set.of(Role.CORE), false);

        // Read with the restarted node's serdes (its schema registry is its own).
        try (TopicReader<TurnCompleted> responses =
                new TopicReader<>(node.bootstrapServers(), node.topics().responses, IsolationLevel.READ_COMMITTED)) {
            TurnCompleted failed = responses
                    .await(r -> r.value().getTurnId().equals(turnId), Duration.ofSeconds(60))
                    .value();
            assertThat(failed.getStatus()).isEqualTo(TurnStatus.FAILED);
            assertThat(failed.getError()).startsWith("turn timed out after 6000 ms");
            responses.poll(Duration.ofSeconds(2));
            assertThat(completionsOf(responses.seen(), turnId)).isEqualTo(1);
        }
        // One turn, once: its question and the failure the deadline wrote, nothing twice.
        JsonNode messages = new SkeinClient(node.httpPort().orElseThrow())
                .history("across")
                .body()
                .path("messages");
        assertThat(SkeinClient.roles(messages)).containsExactly("user", "assistant");
        assertThat(messages.get(1).path("sequence").asLong()).isEqualTo(1);
    }

    private static long completionsOf(List<ConsumerRecord<String, TurnCompleted>> records, String turnId) {
        return records.stream()
                .filter(r -> r.value().getTurnId().equals(turnId))
                .count();
    }

    /** Commits the stream threads of application {@code appId} made so far (Kafka Streams' own counter). */
    private static double commits(String appId) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        double total = 0;
        for (ObjectName name : server.queryNames(
                new ObjectName("kafka.streams:type=stream-thread-metrics,thread-id=" + appId + "*"), null)) {
            total += ((Number) server.getAttribute(name, "commit-total")).doubleValue();
        }
        return total;
    }
}
