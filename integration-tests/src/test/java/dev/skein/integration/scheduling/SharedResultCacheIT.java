package dev.skein.integration.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.ToolResult;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TopicReader;
import dev.skein.topologies.session.SessionPartitions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The result cache serves sessions on every partition: eight sessions, two on each of the four
 * partitions (so four stream tasks), ask for the same cacheable call, {@code count_primes}; the
 * first runs it, every other is answered from the cache. Before the cache was shared, each task
 * had its own store and the call ran once per partition.
 */
@Tag("scheduling")
class SharedResultCacheIT {

    private static final int PARTITIONS = 4;
    private static final String TENANT = "default";
    private static final String CALL = "{\"calls\":[{\"tool\":\"count_primes\",\"arguments\":{\"limit\":20000000}}]}";

    private static SkeinNode node;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        Path dataDir = Files.createTempDirectory("skein-cache");
        node = SkeinNode.start(
                SkeinConfig.load(
                        Optional.empty(),
                        Map.of(
                                "skein.kafka.bootstrap-servers",
                                KafkaFixture.bootstrapServers(),
                                "skein.data-dir",
                                dataDir.toString(),
                                "skein.topics.prefix",
                                KafkaFixture.uniqueName("cache") + ".",
                                "skein.topics.partitions",
                                PARTITIONS,
                                "skein.session.default-agent",
                                ScriptedAgent.NAME,
                                "skein.http.port",
                                0),
                        Map.of()),
                Set.of(Role.CORE, Role.AGENTS, Role.WORKER),
                false,
                List.of(new ScriptedAgent()));
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void sessionsOnEveryPartitionGetTheResultTheFirstOneComputed() {
        List<String> sessions = twoSessionsPerPartition();
        // A call with other arguments first: the worker and the tool's code are warm for both figures.
        ask("warm-up", "{\"calls\":[{\"tool\":\"count_primes\",\"arguments\":{\"limit\":10}}]}");

        long uncachedStart = System.nanoTime();
        assertThat(ask(sessions.getFirst(), CALL)).startsWith("count_primes|").contains("|OK|1270607");
        long uncachedNanos = System.nanoTime() - uncachedStart;
        // The entry reaches every task's store once committed (the response was, in the same
        // transaction) and read back by the global thread; the topic shows it is there to read.
        try (TopicReader<ToolResult> cache = new TopicReader<>(node.bootstrapServers(), node.topics().resultCache)) {
            cache.await(r -> r.value() != null && "1270607".equals(r.value().getOutput()), Duration.ofSeconds(30));
        }

        List<Long> cachedNanos = new ArrayList<>();
        for (String session : sessions.subList(1, sessions.size())) {
            long start = System.nanoTime();
            assertThat(ask(session, CALL)).contains("|OK|1270607");
            cachedNanos.add(System.nanoTime() - start);
        }

        assertThat(sessions)
                .allSatisfy(session -> assertThat(
                                toolMessage(session).path("cached").asBoolean())
                        .as("cached in session %s (partition %d)", session, partitionOf(session))
                        .isEqualTo(!session.equals(sessions.getFirst())));
        double cachedMeanMs =
                cachedNanos.stream().mapToLong(Long::longValue).average().orElseThrow() / 1e6;
        System.out.printf(
                "shared result cache: uncached turn %.1f ms (count_primes limit 20000000), cached turns mean %.1f ms,"
                        + " min %.1f ms, max %.1f ms over %d sessions on %d partitions%n",
                uncachedNanos / 1e6,
                cachedMeanMs,
                cachedNanos.stream().mapToLong(Long::longValue).min().orElseThrow() / 1e6,
                cachedNanos.stream().mapToLong(Long::longValue).max().orElseThrow() / 1e6,
                cachedNanos.size(),
                PARTITIONS);
    }

    /** Eight session ids, the first on partition 0 and then two per partition in turn. */
    private static List<String> twoSessionsPerPartition() {
        List<List<String>> byPartition = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            byPartition.add(new ArrayList<>());
        }
        for (int i = 0; byPartition.stream().anyMatch(l -> l.size() < 2); i++) {
            String session = "primes-" + i;
            List<String> mine = byPartition.get(partitionOf(session));
            if (mine.size() < 2) {
                mine.add(session);
            }
        }
        List<String> sessions = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (List<String> partition : byPartition) {
                sessions.add(partition.get(round));
            }
        }
        return sessions;
    }

    private static int partitionOf(String session) {
        return new SessionPartitions(PARTITIONS).ownerOf(TENANT + "/" + session);
    }

    /** Posts a turn, waits for it, and returns the agent's answer: {@code tool|worker|status|output}. */
    private static String ask(String session, String message) {
        SkeinClient.Response response = client.postTurn(session, message, true);
        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        assertThat(response.body().path("status").asText())
                .as(response.body().toString())
                .isEqualTo("COMPLETED");
        return response.body().path("answer").asText();
    }

    private static JsonNode toolMessage(String session) {
        JsonNode messages = client.history(session).body().path("messages");
        return StreamSupport.stream(messages.spliterator(), false)
                .filter(m -> m.path("role").asText().equals("tool"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no tool message in " + messages));
    }
}
