package dev.skein.ingress;

import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
    private static final long RETRY_MS = 1_000;
    private static final long CLOSE_TIMEOUT_MS = 10_000;

    private final Consumer<byte[], byte[]> consumer;
    private final SkeinTopics topics;
    private final Map<String, ToolDefinition> tools = new ConcurrentHashMap<>();
    private final Map<String, WorkerHeartbeat> workers = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread reader;
    /** Reader thread only: the end offsets still to reach before {@link #ready()} completes. */
    private final Map<TopicPartition, Long> catchUp = new HashMap<>();
    private volatile String problem = "starting";

    /** @param kafkaClientProps common client settings (bootstrap servers, security); group and deserializers are set here */
    public KafkaCatalogView(Map<String, Object> kafkaClientProps, SkeinTopics topics) {
        this(new KafkaConsumer<>(consumerConfig(kafkaClientProps), new ByteArrayDeserializer(), new ByteArrayDeserializer()), topics);
    }

    /** For tests: any consumer, e.g. {@code MockConsumer}. Starts the reading thread. */
    KafkaCatalogView(Consumer<byte[], byte[]> consumer, SkeinTopics topics) {
        this.consumer = consumer;
        this.topics = topics;
        this.reader = Thread.ofPlatform().name("skein-catalog-view").daemon(true).unstarted(this::run);
        // Last statement: the thread sees a fully built object.
        reader.start();
    }

    static Map<String, Object> consumerConfig(Map<String, Object> kafkaClientProps) {
        Map<String, Object> config = new HashMap<>(kafkaClientProps);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
        config.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Compaction can delete the records at our position: start over from the earliest left,
        // which rebuilds the same latest values.
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "skein-catalog-view");
        return config;
    }

    /** Completes once everything the topics held when the view started has been read. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    /** Up while the reader runs without errors; for the ingress's health supplier. */
    public Health.Component health() {
        String current = problem;
        if (current != null || !reader.isAlive()) {
            return Health.Component.down(current == null ? "the catalog reader has stopped" : current);
        }
        return Health.Component.up(tools.size() + " tools, " + workers.size() + " workers"
                + (ready.isDone() ? "" : " (still catching up)"));
    }

    @Override
    public List<ToolDefinition> tools() {
        return List.copyOf(tools.values());
    }

    @Override
    public List<WorkerHeartbeat> workers() {
        return List.copyOf(workers.values());
    }

    private void run() {
        try {
            if (!assignAll()) {
                return;
            }
            problem = null;
            log.info("catalog view: reading {} and {} from their beginning", topics.toolCatalog.name(), topics.workers.name());
            while (closing.getCount() > 0) {
                pollOnce();
            }
        } catch (WakeupException e) {
            log.debug("catalog view: woken up to close");
        } catch (RuntimeException e) {
            problem = "the catalog reader stopped: " + e;
            log.error("catalog view: the reader stopped; tools and workers will no longer be updated", e);
        } finally {
            ready.completeExceptionally(new IllegalStateException("the catalog view closed before it had caught up"));
            consumer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        }
    }

    /** Assigns all partitions of both topics from their beginning, waiting for missing topics; false when closed. */
    private boolean assignAll() {
        while (closing.getCount() > 0) {
            List<TopicPartition> partitions = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (String topic : List.of(topics.toolCatalog.name(), topics.workers.name())) {
                List<PartitionInfo> infos;
                try {
                    infos = consumer.partitionsFor(topic);
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // Broker unreachable at start: keep trying, health() reports it meanwhile.
                    log.warn("catalog view: cannot read the partitions of {}: {}", topic, e.toString());
                    infos = null;
                }
                if (infos == null || infos.isEmpty()) {
                    missing.add(topic);
                } else {
                    infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
                }
            }
            if (missing.isEmpty()) {
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                catchUp.putAll(consumer.endOffsets(partitions));
                completeWhenCaughtUp();
                return true;
            }
            problem = "topics " + missing + " are not available (not created yet, or the broker is unreachable)";
            log.warn("catalog view: topics {} are not available yet; retrying in {} ms", missing, RETRY_MS);
            if (awaitClosing(RETRY_MS)) {
                return false;
            }
        }
        return false;
    }

    private void pollOnce() {
        try {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_TIMEOUT)) {
                apply(record);
            }
            completeWhenCaughtUp();
            problem = null;
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            // Transient broker trouble surfaces here; keep reading after a pause rather than die.
            problem = "polling failed: " + e;
            log.warn("catalog view: poll failed; retrying in {} ms", RETRY_MS, e);
            awaitClosing(RETRY_MS);
        }
    }

    private void completeWhenCaughtUp() {
        if (ready.isDone()) {
            return;
        }
        // position() is known for every assigned partition once it has been polled or seeked and
        // resolved; at most one lookup per partition before that.
        catchUp.entrySet().removeIf(end -> consumer.position(end.getKey()) >= end.getValue());
        if (catchUp.isEmpty()) {
            log.info("catalog view: caught up with {} tools and {} workers", tools.size(), workers.size());
            ready.complete(null);
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(topics.toolCatalog.name())) {
            apply(record, topics.toolCatalog, tools);
        } else {
            apply(record, topics.workers, workers);
        }
    }

    private static <V> void apply(ConsumerRecord<byte[], byte[]> record, Topic<String, V> topic, Map<String, V> latest) {
        String key;
        V value;
        try {
            key = record.key() == null ? null : topic.keySerde().deserializer().deserialize(record.topic(), record.key());
            value = record.value() == null ? null : topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            log.warn("catalog view: skipping a record that cannot be read at {}-{}@{}: {}",
                    record.topic(), record.partition(), record.offset(), e.toString());
            return;
        }
        if (key == null) {
            log.warn("catalog view: skipping a record without a key at {}-{}@{}", record.topic(), record.partition(), record.offset());
        } else if (value == null) {
            latest.remove(key);
        } else {
            latest.put(key, value);
        }
    }

    private boolean awaitClosing(long millis) {
        try {
            return closing.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Stops the reader and closes the consumer; waits up to 10 s. The last snapshots stay readable. */
    @Override
    public void close() {
        closing.countDown();
        consumer.wakeup();
        try {
            reader.join(CLOSE_TIMEOUT_MS + 1_000);
            if (reader.isAlive()) {
                log.warn("catalog view: the reader did not stop within {} ms", CLOSE_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
