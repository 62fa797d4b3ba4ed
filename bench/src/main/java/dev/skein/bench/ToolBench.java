package dev.skein.bench;

import dev.skein.app.Skein;
import dev.skein.app.process.ChildJvm;
import dev.skein.app.runtime.TopicSetup;
import dev.skein.events.ResourceSpec;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.ShareGroups;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.topologies.routing.TierEnvelope;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tool calls per second through one tier, and the round trip of one call (request produced to
 * result consumed), with the built-in {@code noop} tool and N worker processes, each started as
 * {@code skein worker} in its own JVM. Requests go straight to the tier topic: this measures the
 * worker pool, not the session topology.
 */
public final class ToolBench {

    private static final Logger log = LoggerFactory.getLogger(ToolBench.class);
    private static final String TIER = "small";

    /** The figures of one round. */
    public record Result(
            int workers,
            int calls,
            int window,
            double callsPerSecond,
            double p50Ms,
            double p99Ms,
            double maxMs,
            Set<String> workersSeen) {
        Result withWorkers(int count) {
            return new Result(count, calls, window, callsPerSecond, p50Ms, p99Ms, maxMs, workersSeen);
        }
    }

    private final String bootstrapServers;
    private final Path logDir;

    public ToolBench(String bootstrapServers, Path logDir) {
        this.bootstrapServers = bootstrapServers;
        this.logDir = logDir;
    }

    public Result run(int workers, int calls, int window, int partitions) throws Exception {
        String prefix = "bench-" + workers + "w-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> clients = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(
                        bootstrapServers, EmbeddedSchemaRegistry.defaultTopic(prefix), (short) 1);
                Admin admin = Admin.create(clients)) {
            SkeinTopics topics = new SkeinTopics(prefix, registry);
            TopicSetup.ensure(
                    admin,
                    topics,
                    List.of(TierEnvelope.cpu(TIER, 1, 1L << 30)),
                    partitions,
                    (short) 1,
                    java.time.Duration.ofHours(1),
                    Map.of());
            ShareGroups.configure(admin, topics.workerGroup(TIER));
            List<Process> processes = new ArrayList<>();
            try {
                for (int i = 0; i < workers; i++) {
                    processes.add(startWorker(prefix, "bench-worker-" + i));
                }
                awaitWorkers(topics, workers);
                measure(topics, Math.min(200, calls), window); // warm-up: JIT, connections, share sessions
                return measure(topics, calls, window).withWorkers(workers);
            } finally {
                for (Process process : processes) {
                    process.destroy();
                }
                for (Process process : processes) {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                }
            }
        }
    }

    private Process startWorker(String prefix, String id) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(
                        List.of(),
                        Skein.class.getName(),
                        List.of("worker", "--bootstrap-servers", bootstrapServers, "--tier", TIER, "--worker-id", id)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        logDir.resolve(id + ".log").toFile()));
        builder.environment().put("SKEIN_TOPICS_PREFIX", prefix);
        builder.environment().put("SKEIN_DATA_DIR", logDir.resolve(id).toString());
        return builder.start();
    }

    private void awaitWorkers(SkeinTopics topics, int expected) {
        try (KafkaConsumer<String, WorkerHeartbeat> consumer =
                consumer(topics.workers.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.workers.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Set<String> live = new HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (live.size() < expected) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + live.size() + " of " + expected
                            + " workers started within 120 s; see their logs in " + logDir);
                }
                for (ConsumerRecord<String, WorkerHeartbeat> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() != null && !record.value().getStopping()) {
                        live.add(record.key());
                    }
                }
            }
        }
    }

    /** Closed loop: at most {@code window} calls outstanding; each answer lets the next call go. */
    private Result measure(SkeinTopics topics, int calls, int window) throws Exception {
        Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Set<String> workersSeen = ConcurrentHashMap.newKeySet();
        Semaphore outstanding = new Semaphore(window);
        AtomicInteger received = new AtomicInteger();
        try (KafkaConsumer<String, ToolResult> consumer =
                        consumer(topics.toolResults.valueSerde().deserializer());
                KafkaProducer<String, ToolRequest> producer = new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrapServers,
                                ProducerConfig.LINGER_MS_CONFIG,
                                0,
                                ProducerConfig.ACKS_CONFIG,
                                "all"),
                        topics.tools(TIER).keySerde().serializer(),
                        topics.tools(TIER).valueSerde().serializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.toolResults.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end now, before the first request
            Thread reader = Thread.ofPlatform().name("bench-results").start(() -> {
                while (received.get() < calls && !Thread.currentThread().isInterrupted()) {
                    for (ConsumerRecord<String, ToolResult> record : consumer.poll(Duration.ofMillis(100))) {
                        Long start = sentAt.remove(record.value().getCallId());
                        if (start != null) {
                            latency.recordValue(System.nanoTime() - start);
                            workersSeen.add(String.valueOf(record.value().getWorker()));
                            received.incrementAndGet();
                            outstanding.release();
                        }
                    }
                }
            });
            long began = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                if (!outstanding.tryAcquire(60, TimeUnit.SECONDS)) {
                    reader.interrupt();
                    throw new IllegalStateException("no tool result for 60 s after " + received.get() + " of " + calls);
                }
                String callId = "bench-" + UUID.randomUUID();
                sentAt.put(callId, System.nanoTime());
                producer.send(new ProducerRecord<>(topics.tools(TIER).name(), callId, request(callId)));
            }
            reader.join(TimeUnit.SECONDS.toMillis(120));
            double seconds = (System.nanoTime() - began) / 1e9;
            return new Result(
                    0,
                    calls,
                    window,
                    calls / seconds,
                    latency.getValueAtPercentile(50) / 1e6,
                    latency.getValueAtPercentile(99) / 1e6,
                    latency.getMaxValue() / 1e6,
                    Set.copyOf(workersSeen));
        }
    }

    private static ToolRequest request(String callId) {
        long now = System.currentTimeMillis();
        return ToolRequest.newBuilder()
                .setTenant("bench")
                .setSessionId("bench")
                .setTurnId(callId)
                .setStep(0)
                .setCallId(callId)
                .setTool("noop")
                .setArgumentsJson("{}")
                .setTier(TIER)
                .setResources(ResourceSpec.newBuilder()
                        .setCpus(0.01)
                        .setMemoryBytes(1L << 20)
                        .build())
                .setDeadlineMs(now + 60_000)
                .setRequestedAtMs(now)
                .build();
    }

    private <V> KafkaConsumer<String, V> consumer(org.apache.kafka.common.serialization.Deserializer<V> values) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                        50),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                values);
    }
}
