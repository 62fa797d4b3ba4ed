package dev.skein.topologies.session;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolDefinition;
import dev.skein.events.TurnTrace;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.schemas.kafka.KafkaConnection;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The production session topology ({@link SessionTopology#build}, with the production streams
 * properties) in a {@link TopologyTestDriver}: topics under {@code skein.}, one partition, a state
 * directory of its own that {@link #close} removes. Where {@link SessionFixture} wires the parts
 * without a topology, this runs the whole of it; each test takes the topics it drives.
 */
final class SessionTopologyFixture implements AutoCloseable {

    final SkeinTopics topics;
    final SessionTopologyConfig config;
    final TopologyTestDriver driver;
    private final Path stateDir;

    SessionTopologyFixture(SessionTopologyConfig config, Instant start) {
        this(new SkeinTopics("skein.", new InMemorySchemaRegistry()), "test", config, start);
    }

    /** @param applicationId names the changelog topics ({@link SessionStores#changelogTopic}) */
    SessionTopologyFixture(SkeinTopics topics, String applicationId, SessionTopologyConfig config, Instant start) {
        this.topics = topics;
        this.config = config;
        try {
            stateDir = Files.createTempDirectory("session-topology-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        driver = new TopologyTestDriver(
                SessionTopology.build(topics, config, new SessionPartitions(1)),
                SessionStreamsConfig.properties(
                        KafkaConnection.to("unused:9092"), applicationId, stateDir, topics, 1, Map.of()),
                start);
    }

    /** Records stamped with the wall-clock time of each pipe, as the driver's default does. */
    <V> TestInputTopic<String, V> input(Topic<String, V> topic) {
        return driver.createInputTopic(
                topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    /** Records stamped {@code start}, and every later one too (the stamp does not advance). */
    <V> TestInputTopic<String, V> input(Topic<String, V> topic, Instant start) {
        return driver.createInputTopic(
                topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer(), start, Duration.ZERO);
    }

    <V> TestOutputTopic<String, V> output(Topic<String, V> topic) {
        return driver.createOutputTopic(
                topic.name(),
                topic.keySerde().deserializer(),
                topic.valueSerde().deserializer());
    }

    /** Puts tools in the catalog, each under its own name. */
    void addTools(ToolDefinition... tools) {
        TestInputTopic<String, ToolDefinition> catalog = input(topics.toolCatalog);
        for (ToolDefinition tool : tools) {
            catalog.pipeInput(tool.getName(), tool);
        }
    }

    /** Sends a worker's heartbeat, under its worker id. */
    void addWorker(WorkerHeartbeat worker) {
        input(topics.workers).pipeInput(worker.getWorkerId(), worker);
    }

    /** The saved meta of a session; null when none was saved. */
    SessionMeta meta(String address) {
        KeyValueStore<String, SessionMeta> store = driver.getKeyValueStore(SessionStores.META);
        return store.get(address);
    }

    /** The history of a session, as saved. */
    List<ChatMessage> history(String address) {
        KeyValueStore<Bytes, ChatMessage> store = driver.getKeyValueStore(SessionStores.MESSAGES);
        return SessionHistory.all(store, address, meta(address));
    }

    /** A turn's decision trace; null when there is none. */
    TurnTrace trace(String address, String turnId) {
        KeyValueStore<Bytes, TurnTrace> store = driver.getKeyValueStore(SessionStores.TRACES);
        return store.get(SessionStores.traceKey(address, turnId));
    }

    /** The sum over tasks of a counter the topology keeps as a Kafka Streams metric, for one tag value. */
    double metricTotal(String name, String tag, String value) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> metric : driver.metrics().entrySet()) {
            if (name.equals(metric.getKey().name())
                    && value.equals(metric.getKey().tags().get(tag))) {
                total += ((Number) metric.getValue().metricValue()).doubleValue();
            }
        }
        return total;
    }

    /** Checks that every turn the ledger saw got exactly one completion, then closes, whatever the check found. */
    void closeAfterChecking(CompletionLedger ledger) {
        try {
            ledger.assertEveryTurnCompletedOnce(driver, config);
        } finally {
            close();
        }
    }

    @Override
    public void close() {
        try {
            driver.close();
        } finally {
            deleteStateDir();
        }
    }

    private void deleteStateDir() {
        if (!Files.exists(stateDir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(stateDir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
