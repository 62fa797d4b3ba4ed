package dev.skein.ingress;

import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps, in memory, the latest value of every key of the compacted {@code skein.tool-catalog}
 * and {@code skein.workers} topics, read on one thread from their beginning; a tombstone removes
 * its key. {@link #tools()} and {@link #workers()} may be called from any thread.
 *
 * <p>No consumer group: every instance needs the whole of both topics, and nothing is committed
 * because every start reads them again (they are compacted, so that stays short). A value that
 * cannot be read is logged with topic, partition and offset and skipped, keeping the previous
 * value of its key: one bad record must not blank the catalog.
 *
 * <p>The thread starts in the constructor; {@link #ready()} completes once it has read up to the
 * end offsets the topics had when it started. Partitions added later are not picked up until
 * restart.
 */
public final class KafkaCatalogView implements CatalogReader, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaCatalogView.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final TopicTail.Names NAMES = new TopicTail.Names(
            "skein-catalog-view", "catalog view", "catalog reader", "tools and workers will no longer be updated");

    private final SkeinTopics topics;
    private final Map<String, ToolDefinition> tools = new ConcurrentHashMap<>();
    private final Map<String, WorkerHeartbeat> workers = new ConcurrentHashMap<>();
    private final TopicTail tail;

    /** @param kafkaClientProps common client settings (bootstrap servers, security); group and deserializers are set here */
    public KafkaCatalogView(Map<String, Object> kafkaClientProps, SkeinTopics topics) {
        this(TopicTail.consumer(consumerConfig(kafkaClientProps)), topics);
    }

    /** For tests: any consumer, e.g. {@code MockConsumer}. Starts the reading thread. */
    KafkaCatalogView(Consumer<byte[], byte[]> consumer, SkeinTopics topics) {
        this.topics = topics;
        // After the fields apply() reads: the reader thread starts here.
        this.tail = new TopicTail(
                consumer,
                List.of(topics.toolCatalog.name(), topics.workers.name()),
                TopicTail.From.BEGINNING,
                POLL_TIMEOUT,
                NAMES,
                this::apply,
                () -> {});
        tail.ready()
                .thenRun(() ->
                        log.info("catalog view: caught up with {} tools and {} workers", tools.size(), workers.size()));
    }

    static Map<String, Object> consumerConfig(Map<String, Object> kafkaClientProps) {
        Map<String, Object> config = TopicTail.consumerConfig(kafkaClientProps, NAMES.thread());
        // Compaction can delete the records at our position: start over from the earliest left,
        // which rebuilds the same latest values.
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return config;
    }

    /** Completes once everything the topics held when the view started has been read. */
    public CompletableFuture<Void> ready() {
        return tail.ready();
    }

    /** Up while the reader runs without errors; for the ingress's health supplier. */
    public Health.Component health() {
        String problem = tail.problem();
        if (problem != null) {
            return Health.Component.down(problem);
        }
        return Health.Component.up(tools.size() + " tools, " + workers.size() + " workers"
                + (tail.ready().isDone() ? "" : " (still catching up)"));
    }

    @Override
    public List<ToolDefinition> tools() {
        return List.copyOf(tools.values());
    }

    @Override
    public List<WorkerHeartbeat> workers() {
        return List.copyOf(workers.values());
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(topics.toolCatalog.name())) {
            apply(record, topics.toolCatalog, tools);
        } else {
            apply(record, topics.workers, workers);
        }
    }

    /** A record that cannot be deserialized throws before the map changes: the tail skips it. */
    private static <V> void apply(
            ConsumerRecord<byte[], byte[]> record, Topic<String, V> topic, Map<String, V> latest) {
        String key =
                record.key() == null ? null : topic.keySerde().deserializer().deserialize(record.topic(), record.key());
        V value = record.value() == null
                ? null
                : topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
        if (key == null) {
            log.warn(
                    "catalog view: skipping a record without a key at {}-{}@{}",
                    record.topic(),
                    record.partition(),
                    record.offset());
        } else if (value == null) {
            latest.remove(key);
        } else {
            latest.put(key, value);
        }
    }

    /** Stops the reader and closes the consumer; waits up to 10 s. The last snapshots stay readable. */
    @Override
    public void close() {
        tail.close();
    }
}
