package dev.skein.integration.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.events.DeadLetter;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.ProductDefaults;
import dev.skein.integration.fixtures.TestEvents;
import dev.skein.integration.fixtures.TopicReader;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.Retry;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolCatalog;
import dev.skein.workers.ToolWorker;
import dev.skein.workers.Tools;
import dev.skein.workers.WorkerOptions;
import dev.skein.workers.builtin.SleepTool;
import dev.skein.workers.node.NodeCapabilities;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Tool workers on a real broker: retries with backoff, exhausted retries, timeouts, calls that
 * fit no worker, catalog conflicts, lock renewal, and a pool larger than its tier's partitions.
 */
@Tag("scheduling")
class ToolWorkerSchedulingIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private String bootstrap;
    private Map<String, Object> clients;
    private SkeinTopics topics;
    private String tier;
    private final List<ToolWorker> workers = new ArrayList<>();
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void topics() {
        bootstrap = KafkaFixture.bootstrapServers();
        clients = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        topics = new SkeinTopics(KafkaFixture.uniqueName("sched") + ".", new InMemorySchemaRegistry());
        // The share group is named after the tier: a tier of its own keeps tests apart on a shared broker.
        tier = "it-" + UUID.randomUUID().toString().substring(0, 8);
        // One partition for the tier: the pool must still share it.
        KafkaFixture.createTopics(
                bootstrap,
                1,
                topics.tools(tier).name(),
                topics.toolResults.name(),
                topics.deltas.name(),
                topics.toolCatalog.name(),
                topics.workers.name(),
                topics.deadLetters.name());
        producer = new KafkaProducer<>(clients, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        if (producer != null) {
            producer.close();
        }
        for (ToolWorker worker : workers.reversed()) {
            worker.close();
            assertThat(worker.isRunning()).isFalse();
        }
    }

    @Test
    void aFlakyToolIsRetriedWithBackoffUntilItSucceeds() throws Exception {
        List<Long> attemptsAt = new CopyOnWriteArrayList<>();
        Tool flaky = Tools.define("flaky")
                .description("fails twice, then works")
                .retry(Retry.none()
                        .withMaxAttempts(4)
                        .withBackoff(Duration.ofMillis(300), 2.0, Duration.ofSeconds(5))
                        .on(IOException.class))
                .handler(args -> {
                    attemptsAt.add(System.nanoTime());
                    if (attemptsAt.size() <= 2) {
                        throw new IOException("connection reset (attempt " + attemptsAt.size() + ")");
                    }
                    return "worked at attempt " + attemptsAt.size();
                });
        start("w-flaky", List.of(flaky), capacity());

        byte[] sent = send(request("call-1", "flaky", "{}"));

        ToolResult result = awaitResult("call-1");
        assertThat(result.getStatus()).isEqualTo(ToolStatus.OK);
        assertThat(result.getOutput()).isEqualTo("worked at attempt 3");
        assertThat(result.getAttempts()).isEqualTo(3);
        assertThat(result.getWorker()).isEqualTo("w-flaky");
        assertThat(attemptsAt).hasSize(3);
        assertThat(TimeUnit.NANOSECONDS.toMillis(attemptsAt.get(1) - attemptsAt.get(0)))
                .isGreaterThanOrEqualTo(300);
        assertThat(TimeUnit.NANOSECONDS.toMillis(attemptsAt.get(2) - attemptsAt.get(1)))
                .isGreaterThanOrEqualTo(600);
        assertThat(sent).isNotEmpty();
        // A success leaves no dead letter.
        assertThat(workers.getFirst().deadLettered()).isZero();
    }

    @Test
    void exhaustedRetriesGiveAnErrorResultAndADeadLetterWithTheRequest() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Tool broken = Tools.define("broken")
                .retry(Retry.none()
                        .withMaxAttempts(2)
                        .withBackoff(Duration.ofMillis(50), 2.0, Duration.ofSeconds(1))
                        .on("IllegalStateException"))
                .handler(args -> {
                    calls.incrementAndGet();
                    throw new IllegalStateException("disk full");
                });
        start("w-broken", List.of(broken), capacity());

        byte[] sent = send(request("call-1", "broken", "{}"));

        ToolResult result = awaitResult("call-1");
        assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(result.getOutput())
                .isEqualTo("broken failed after 2 attempts: broken failed: IllegalStateException: disk full");
        assertThat(result.getAttempts()).isEqualTo(2);
        try (TopicReader<DeadLetter> letters = new TopicReader<>(bootstrap, topics.deadLetters)) {
            DeadLetter letter = letters.await(r -> true, TIMEOUT).value();
            assertThat(letter.getComponent()).isEqualTo("worker:w-broken");
            assertThat(letter.getTopic()).isEqualTo(topics.tools(tier).name());
            assertThat(letter.getCause()).contains("failed after 2 attempts");
            assertThat(bytes(letter.getValue())).isEqualTo(sent);
        }
        assertThat(calls).hasValue(2);
    }

    @Test
    void aCallLongerThanItsTimeoutIsInterruptedAndAnsweredWithTimeout() throws Exception {
        Tool slow = Tools.define("slow").timeout(Duration.ofMillis(300)).handler(args -> {
            Thread.sleep(30_000);
            return "woke up";
        });
        start("w-slow", List.of(slow), capacity());

        send(request("call-1", "slow", "{}"));

        ToolResult result = awaitResult("call-1");
        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getOutput()).isEqualTo("slow timed out after 300 ms");
        assertThat(result.getDurationMs()).isLessThan(10_000);
        await().atMost(TIMEOUT).until(() -> workers.getFirst().inFlight() == 0);
    }

    @Test
    void aCallNoWorkerCanFitIsReleasedThenAnsweredAtTheDeliveryLimit() throws Exception {
        Tool gpuTool = Tools.define("train").gpus(1).handler(args -> "trained");
        ToolWorker worker = start("w-cpu", List.of(gpuTool, new SleepTool()), capacity());

        send(request("call-1", "train", "{}"));
        send(request("call-2", "sleep", "{\"ms\":10}"));

        ToolResult result = awaitResult("call-1");
        assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(result.getOutput())
                .isEqualTo("no worker could fit train: it was delivered 5 times (the limit) and on"
                        + " worker w-cpu it needs gpus=1, this worker offers gpus=0");
        assertThat(result.getDeliveryCount()).isEqualTo(5);
        assertThat(result.getAttempts()).isZero();
        assertThat(worker.released()).isEqualTo(4);
        assertThat(awaitResult("call-2").getStatus())
                .as("the pool goes on with the calls that fit")
                .isEqualTo(ToolStatus.OK);
        try (TopicReader<WorkerHeartbeat> heartbeats = new TopicReader<>(bootstrap, topics.workers)) {
            WorkerHeartbeat beat =
                    heartbeats.await(r -> r.value().getReleased() == 4, TIMEOUT).value();
            assertThat(beat.getCapabilities().getGpus()).isZero();
            assertThat(beat.getTiers()).containsExactly(tier);
        }
    }

    @Test
    void aWorkerWhoseToolContradictsTheCatalogRefusesToStart() throws Exception {
        start("w-first", List.of(Tools.define("render").cpus(1).handler(args -> "ok")), capacity());
        ToolWorker second = new ToolWorker(
                clients,
                topics,
                List.of(Tools.define("render").cpus(2).handler(args -> "ok")),
                options("w-second", capacity()));
        workers.add(second);

        assertThatThrownBy(second::start)
                .isInstanceOf(ToolCatalog.ConflictException.class)
                .hasMessage("tool 'render' version 1 is already registered with different resources (cpus 1 vs 2) by"
                        + " worker w-first; give the changed tool a new version");
        assertThat(second.isRunning()).isFalse();

        ToolWorker newer = new ToolWorker(
                clients,
                topics,
                List.of(Tools.define("render").version(2).cpus(2).handler(args -> "ok")),
                options("w-newer", capacity()));
        workers.add(newer);
        newer.start();
        ToolWorker older = new ToolWorker(
                clients,
                topics,
                List.of(Tools.define("render").cpus(1).handler(args -> "ok")),
                options("w-older", capacity()));
        workers.add(older);
        assertThatThrownBy(older::start).hasMessageStartingWith("a newer version 2 of tool 'render' is registered");
    }

    @Test
    void aCallLongerThanTheLockIsRenewedAndRunsOnce() throws Exception {
        // A 2 s lock: the 5 s call needs its lock renewed about every second, or it is delivered again.
        setGroupConfig(topics.workerGroup(tier), "share.record.lock.duration.ms", "2000");
        ToolWorker worker = start("w-long", List.of(new SleepTool()), capacity());

        send(request("call-1", "sleep", "{\"ms\":5000}"));

        ToolResult result = awaitResult("call-1");
        assertThat(result.getStatus()).isEqualTo(ToolStatus.OK);
        assertThat(result.getDeliveryCount()).isEqualTo(1);
        assertThat(worker.renewals()).isGreaterThanOrEqualTo(2);
        // Stays at one: had the lock expired, the call would have been delivered and answered again.
        await().during(Duration.ofSeconds(4)).atMost(TIMEOUT).until(() -> worker.completed() == 1);
        try (TopicReader<ToolResult> results = new TopicReader<>(bootstrap, topics.toolResults)) {
            results.await(r -> r.value().getCallId().equals("call-1"), TIMEOUT);
            assertThat(results.seen()).hasSize(1);
        }
    }

    @Test
    void twoWorkersShareAOnePartitionTier() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        ToolWorker a = start("w-a", List.of(new SleepTool()), capacity(), metrics);
        ToolWorker b = start("w-b", List.of(new SleepTool()), capacity(), new SimpleMeterRegistry());

        for (int i = 0; i < 20; i++) {
            send(request("call-" + i, "sleep", "{\"ms\":300}"));
        }

        try (TopicReader<ToolResult> results = new TopicReader<>(bootstrap, topics.toolResults)) {
            for (int i = 0; i < 20; i++) {
                String id = "call-" + i;
                assertThat(results.await(r -> r.value().getCallId().equals(id), TIMEOUT)
                                .value()
                                .getStatus())
                        .isEqualTo(ToolStatus.OK);
            }
            Set<String> ran =
                    results.seen().stream().map(r -> r.value().getWorker()).collect(Collectors.toSet());
            assertThat(ran).containsExactlyInAnyOrder("w-a", "w-b");
        }
        assertThat(a.completed() + b.completed()).isEqualTo(20);
        assertThat(metrics.get("skein.worker.tasks.admitted")
                        .tag("tier", tier)
                        .tag("worker", "w-a")
                        .counter()
                        .count())
                .isEqualTo(a.admitted());
        assertThat(metrics.get("skein.worker.task.duration")
                        .tag("tool", "sleep")
                        .tag("status", "OK")
                        .timer()
                        .count())
                .isEqualTo(a.completed());
        assertThat(metrics.get("skein.worker.resource.utilisation")
                        .tag("resource", "cpus")
                        .gauge()
                        .value())
                .isZero();
    }

    private ToolWorker start(String id, List<Tool> tools, NodeCapabilities capabilities) throws InterruptedException {
        return start(id, tools, capabilities, new SimpleMeterRegistry());
    }

    private ToolWorker start(String id, List<Tool> tools, NodeCapabilities capabilities, SimpleMeterRegistry metrics)
            throws InterruptedException {
        ToolWorker worker = new ToolWorker(clients, topics, tools, options(id, capabilities), metrics);
        workers.add(worker);
        worker.start();
        return worker;
    }

    private WorkerOptions options(String id, NodeCapabilities capabilities) {
        return ProductDefaults.worker(id, tier)
                .capabilities(capabilities)
                .heartbeatInterval(Duration.ofMillis(500))
                .maxInFlight(2)
                .pollTimeout(Duration.ofMillis(200))
                .drainTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static NodeCapabilities capacity() {
        return NodeCapabilities.of(Resources.NONE.withCpus(4).withMemory("8g"));
    }

    private ToolResult awaitResult(String callId) {
        try (TopicReader<ToolResult> results = new TopicReader<>(bootstrap, topics.toolResults)) {
            return results.await(r -> r.value().getCallId().equals(callId), TIMEOUT)
                    .value();
        }
    }

    private void setGroupConfig(String group, String name, String value) throws Exception {
        try (Admin admin = Admin.create(clients)) {
            admin.incrementalAlterConfigs(Map.of(
                            new ConfigResource(ConfigResource.Type.GROUP, group),
                            List.of(new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private byte[] send(ToolRequest request) throws Exception {
        Topic<String, ToolRequest> topic = topics.tools(tier);
        byte[] value = topic.valueSerde().serializer().serialize(topic.name(), request);
        producer.send(new ProducerRecord<>(topic.name(), request.getCallId(), value))
                .get();
        return value;
    }

    private ToolRequest request(String callId, String tool, String arguments) {
        return TestEvents.toolRequest(tier, callId, tool, arguments);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
