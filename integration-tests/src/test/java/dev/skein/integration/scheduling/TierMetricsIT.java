package dev.skein.integration.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.app.metrics.TierMetrics;
import dev.skein.events.ResourceSpec;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.ShareGroups;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Tier gauges on a real broker: queue depth follows the share group's acknowledgements; worker figures follow heartbeats. */
@Tag("scheduling")
class TierMetricsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration WORKER_TIMEOUT = Duration.ofSeconds(15);
    private static final long GIB = 1024L * 1024 * 1024;

    private String bootstrap;
    private SkeinTopics topics;
    private String tier;
    private String group;
    private String agentGroup;
    private Admin admin;
    private SimpleMeterRegistry registry;
    private volatile List<WorkerHeartbeat> heartbeats = List.of();
    private TierMetrics metrics;

    @BeforeEach
    void start() {
        bootstrap = KafkaFixture.bootstrapServers();
        topics = new SkeinTopics(KafkaFixture.uniqueName("it") + ".", new InMemorySchemaRegistry());
        // A tier (and so a share group) of its own keeps tests apart on the shared broker.
        tier = "it-" + UUID.randomUUID().toString().substring(0, 8);
        Function<String, String> shareGroupOf = t -> "skein-workers-" + t;
        group = shareGroupOf.apply(tier);
        agentGroup = "skein-agents-" + tier;
        KafkaFixture.createTopics(bootstrap, 2, topics.tools(tier).name(), topics.agentRequests.name());
        admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        ShareGroups.configure(admin, group);
        ShareGroups.configure(admin, agentGroup);
        registry = new SimpleMeterRegistry();
        metrics = new TierMetrics(
                admin,
                topics,
                List.of(tier),
                shareGroupOf,
                () -> heartbeats,
                WORKER_TIMEOUT,
                registry,
                Duration.ofMillis(200),
                agentGroup);
        metrics.start();
    }

    @AfterEach
    void stop() {
        if (metrics != null) {
            metrics.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void queueDepthCountsWhatTheShareGroupHasNotAcknowledged() {
        assertThat(gauge(TierMetrics.QUEUE_DEPTH, Map.of())).isNotNull();
        await().atMost(TIMEOUT).until(() -> value(TierMetrics.QUEUE_DEPTH) == 0.0);

        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < 5; i++) {
                // Distinct keys spread the requests over both partitions.
                producer.send(new ProducerRecord<>(
                        topics.tools(tier).name(), "call-" + i, ("request " + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        await().atMost(TIMEOUT).until(() -> value(TierMetrics.QUEUE_DEPTH) == 5.0);

        acceptAll(topics.tools(tier).name(), group, 5);

        await().atMost(TIMEOUT).until(() -> value(TierMetrics.QUEUE_DEPTH) == 0.0);
    }

    @Test
    void agentBacklogCountsWhatTheAgentRunnersHaveNotAcknowledged() {
        Gauge agents = registry.find(TierMetrics.AGENTS_QUEUE_DEPTH)
                .tag("group", agentGroup)
                .gauge();
        assertThat(agents).isNotNull();
        await().atMost(TIMEOUT).until(() -> agents.value() == 0.0);

        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(
                        topics.agentRequests.name(), "t/s-" + i, ("invocation " + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        await().atMost(TIMEOUT).until(() -> agents.value() == 3.0);
        assertThat(value(TierMetrics.QUEUE_DEPTH))
                .as("the tier's queue is another")
                .isZero();

        acceptAll(topics.agentRequests.name(), agentGroup, 3);

        await().atMost(TIMEOUT).until(() -> agents.value() == 0.0);
    }

    @Test
    void workerFiguresCountOnlyLiveWorkersOfTheTier() {
        long now = System.currentTimeMillis();
        heartbeats = List.of(
                worker(
                        "live-1",
                        tier,
                        now,
                        false,
                        3,
                        spec(4, 0, 8 * GIB, Map.of("licence", 2.0)),
                        spec(1, 0, 2 * GIB, Map.of("licence", 1.0))),
                worker("live-2", tier, now, false, 1, spec(4, 1, 8 * GIB, Map.of()), spec(1, 1, 2 * GIB, Map.of())),
                worker(
                        "silent",
                        tier,
                        now - WORKER_TIMEOUT.toMillis() - 10_000,
                        false,
                        7,
                        spec(64, 8, 512 * GIB, Map.of()),
                        null),
                worker("stopping", tier, now, true, 7, spec(64, 8, 512 * GIB, Map.of()), null),
                worker("elsewhere", "other-tier", now, false, 9, spec(64, 8, 512 * GIB, Map.of()), null));

        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(value(TierMetrics.WORKERS_LIVE)).isEqualTo(2.0);
            assertThat(value(TierMetrics.IN_FLIGHT)).isEqualTo(4.0);
            assertThat(value(TierMetrics.ADMITTED)).isEqualTo(20.0);
            assertThat(value(TierMetrics.RELEASED)).isEqualTo(2.0);
            assertThat(utilisation("cpus")).isEqualTo(0.25);
            assertThat(utilisation("gpus")).isEqualTo(1.0);
            assertThat(utilisation("memory")).isEqualTo(0.25);
            assertThat(utilisation("licence")).isEqualTo(0.5);
        });

        heartbeats = List.of();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(value(TierMetrics.WORKERS_LIVE)).isZero();
            assertThat(value(TierMetrics.IN_FLIGHT)).isZero();
            assertThat(utilisation("cpus")).as("no live worker offers cpus").isZero();
            assertThat(utilisation("licence")).isZero();
        });
    }

    @Test
    void closingRemovesTheGauges() {
        assertThat(registry.find(TierMetrics.QUEUE_DEPTH).gauges()).hasSize(1);

        metrics.close();

        assertThat(registry.find(TierMetrics.QUEUE_DEPTH).gauges()).isEmpty();
        assertThat(registry.find(TierMetrics.UTILISATION).gauges()).isEmpty();
        assertThat(registry.find(TierMetrics.AGENTS_QUEUE_DEPTH).gauges()).isEmpty();
    }

    private void acceptAll(String topic, String shareGroup, int expected) {
        Map<String, Object> config = Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, shareGroup,
                ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        try (KafkaShareConsumer<byte[], byte[]> consumer =
                new KafkaShareConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            int accepted = 0;
            long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
            while (accepted < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    consumer.acknowledge(record, AcknowledgeType.ACCEPT);
                    accepted++;
                }
                Map<TopicIdPartition, Optional<KafkaException>> committed = consumer.commitSync();
                committed.forEach((partition, failure) -> assertThat(failure)
                        .as("acknowledgement of %s", partition)
                        .isEmpty());
            }
            assertThat(accepted).isEqualTo(expected);
        }
    }

    private Gauge gauge(String name, Map<String, String> extraTags) {
        var search = registry.find(name).tag("tier", tier);
        for (Map.Entry<String, String> tag : extraTags.entrySet()) {
            search = search.tag(tag.getKey(), tag.getValue());
        }
        return search.gauge();
    }

    private double value(String name) {
        return gauge(name, Map.of()).value();
    }

    private double utilisation(String resource) {
        Gauge gauge = gauge(TierMetrics.UTILISATION, Map.of("resource", resource));
        assertThat(gauge).as("utilisation of %s", resource).isNotNull();
        return gauge.value();
    }

    private static ResourceSpec spec(double cpus, int gpus, long memoryBytes, Map<String, Double> custom) {
        return ResourceSpec.newBuilder()
                .setCpus(cpus)
                .setGpus(gpus)
                .setMemoryBytes(memoryBytes)
                .setCustom(Map.copyOf(custom))
                .build();
    }

    private static WorkerHeartbeat worker(
            String id,
            String tier,
            long timestampMs,
            boolean stopping,
            int inFlight,
            ResourceSpec capabilities,
            ResourceSpec inUse) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("h")
                .setTiers(List.of(tier))
                .setCapabilities(capabilities)
                .setTools(List.of("echo"))
                .setInFlight(inFlight)
                .setInUse(inUse)
                .setAdmitted(10)
                .setReleased(1)
                .setStartedAtMs(timestampMs - 60_000)
                .setTimestampMs(timestampMs)
                .setStopping(stopping)
                .build();
    }
}
