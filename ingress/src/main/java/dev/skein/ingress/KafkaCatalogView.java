package dev.skein.ingress;

import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.schemas.WorkerLiveness;
import dev.skein.schemas.kafka.EventProducer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
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
 * because every start reads them again (they are compacted, so that stays short). A record that
 * cannot be read (bad bytes, unknown schema, another type, no key) is dead-lettered with topic,
 * partition, offset and cause and skipped, keeping the previous value of its key: one bad record
 * must not blank the catalog. A tombstone is legitimate on these compacted topics: it deletes.
 *
 * <p>A worker whose last heartbeat is older than the forget-after time is dropped from
 * {@link #workers()}: it died without its goodbye tombstone and will not come back under that id
 * (a worker that does come back reappears with its next heartbeat).
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
    private final Duration workerTimeout;
    private final Duration forgetAfter;
    private final LongSupplier clock;
    private final AutoCloseable deadLetterProducer;
    private final Map<String, ToolDefinition> tools = new ConcurrentHashMap<>();
    private final Map<String, WorkerHeartbeat> workers = new ConcurrentHashMap<>();
    private final TopicTail tail;

    /**
     * A view that dead-letters what it cannot read, and never forgets a worker.
     *
     * @param kafkaClientProps common client settings (bootstrap servers, security); group and deserializers are set here
     */
    public KafkaCatalogView(Map<String, Object> kafkaClientProps, SkeinTopics topics) {
        this(kafkaClientProps, topics, new EventProducer(kafkaClientProps, "ingress"));
    }

    // Dead-letters with a producer of its own, closed with the view.
    private KafkaCatalogView(Map<String, Object> kafkaClientProps, SkeinTopics topics, EventProducer own) {
        this(kafkaClientProps, topics, null, null, own, own);
    }

    /**
     * A view that dead-letters what it cannot read with {@code deadLetters}, which the caller owns
     * and closes after this view (one producer can serve every reader of a process).
     *
     * @param workerTimeout a worker whose last heartbeat is older is not live (health counts live ones); null: all are
     * @param forgetAfter a worker whose last heartbeat is older is dropped from {@link #workers()}; null: never
     */
    public KafkaCatalogView(
            Map<String, Object> kafkaClientProps,
            SkeinTopics topics,
            Duration workerTimeout,
            Duration forgetAfter,
            EventProducer deadLetters) {
        this(kafkaClientProps, topics, workerTimeout, forgetAfter, deadLetters, () -> {});
    }

    private KafkaCatalogView(
            Map<String, Object> kafkaClientProps,
            SkeinTopics topics,
            Duration workerTimeout,
            Duration forgetAfter,
            EventProducer producer,
            AutoCloseable ownedProducer) {
        this(
                TopicTail.consumer(consumerConfig(kafkaClientProps)),
                topics,
                workerTimeout,
                forgetAfter,
                System::currentTimeMillis,
                (record, cause) -> producer.deadLetter(topics.deadLetters, record, cause),
                ownedProducer);
    }

    /** For tests: any consumer, e.g. {@code MockConsumer}; rejects are only logged. Starts the reading thread. */
    KafkaCatalogView(Consumer<byte[], byte[]> consumer, SkeinTopics topics) {
        this(consumer, topics, null, null, System::currentTimeMillis, TopicTail.Rejects.LOG_ONLY, () -> {});
    }

    /** For tests: any consumer, clock and rejects. Starts the reading thread. */
    KafkaCatalogView(
            Consumer<byte[], byte[]> consumer,
            SkeinTopics topics,
            Duration workerTimeout,
            Duration forgetAfter,
            LongSupplier clock,
            TopicTail.Rejects rejects,
            AutoCloseable deadLetterProducer) {
        this.topics = topics;
        this.workerTimeout = workerTimeout;
        this.forgetAfter = forgetAfter;
        this.clock = clock;
        this.deadLetterProducer = deadLetterProducer;
        // After the fields apply() reads: the reader thread starts here.
        this.tail = new TopicTail(
                consumer,
                List.of(topics.toolCatalog.name(), topics.workers.name()),
                TopicTail.From.BEGINNING,
                POLL_TIMEOUT,
                NAMES,
                this::apply,
                rejects,
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
        List<WorkerHeartbeat> known = workers();
        String counted = workerTimeout == null
                ? known.size() + " workers"
                : known.stream()
                                .filter(w -> WorkerLiveness.isLive(w, clock.getAsLong(), workerTimeout))
                                .count()
                        + " live workers (" + known.size() + " known)";
        return Health.Component.up(
                tools.size() + " tools, " + counted + (tail.ready().isDone() ? "" : " (still catching up)"));
    }

    @Override
    public List<ToolDefinition> tools() {
        return List.copyOf(tools.values());
    }

    /** The latest heartbeat of every worker not yet forgotten; forgotten ones are dropped here. */
    @Override
    public List<WorkerHeartbeat> workers() {
        if (forgetAfter != null) {
            long oldest = clock.getAsLong() - forgetAfter.toMillis();
            // remove(key, value): a newer heartbeat that arrived meanwhile stays.
            workers.forEach((id, last) -> {
                if (last.getTimestampMs() < oldest) {
                    workers.remove(id, last);
                }
            });
        }
        return List.copyOf(workers.values());
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(topics.toolCatalog.name())) {
            apply(record, topics.toolCatalog, tools);
        } else {
            apply(record, topics.workers, workers);
        }
    }

    /** A record that cannot be deserialized, or has no key, throws before the map changes: the tail dead-letters it. */
    private static <V> void apply(
            ConsumerRecord<byte[], byte[]> record, Topic<String, V> topic, Map<String, V> latest) {
        String key =
                record.key() == null ? null : topic.keySerde().deserializer().deserialize(record.topic(), record.key());
        V value = record.value() == null
                ? null
                : topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
        if (key == null) {
            throw new IllegalArgumentException("a record of compacted topic " + record.topic() + " has no key");
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
        try {
            deadLetterProducer.close();
        } catch (Exception e) {
            log.warn("catalog view: closing its dead-letter producer failed", e);
        }
    }
}
