package dev.skein.integration.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.SkeinUpProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * The decision trace of a real turn, on {@code skein up} in a process of its own with its embedded
 * broker: a turn with two tool calls, one answered from the result cache and one that its worker
 * retried. Every event the trace lists is checked against the log itself (the record at its topic,
 * partition and offset is that event of that turn), and after a SIGKILL and a restart the trace
 * reads the same, byte for byte.
 */
@Tag("trace")
class TurnTraceIT {

    private static final String SESSION = "traced";
    private static final String SQUARE = "{\"tool\":\"trace_square\",\"arguments\":{\"n\":3}}";
    private static final String FLAKY = "{\"tool\":\"trace_flaky\",\"arguments\":{\"label\":\"x\"}}";

    private final List<SkeinUpProcess> processes = new ArrayList<>();

    @AfterEach
    void stopProcesses() throws InterruptedException {
        for (SkeinUpProcess p : processes) {
            p.close();
        }
    }

    @Test
    void aTurnWithACachedAndARetriedCallIsTracedFromTheLogAndTheTraceSurvivesSigkill() throws Exception {
        Path dataDir = Files.createTempDirectory("skein-trace");
        Path config = dataDir.resolve("trace.conf");
        Files.writeString(
                config,
                "skein.agents.definitions { tracer { kind = trace-script } }\nskein.session.default-agent = tracer\n");
        int httpPort = SkeinUpProcess.freePort();
        int kafkaPort = SkeinUpProcess.freePort();
        SkeinUpProcess first = skeinUp(dataDir, config, httpPort, kafkaPort);
        SkeinClient client = new SkeinClient(httpPort);
        first.awaitHealthy(Duration.ofSeconds(120));

        // The first turn puts trace_square(3) in the result cache.
        SkeinClient.Response warm = client.postTurn(SESSION, "{\"calls\":[" + SQUARE + "]}", true);
        assertThat(warm.body().path("answer").asText())
                .as(warm.body().toString())
                .isEqualTo("trace_square=9");
        SkeinClient.Response turn = client.postTurn(SESSION, "{\"calls\":[" + SQUARE + "," + FLAKY + "]}", true);
        assertThat(turn.body().path("answer").asText())
                .as(turn.body().toString())
                .isEqualTo("trace_square=9\ntrace_flaky=worked for x");
        String turnId = turn.body().path("turnId").asText();

        SkeinClient.Response read = trace(client, httpPort, turnId);
        assertThat(read.status()).as(read.body().toString()).isEqualTo(200);
        JsonNode trace = read.body();
        assertThat(trace.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(trace.path("agent").asText()).isEqualTo("tracer");
        List<JsonNode> events = list(trace.path("events"));
        assertThat(events)
                .extracting(
                        e -> e.path("kind").asText(),
                        e -> e.path("detail").path("outcome").asText(null))
                .containsExactly(
                        tuple("turn-requested", null),
                        tuple("agent-invoked", null),
                        tuple("agent-step", null),
                        tuple("tool-call", "cached"),
                        tuple("tool-requested", "dispatched"),
                        tuple("tool-result", null),
                        tuple("agent-invoked", null),
                        tuple("agent-step", null),
                        tuple("turn-completed", null));
        assertThat(events.get(3).path("decision").asText()).startsWith("answered from the result cache");
        assertThat(events.get(5).path("decision").asText()).contains("after 2 attempt(s), 1 retried");
        // Every event but the cached call (no record) and the completion (no one echoes it) has the
        // offset it has in the log: the record there is that event of this turn.
        try (KafkaConsumer<String, byte[]> log = consumer(kafkaPort)) {
            for (JsonNode event : events) {
                String kind = event.path("kind").asText();
                if (kind.equals("tool-call") || kind.equals("turn-completed")) {
                    assertThat(event.path("offset").isNull()).as(kind).isTrue();
                    continue;
                }
                assertThat(event.path("detail").path("offsetExact").asBoolean())
                        .as(kind)
                        .isTrue();
                ConsumerRecord<String, byte[]> record = at(
                        log,
                        event.path("topic").asText(),
                        event.path("partition").asInt(),
                        event.path("offset").asLong());
                assertThat(new String(record.value(), StandardCharsets.UTF_8))
                        .as(kind + " at " + event)
                        .contains(turnId);
                assertThat(record.key())
                        .as(kind)
                        .isEqualTo(
                                kind.equals("tool-requested")
                                        ? event.path("detail").path("callId").asText()
                                        : "default/" + SESSION);
            }
        }
        List<JsonNode> tools = list(trace.path("tools"));
        assertThat(tools)
                .extracting(
                        t -> t.path("tool").asText(),
                        t -> t.path("decision").asText(),
                        t -> t.path("attempts").asInt(),
                        t -> t.path("status").asText(null))
                .containsExactly(tuple("trace_square", "cached", 0, null), tuple("trace_flaky", "dispatched", 2, "OK"));
        assertThat(tools.get(1).path("tier").asText()).isNotBlank();
        assertThat(tools.get(1).path("worker").asText()).isNotBlank();
        assertThat(tools.get(1).path("queueWaitMs").isNumber()).isTrue();
        JsonNode latency = trace.path("latency");
        assertThat(latency.path("totalMs").asLong()).isPositive();
        assertThat(latency.path("toolMs").asLong()).isGreaterThanOrEqualTo(50); // the retry's backoff at least

        first.kill9(); // nothing is flushed or closed
        skeinUp(dataDir, config, httpPort, kafkaPort).awaitHealthy(Duration.ofSeconds(120));

        SkeinClient.Response again = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> trace(client, httpPort, turnId), r -> r.status() == 200);
        assertThat(again.body()).isEqualTo(trace);
    }

    private static SkeinClient.Response trace(SkeinClient client, int port, String turnId) {
        return client.send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + port + "/v1/sessions/" + SESSION + "/turns/" + turnId + "/trace"))
                .GET());
    }

    private static ConsumerRecord<String, byte[]> at(
            KafkaConsumer<String, byte[]> log, String topic, int partition, long offset) {
        TopicPartition where = new TopicPartition(topic, partition);
        log.assign(List.of(where));
        log.seek(where, offset);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < until) {
            for (ConsumerRecord<String, byte[]> record : log.poll(Duration.ofMillis(200))) {
                if (record.offset() == offset) {
                    return record;
                }
                // read_committed skips aborted records and markers: the first one read is past it.
                throw new AssertionError(
                        "no record at " + where + "@" + offset + "; the next is at " + record.offset());
            }
        }
        throw new AssertionError("no record at " + where + "@" + offset + " within 15 s");
    }

    private static KafkaConsumer<String, byte[]> consumer(int kafkaPort) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + kafkaPort,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    private static List<JsonNode> list(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }

    private SkeinUpProcess skeinUp(Path dataDir, Path config, int httpPort, int kafkaPort) throws IOException {
        SkeinUpProcess process = SkeinUpProcess.up(dataDir)
                .port(httpPort)
                .config(config)
                .embeddedKafkaPort(kafkaPort)
                .defaultAgent("tracer")
                .start();
        processes.add(process);
        return process;
    }
}
