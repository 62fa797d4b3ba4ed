package dev.skein.integration.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeadLetter;
import dev.skein.events.DeltaKind;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.ProductDefaults;
import dev.skein.integration.fixtures.TestEvents;
import dev.skein.integration.fixtures.TopicReader;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.workers.ToolWorker;
import dev.skein.workers.builtin.BuiltinTools;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A tool worker on a real broker: catalog and heartbeats, requests in, results out, poison to dead letters. */
@Tag("scheduling")
class ToolWorkerIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private String bootstrap;
    private SkeinTopics topics;
    private String tier;
    private ToolWorker worker;
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void startWorker() throws InterruptedException {
        bootstrap = KafkaFixture.bootstrapServers();
        topics = new SkeinTopics(KafkaFixture.uniqueName("it") + ".", new InMemorySchemaRegistry());
        // The share group is named after the tier: a tier of its own keeps tests apart on a shared broker.
        tier = "it-" + UUID.randomUUID().toString().substring(0, 8);
        KafkaFixture.createTopics(
                bootstrap,
                2,
                topics.tools(tier).name(),
                topics.toolResults.name(),
                topics.deltas.name(),
                topics.toolCatalog.name(),
                topics.workers.name(),
                topics.deadLetters.name());
        worker = new ToolWorker(
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                topics,
                BuiltinTools.all(),
                // Four consumers on two partitions: two share each (see the long-call test).
                ProductDefaults.worker("it-worker", tier).consumers(4).build());
        worker.start();
        producer = new KafkaProducer<>(
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        if (producer != null) {
            producer.close();
        }
        if (worker != null) {
            worker.close();
            assertThat(worker.isRunning()).isFalse();
        }
    }

    @Test
    void publishesItsToolsAndHeartbeatsAndSaysGoodbye() {
        try (TopicReader<ToolDefinition> catalog = new TopicReader<>(bootstrap, topics.toolCatalog);
                TopicReader<WorkerHeartbeat> heartbeats = new TopicReader<>(bootstrap, topics.workers)) {
            ToolDefinition primes =
                    catalog.await(r -> r.key().equals("count_primes"), TIMEOUT).value();
            assertThat(primes.getPublisher()).isEqualTo("it-worker");
            assertThat(primes.getParametersSchema()).contains("\"limit\"");
            assertThat(catalog.await(r -> r.key().equals("calculator"), TIMEOUT)
                            .value()
                            .getCacheable())
                    .isTrue();

            WorkerHeartbeat first =
                    heartbeats.await(r -> r.key().equals("it-worker"), TIMEOUT).value();
            assertThat(first.getTiers()).containsExactly(tier);
            assertThat(first.getTools())
                    .containsExactlyInAnyOrder(
                            "calculator", "count_primes", "sleep", "noop", "matrix_multiply", "gpu_info");
            assertThat(first.getCapabilities().getCpus())
                    .isEqualTo(Runtime.getRuntime().availableProcessors());
            assertThat(first.getStopping()).isFalse();

            worker.close();
            assertThat(heartbeats.await(r -> r.value().getStopping(), TIMEOUT).key())
                    .isEqualTo("it-worker");
        }
    }

    @Test
    void runsARequestAndAnswersTheSession() throws Exception {
        send(request("call-1", "calculator", "{\"expression\":\"12*7\"}"));
        send(request("call-2", "count_primes", "{\"limit\":100000}"));
        send(request("call-3", "weather", "{}"));

        try (TopicReader<ToolResult> results = new TopicReader<>(bootstrap, topics.toolResults);
                TopicReader<AgentDelta> deltas = new TopicReader<>(bootstrap, topics.deltas)) {
            ConsumerRecord<String, ToolResult> product =
                    results.await(r -> r.value().getCallId().equals("call-1"), TIMEOUT);
            assertThat(product.key()).isEqualTo("acme/s1");
            assertThat(product.value().getStatus()).isEqualTo(ToolStatus.OK);
            assertThat(product.value().getOutput()).isEqualTo("84");
            assertThat(product.value().getWorker()).isEqualTo("it-worker");
            assertThat(product.value().getDeliveryCount()).isEqualTo(1);

            assertThat(results.await(r -> r.value().getCallId().equals("call-2"), TIMEOUT)
                            .value()
                            .getOutput())
                    .isEqualTo("9592");
            ToolResult unknown = results.await(r -> r.value().getCallId().equals("call-3"), TIMEOUT)
                    .value();
            assertThat(unknown.getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(unknown.getOutput()).startsWith("no tool named 'weather' on worker it-worker");

            AgentDelta started = deltas.await(
                            r -> r.value().getCallId().equals("call-1")
                                    && r.value().getKind() == DeltaKind.TOOL_STARTED,
                            TIMEOUT)
                    .value();
            assertThat(started.getWorker()).isEqualTo("it-worker");
            assertThat(started.getTier()).isEqualTo(tier);
            deltas.await(
                    r -> r.value().getCallId().equals("call-1") && r.value().getKind() == DeltaKind.TOOL_FINISHED,
                    TIMEOUT);
        }
        await().atMost(TIMEOUT).until(() -> worker.completed() == 3 && worker.failed() == 1);
    }

    @Test
    void aPoisonRecordIsDeadLetteredAndTheNextRequestStillRuns() throws Exception {
        producer.send(new ProducerRecord<>(
                        topics.tools(tier).name(), "call-0", "garbage".getBytes(StandardCharsets.UTF_8)))
                .get();
        send(request("call-1", "calculator", "{\"expression\":\"1+1\"}"));

        try (TopicReader<DeadLetter> letters = new TopicReader<>(bootstrap, topics.deadLetters);
                TopicReader<ToolResult> results = new TopicReader<>(bootstrap, topics.toolResults)) {
            DeadLetter letter = letters.await(r -> true, TIMEOUT).value();
            assertThat(letter.getTopic()).isEqualTo(topics.tools(tier).name());
            assertThat(letter.getComponent()).isEqualTo("worker:it-worker");
            assertThat(StandardCharsets.UTF_8.decode(letter.getKey()).toString())
                    .isEqualTo("call-0");
            assertThat(results.await(r -> r.value().getCallId().equals("call-1"), TIMEOUT)
                            .value()
                            .getOutput())
                    .isEqualTo("2");
        }
        // Stays at one: the poison was rejected, not released and delivered again.
        await().during(Duration.ofSeconds(3)).atMost(TIMEOUT).until(() -> worker.deadLettered() == 1);
    }

    @Test
    void aLongCallDoesNotHoldBackTheCallsThatArriveWhileItRuns() throws Exception {
        // One key, so one partition: with one consumer per tier group (skein.worker.consumers = 1,
        // the default) the calculator waited for
        // the sleep, as a consumer polls again only once its whole batch is done.
        send(request("call-long", "sleep", "{\"ms\":15000}"), "acme/s1");
        try (TopicReader<AgentDelta> deltas = new TopicReader<>(bootstrap, topics.deltas);
                TopicReader<ToolResult> results = new TopicReader<>(bootstrap, topics.toolResults)) {
            deltas.await(
                    r -> r.value().getKind() == DeltaKind.TOOL_STARTED
                            && "call-long".equals(r.value().getCallId()),
                    TIMEOUT);
            send(request("call-quick", "calculator", "{\"expression\":\"6*7\"}"), "acme/s1");

            assertThat(results.await(r -> r.value().getCallId().equals("call-quick"), TIMEOUT)
                            .value()
                            .getOutput())
                    .isEqualTo("42");
            assertThat(results.seen())
                    .as("the sleep still runs")
                    .extracting(r -> r.value().getCallId())
                    .doesNotContain("call-long");
        }
    }

    private void send(ToolRequest request) throws Exception {
        send(request, request.getCallId());
    }

    private void send(ToolRequest request, String key) throws Exception {
        String topic = topics.tools(tier).name();
        byte[] value = topics.tools(tier).valueSerde().serializer().serialize(topic, request);
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    private ToolRequest request(String callId, String tool, String arguments) {
        return TestEvents.toolRequest(tier, callId, tool, arguments);
    }
}
