package dev.skein.integration.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.SkeinUpProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Memory extraction after each turn, in {@code skein up} as a user runs it (its own process, its
 * embedded broker): the user says a fact; the process is SIGKILLed while the extractor agent holds
 * the extraction request; after a restart with the same command the extraction is delivered again
 * and its memories are on the topic and in the index once each, by id; a later session of the same
 * user recalls the fact, another user's does not.
 */
@Tag("memory")
class MemoryExtractionIT {

    private static final String TENANT = "default";
    private static final String FACT = "my favourite colour is green";
    private final List<SkeinUpProcess> processes = new ArrayList<>();
    private int port;

    @AfterEach
    void stopProcesses() throws InterruptedException {
        for (SkeinUpProcess p : processes) {
            p.close();
        }
    }

    @Test
    void aSigkillDuringExtractionLosesNothingAndDuplicatesNothing() throws Exception {
        Path dataDir = Files.createTempDirectory("skein-extract");
        Path config = dataDir.resolve("extract.conf");
        // The timeout outlasts a restart on a loaded machine: the redelivered request is still in time.
        Files.writeString(config, """
                skein.agents.definitions { extractor { kind = holding-extractor } }
                skein.session.default-agent = demo
                skein.memory.extractor { agent = extractor, timeout = 10m }
                """);
        Path hold = dataDir.resolve("hold");
        Files.writeString(hold, "");
        int httpPort = SkeinUpProcess.freePort();
        int kafkaPort = SkeinUpProcess.freePort();
        port = httpPort;
        SkeinClient client = new SkeinClient(httpPort);

        SkeinUpProcess first = skeinUp(dataDir, config, hold, httpPort, kafkaPort);
        first.awaitHealthy(Duration.ofSeconds(180));
        SkeinClient.Response said = turn(client, "s1", "alice", "Hello! My name is Alice. Remember that " + FACT + ".");
        String turnId = said.body().path("turnId").asText();
        // The turn completed while its extraction is held: extraction is never in a turn's way.
        assertThat(said.body().path("status").asText())
                .as(said.body().toString())
                .isEqualTo("COMPLETED");
        Path taken = hold.resolveSibling("hold.taken");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(taken));
        assertThat(Files.readString(taken)).isEqualTo("extract~" + turnId);
        assertThat(memoryKeys(kafkaPort)).isEmpty();

        first.kill9(); // at the moment of extraction: nothing is flushed or closed
        Files.delete(hold);

        skeinUp(dataDir, config, hold, httpPort, kafkaPort).awaitHealthy(Duration.ofSeconds(180));
        String one = "extract~s1~" + turnId + "~1";
        String two = "extract~s1~" + turnId + "~2";
        JsonNode listed = await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> memories(client, httpPort, "alice"), m -> m != null && m.size() >= 2);
        assertThat(StreamSupport.stream(listed.spliterator(), false)
                        .map(m -> m.path("id").asText() + "=" + m.path("text").asText())
                        .sorted())
                .containsExactly(one + "=The user's name is Alice", two + "=My favourite colour is green");
        assertThat(listed.get(0).path("sourceSession").asText()).isEqualTo("s1");
        // The source turn is the user's turn, not the extraction's request id.
        assertThat(listed.get(0).path("sourceTurn").asText()).isEqualTo(turnId);
        // On the topic: those two keys, each written once.
        Map<String, Integer> onTopic = memoryKeys(kafkaPort);
        assertThat(onTopic)
                .containsExactlyInAnyOrderEntriesOf(Map.of(TENANT + "/alice/" + one, 1, TENANT + "/alice/" + two, 1));

        // The extracted turn's trace tells the extraction, across the restart; its tool rows stay the turn's own.
        JsonNode trace =
                get(client, "/v1/sessions/s1/turns/" + turnId + "/trace").body();
        assertThat(StreamSupport.stream(trace.path("events").spliterator(), false)
                        .filter(e -> e.path("kind").asText().equals("memory-extraction"))
                        .map(e -> e.path("detail").path("outcome").asText()))
                .containsExactly("requested", "answered", "written", "written");
        assertThat(trace.path("tools")).isEmpty();
        // This process counted the two memories it wrote (the request was counted by the one killed).
        String metrics = java.net.http.HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                .GET()
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).containsPattern("skein_memory_extractions_total\\{outcome=\"written\",?} 2\\.0");

        // A later session of the same user recalls it; another user's does not.
        String recall = "use tool recall {\"query\":\"which colour does she like best\"}";
        assertThat(turn(client, "s2", "alice", recall).body().path("answer").asText())
                .contains("favourite colour is green");
        assertThat(turn(client, "s3", "bob", recall).body().path("answer").asText())
                .doesNotContain("green");
        // The history of the extracted session holds its turn's two messages, nothing of the extraction.
        assertThat(SkeinClient.roles(client.history("s1").body().path("messages")))
                .containsExactly("user", "assistant");
    }

    private SkeinClient.Response turn(SkeinClient client, String session, String user, String message) {
        String body = SkeinClient.JSON
                .createObjectNode()
                .put("message", message)
                .put("user", user)
                .toString();
        SkeinClient.Response response = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/sessions/" + session + "/turns?wait=60"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        return response;
    }

    private SkeinClient.Response get(SkeinClient client, String path) {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .GET());
    }

    /** The user's memories from /v1/memory; null while the index is rebuilding. */
    private static JsonNode memories(SkeinClient client, int port, String user) {
        SkeinClient.Response response =
                client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/memory?user=" + user))
                        .GET());
        return response.status() == 200 ? response.body().path("memories") : null;
    }

    /** Every key on the memories topic, with how many records it has there (tombstones included). */
    private static Map<String, Integer> memoryKeys(int kafkaPort) {
        Map<String, Integer> keys = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + kafkaPort,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor("skein.memories").stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.nanoTime())
                        .as("read the memories topic to its end")
                        .isLessThan(until);
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    keys.merge(record.key(), 1, Integer::sum);
                }
            }
        }
        return keys;
    }

    private SkeinUpProcess skeinUp(Path dataDir, Path config, Path hold, int httpPort, int kafkaPort)
            throws IOException {
        SkeinUpProcess process = SkeinUpProcess.up(dataDir)
                .port(httpPort)
                .config(config)
                .embeddedKafkaPort(kafkaPort)
                .env(HoldingExtractorFactory.HOLD_ENV, hold.toString())
                .start();
        processes.add(process);
        return process;
    }
}
