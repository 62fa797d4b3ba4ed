package dev.skein.memory;

import dev.skein.events.MemoryRecord;
import dev.skein.schemas.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
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
 * Reads the memories topic from the beginning into a {@link MemoryIndex} on one platform thread,
 * without a consumer group (every instance needs every record, and every start reads again),
 * read_committed. Ready once the end offsets of the start are reached; {@link #awaitApplied} lets
 * a writer wait for its own record, so that it reads what it wrote and a forget is never undone
 * by an older record still on its way. A record that cannot be read is logged, handed to
 * {@code rejects} and skipped.
 */
final class MemoryTail implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MemoryTail.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long RETRY_MS = 1_000;

    private final Consumer<byte[], byte[]> consumer;
    private final Topic<String, MemoryRecord> topic;
    private final MemoryIndex index;
    private final BiConsumer<ConsumerRecord<byte[], byte[]>, String> rejects;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** The next offset to apply per partition, published after each record is applied. */
    private final Map<Integer, Long> positions = new ConcurrentHashMap<>();

    private final Thread reader;
    private volatile boolean closing;
    private volatile String problem = "starting";

    MemoryTail(
            Map<String, Object> kafkaClientProps,
            Topic<String, MemoryRecord> topic,
            MemoryIndex index,
            BiConsumer<ConsumerRecord<byte[], byte[]>, String> rejects) {
        Map<String, Object> config = new HashMap<>(kafkaClientProps);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "skein-memory-index");
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.index = index;
        this.rejects = rejects;
        this.reader =
                Thread.ofPlatform().name("skein-memory-index").daemon(true).unstarted(this::run);
        reader.start();
    }

    CompletableFuture<Void> ready() {
        return ready;
    }

    /** Null while reading; otherwise what is wrong, for health. */
    String problem() {
        return problem;
    }

    /** Waits until the record at {@code partition}@{@code offset} is in the index; false on timeout. */
    boolean awaitApplied(int partition, long offset, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (positions.getOrDefault(partition, -1L) <= offset) {
            if (System.nanoTime() > until || closing) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private void run() {
        try {
            Map<TopicPartition, Long> catchUp = assign();
            while (!closing) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    apply(record);
                    positions.put(record.partition(), record.offset() + 1);
                }
                // Transaction markers and compacted gaps move positions without records.
                for (TopicPartition partition : consumer.assignment()) {
                    positions.put(partition.partition(), consumer.position(partition));
                }
                if (!ready.isDone()) {
                    catchUp.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
                    if (catchUp.isEmpty()) {
                        log.info("memory index rebuilt from {}: {} memories", topic.name(), index.size());
                        ready.complete(null);
                    }
                }
                problem = null;
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            problem = "memory index reader stopped: " + e;
            log.error("memory index reader stopped; memories written elsewhere will not be seen", e);
            ready.completeExceptionally(e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private Map<TopicPartition, Long> assign() throws InterruptedException {
        while (!closing) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic.name());
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> partitions = infos.stream()
                        .map(info -> new TopicPartition(info.topic(), info.partition()))
                        .toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                return new HashMap<>(consumer.endOffsets(partitions));
            }
            problem = "topic " + topic.name() + " does not exist yet";
            Thread.sleep(RETRY_MS);
        }
        throw new InterruptedException("closing");
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        try {
            if (record.key() == null) {
                throw new IllegalArgumentException("a record of " + record.topic() + " has no key");
            }
            String key = topic.keySerde().deserializer().deserialize(record.topic(), record.key());
            MemoryRecord value = record.value() == null
                    ? null
                    : topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
            index.apply(key, value);
        } catch (RuntimeException e) {
            log.warn("skipping {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            rejects.accept(record, e.toString());
        }
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
