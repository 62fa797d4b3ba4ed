package dev.skein.schemas.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a share consumer in explicit acknowledgement mode: poll, hand every record of the poll to
 * the handler on its own virtual thread, acknowledge each record with the type its handler
 * returned, poll again. The acknowledgements travel to the broker with that next poll (or with the
 * commit at close).
 *
 * <p>Why batch by batch: in Kafka 4.4's explicit mode {@code poll} throws
 * {@code IllegalStateException("All records must be acknowledged in explicit acknowledgement
 * mode.")} while any record of the previous poll is unacknowledged, and the consumer may only be
 * used from one thread. So records run concurrently, but acknowledgements happen on the polling
 * thread once the whole batch is done, and a slow record holds its batch. Keep
 * {@code max.poll.records} at the concurrency you want ({@code share.acquire.mode=record_limit}
 * makes it a hard cap), and handlers bounded well under the broker's acquisition lock (30 s by
 * default), or the records are delivered again elsewhere.
 *
 * <p>A record that cannot be deserialized surfaces as a {@link RecordDeserializationException} from
 * {@code poll}; the client has already marked it RELEASE. The poison handler dead-letters it, and
 * then it is overridden to REJECT with {@code acknowledge(topic, partition, offset, REJECT)}
 * (KAFKA-19471). When dead-lettering fails it stays released, so it is retried until the group's
 * delivery count limit archives it.
 *
 * <p>Shared by the agent runner and the tool workers.
 */
public final class ShareBatchLoop<V> implements AutoCloseable {

    /** Processes one record and says how to acknowledge it; an exception means RELEASE. */
    @FunctionalInterface
    public interface RecordHandler<V> {
        AcknowledgeType handle(ConsumerRecord<String, V> record) throws Exception;
    }

    /** Dead-letters a record that could not be deserialized; true when it was written and may be rejected. */
    @FunctionalInterface
    public interface PoisonHandler {
        boolean deadLetter(RecordDeserializationException poison);
    }

    private static final Logger log = LoggerFactory.getLogger(ShareBatchLoop.class);

    private final String name;
    private final ShareConsumer<String, V> consumer;
    private final Duration pollTimeout;
    private final RecordHandler<V> handler;
    private final PoisonHandler poison;
    private final ExecutorService workers;
    private volatile boolean running;
    private volatile Throwable failure;
    private volatile Integer acquisitionLockTimeoutMs;
    private Thread thread;

    public ShareBatchLoop(String name, ShareConsumer<String, V> consumer, Duration pollTimeout,
                          RecordHandler<V> handler, PoisonHandler poison) {
        this.name = Objects.requireNonNull(name, "name");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.pollTimeout = Objects.requireNonNull(pollTimeout, "pollTimeout");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.poison = Objects.requireNonNull(poison, "poison");
        this.workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-record-", 0).factory());
    }

    /** Subscribes to {@code topics} and starts polling on a platform thread named after this loop. */
    public synchronized void start(Collection<String> topics) {
        if (thread != null) {
            throw new IllegalStateException(name + " is already started");
        }
        consumer.subscribe(topics);
        running = true;
        thread = Thread.ofPlatform().name(name).start(this::run);
    }

    /** True while the loop polls; false after {@link #close()} or a fatal error (see {@link #failure()}). */
    public boolean isRunning() {
        return running;
    }

    /** The error that stopped the loop, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * How long the broker locks a delivered record before giving it to another member, as reported
     * with the last records (empty before the first); handlers that may run longer risk running twice.
     */
    public Optional<Integer> acquisitionLockTimeoutMs() {
        return Optional.ofNullable(acquisitionLockTimeoutMs);
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<String, V> records;
                try {
                    records = consumer.poll(pollTimeout);
                } catch (RecordDeserializationException e) {
                    rejectPoison(e);
                    continue;
                }
                if (!records.isEmpty()) {
                    acquisitionLockTimeoutMs = consumer.acquisitionLockTimeoutMs().orElse(null);
                    processBatch(records);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                failure = e;
                log.error("{} was woken up while running; it stops", name, e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("{} was interrupted while waiting for its records; the unacknowledged ones are released", name);
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error("{} stopped: {}. Its records will be delivered to other members; restart it to rejoin",
                    name, e.toString(), e);
        } finally {
            running = false;
            workers.shutdownNow();
            closeConsumer();
        }
    }

    private void processBatch(ConsumerRecords<String, V> records) throws InterruptedException {
        List<ConsumerRecord<String, V>> batch = new ArrayList<>(records.count());
        List<Future<AcknowledgeType>> outcomes = new ArrayList<>(records.count());
        for (ConsumerRecord<String, V> record : records) {
            batch.add(record);
            outcomes.add(workers.submit(() -> handler.handle(record)));
        }
        for (int i = 0; i < batch.size(); i++) {
            ConsumerRecord<String, V> record = batch.get(i);
            AcknowledgeType type;
            try {
                type = outcomes.get(i).get();
            } catch (ExecutionException e) {
                log.error("{} could not process {}-{}@{}; it is released for another delivery",
                        name, record.topic(), record.partition(), record.offset(), e.getCause());
                type = AcknowledgeType.RELEASE;
            } catch (InterruptedException e) {
                // Release what is left so that another member gets it at once, not after the lock expires.
                for (int j = i; j < batch.size(); j++) {
                    outcomes.get(j).cancel(true);
                    consumer.acknowledge(batch.get(j), AcknowledgeType.RELEASE);
                }
                throw e;
            }
            consumer.acknowledge(record, type);
        }
    }

    private void rejectPoison(RecordDeserializationException e) {
        TopicPartition tp = e.topicPartition();
        log.error("{}: record {}-{}@{} cannot be read: {}", name, tp.topic(), tp.partition(), e.offset(),
                e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        if (poison.deadLetter(e)) {
            consumer.acknowledge(tp.topic(), tp.partition(), e.offset(), AcknowledgeType.REJECT);
        } else {
            log.warn("{}: record {}-{}@{} stays released, so it is delivered again until the delivery limit",
                    name, tp.topic(), tp.partition(), e.offset());
        }
    }

    private void closeConsumer() {
        try {
            commitPending();
        } finally {
            consumer.close(Duration.ofSeconds(10));
        }
    }

    private void commitPending() {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                consumer.commitSync(Duration.ofSeconds(10)).forEach((partition, error) -> error.ifPresent(
                        e -> log.warn("{}: acknowledgements for {} were not committed ({}); those records will be delivered again",
                                name, partition, e.getMessage())));
                return;
            } catch (WakeupException e) {
                // close() may have woken the consumer after the last poll: the wakeup fires here once.
                log.debug("{}: commit at close woken up; committing again", name);
            } catch (RuntimeException e) {
                log.warn("{}: could not commit acknowledgements at close; those records will be delivered again", name, e);
                return;
            }
        }
    }

    /** Stops polling, waits for the running batch (up to {@code timeout}), commits and closes the consumer. */
    public void close(Duration timeout) {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        running = false;
        if (t == null) {
            consumer.close(Duration.ofSeconds(10));
            workers.shutdownNow();
            return;
        }
        consumer.wakeup();
        try {
            t.join(timeout);
            if (t.isAlive()) {
                log.warn("{} did not stop within {}; interrupting its batch", name, timeout);
                t.interrupt();
                t.join(Duration.ofSeconds(15));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Interrupted while stopping {}", name);
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(60));
    }
}
