package dev.skein.schemas.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
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
 * Drives a share consumer in explicit acknowledgement mode: poll, run every record of the poll on
 * its own virtual thread, acknowledge each with the type its handler returned, poll again; and
 * renew the acquisition lock of records whose handler runs long. Used by the agent runner and the
 * tool workers.
 *
 * <p>Why batch by batch: in Kafka 4.4's explicit mode {@code poll} throws while any record of the
 * previous poll is unacknowledged, and the consumer may only be used from one thread.
 *
 * <p>How renewal works in Kafka 4.4 (KIP-1222, read from the 4.4.0 client): {@code
 * acknowledge(record, RENEW)} counts as acknowledging the record for the next {@code poll}, which
 * sends it; the broker restarts the record's lock (group config {@code
 * share.renew.acknowledge.enable}, true by default in 4.4). While renewals are pending, or records
 * of the last poll are in flight, the consumer fetches nothing new: the renewed records are
 * returned by a later {@code poll} (the same records, same delivery count) and must be
 * acknowledged again, with RENEW again or with their outcome. A renewal the broker refuses (the
 * lock was already lost) makes the record simply not come back: the call is then running
 * elsewhere too, and its task here is interrupted once it has not come back for a lock duration.
 *
 * <p>So this loop waits for a batch until all its handlers finish or half the lock duration
 * ({@link ShareConsumer#acquisitionLockTimeoutMs()}) has passed, then acknowledges the finished
 * records with their outcome and the running ones with RENEW, and polls again. A long record still
 * holds its batch: while it runs, this consumer takes no new records.
 *
 * <p>A record that cannot be deserialized surfaces as a {@link RecordDeserializationException}
 * from {@code poll}; the poison handler dead-letters it, then it is acknowledged REJECT
 * (KAFKA-19471). When dead-lettering fails it stays released and is retried until the group's
 * delivery count limit archives it.
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
    // The broker's default share.record.lock.duration.ms, until the consumer reports the group's own.
    private static final int DEFAULT_LOCK_MS = 30_000;
    private static final long MIN_RENEW_AFTER_MS = 100;

    private record Key(String topic, int partition, long offset) {
        static Key of(ConsumerRecord<?, ?> record) {
            return new Key(record.topic(), record.partition(), record.offset());
        }
    }

    private static final class Task {
        final Future<AcknowledgeType> outcome;
        long lastSeenNanos;

        Task(Future<AcknowledgeType> outcome, long now) {
            this.outcome = outcome;
            this.lastSeenNanos = now;
        }
    }

    private final String name;
    private final ShareConsumer<String, V> consumer;
    private final Duration pollTimeout;
    private final RecordHandler<V> handler;
    private final PoisonHandler poison;
    private final ExecutorService workers;
    // Only the polling thread touches the tasks.
    private final Map<Key, Task> tasks = new HashMap<>();
    private final AtomicLong renewals = new AtomicLong();
    private final AtomicLong lostLocks = new AtomicLong();
    private volatile boolean running;
    private volatile Throwable failure;
    private volatile Integer acquisitionLockTimeoutMs;
    private Thread thread;

    public ShareBatchLoop(
            String name,
            ShareConsumer<String, V> consumer,
            Duration pollTimeout,
            RecordHandler<V> handler,
            PoisonHandler poison) {
        this.name = Objects.requireNonNull(name, "name");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.pollTimeout = Objects.requireNonNull(pollTimeout, "pollTimeout");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.poison = Objects.requireNonNull(poison, "poison");
        this.workers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name(name + "-record-", 0).factory());
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

    /** How long the broker locks a delivered record, as reported with the last records (empty before the first). */
    public Optional<Integer> acquisitionLockTimeoutMs() {
        return Optional.ofNullable(acquisitionLockTimeoutMs);
    }

    /** RENEW acknowledgements sent since start. */
    public long renewals() {
        return renewals.get();
    }

    /** Records whose renewal the broker refused (their lock had expired), since start. */
    public long lostLocks() {
        return lostLocks.get();
    }

    private void run() {
        try {
            // After close() the loop goes on while tasks run, to acknowledge them when they finish.
            while (running || !tasks.isEmpty()) {
                ConsumerRecords<String, V> records;
                try {
                    records = consumer.poll(pollTimeout);
                } catch (RecordDeserializationException e) {
                    rejectPoison(e);
                    continue;
                } catch (WakeupException e) {
                    if (running) {
                        throw e;
                    }
                    // close() wakes the consumer once to end a long poll; carry on with the running tasks.
                    continue;
                }
                if (!records.isEmpty()) {
                    acquisitionLockTimeoutMs =
                            consumer.acquisitionLockTimeoutMs().orElse(null);
                    processBatch(records);
                }
                forgetLostLocks();
            }
        } catch (WakeupException e) {
            failure = e;
            log.error("{} was woken up while running; it stops", name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("{} was interrupted while waiting for its records; the unacknowledged ones are released", name);
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error(
                    "{} stopped: {}. Its records will be delivered to other members; restart it to rejoin",
                    name,
                    e.toString(),
                    e);
        } finally {
            running = false;
            tasks.values().forEach(task -> task.outcome.cancel(true));
            tasks.clear();
            workers.shutdownNow();
            closeConsumer();
        }
    }

    private void processBatch(ConsumerRecords<String, V> records) throws InterruptedException {
        long now = System.nanoTime();
        int lockMs = acquisitionLockTimeoutMs == null ? DEFAULT_LOCK_MS : acquisitionLockTimeoutMs;
        long renewAt = now + TimeUnit.MILLISECONDS.toNanos(Math.max(MIN_RENEW_AFTER_MS, lockMs / 2));
        List<ConsumerRecord<String, V>> batch = new ArrayList<>(records.count());
        for (ConsumerRecord<String, V> record : records) {
            Key key = Key.of(record);
            Task task = tasks.get(key);
            if (task != null) {
                task.lastSeenNanos = now;
            } else if (!running) {
                // Closing: a record that has not started goes straight back to the pool.
                consumer.acknowledge(record, AcknowledgeType.RELEASE);
                continue;
            } else {
                tasks.put(key, new Task(workers.submit(() -> handler.handle(record)), now));
            }
            batch.add(record);
        }
        try {
            for (ConsumerRecord<String, V> record : batch) {
                long left = renewAt - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    tasks.get(Key.of(record)).outcome.get(left, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    break;
                } catch (ExecutionException e) {
                    // Done: acknowledged below with RELEASE.
                }
            }
        } catch (InterruptedException e) {
            // Release what is left so that another member gets it at once, not after the lock expires.
            for (ConsumerRecord<String, V> record : batch) {
                Task task = tasks.remove(Key.of(record));
                task.outcome.cancel(true);
                consumer.acknowledge(record, AcknowledgeType.RELEASE);
            }
            throw e;
        }
        for (ConsumerRecord<String, V> record : batch) {
            Key key = Key.of(record);
            Task task = tasks.get(key);
            if (task.outcome.isDone()) {
                tasks.remove(key);
                consumer.acknowledge(record, outcome(record, task.outcome));
            } else {
                renewals.incrementAndGet();
                log.debug(
                        "{}: renewing the lock of {}-{}@{}, still running",
                        name,
                        record.topic(),
                        record.partition(),
                        record.offset());
                consumer.acknowledge(record, AcknowledgeType.RENEW);
            }
        }
    }

    private AcknowledgeType outcome(ConsumerRecord<String, V> record, Future<AcknowledgeType> outcome) {
        try {
            return outcome.resultNow();
        } catch (IllegalStateException e) {
            Throwable cause = outcome.state() == Future.State.FAILED ? outcome.exceptionNow() : e;
            log.error(
                    "{} could not process {}-{}@{}; it is released for another delivery",
                    name,
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    cause);
            return AcknowledgeType.RELEASE;
        }
    }

    // A record whose renewal was refused never comes back from poll: its call now belongs to another
    // member, so the task here is stopped rather than left to finish into a duplicate.
    private void forgetLostLocks() {
        int lockMs = acquisitionLockTimeoutMs == null ? DEFAULT_LOCK_MS : acquisitionLockTimeoutMs;
        long limit = TimeUnit.MILLISECONDS.toNanos(lockMs) + pollTimeout.toNanos();
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Key, Task>> it = tasks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Task> entry = it.next();
            if (now - entry.getValue().lastSeenNanos > limit) {
                Key key = entry.getKey();
                lostLocks.incrementAndGet();
                log.warn(
                        "{}: the lock of {}-{}@{} was lost (its renewal was refused); its call is stopped here and"
                                + " runs on another member",
                        name,
                        key.topic(),
                        key.partition(),
                        key.offset());
                entry.getValue().outcome.cancel(true);
                it.remove();
            }
        }
    }

    private void rejectPoison(RecordDeserializationException e) {
        TopicPartition tp = e.topicPartition();
        log.error(
                "{}: record {}-{}@{} cannot be read: {}",
                name,
                tp.topic(),
                tp.partition(),
                e.offset(),
                e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        if (poison.deadLetter(e)) {
            consumer.acknowledge(tp.topic(), tp.partition(), e.offset(), AcknowledgeType.REJECT);
        } else {
            log.warn(
                    "{}: record {}-{}@{} stays released, so it is delivered again until the delivery limit",
                    name,
                    tp.topic(),
                    tp.partition(),
                    e.offset());
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
                consumer.commitSync(Duration.ofSeconds(10))
                        .forEach((partition, error) -> error.ifPresent(e -> log.warn(
                                "{}: acknowledgements for {} were not committed ({}); those records will be delivered again",
                                name,
                                partition,
                                e.getMessage())));
                return;
            } catch (WakeupException e) {
                log.debug("{}: commit at close woken up; committing again", name);
            } catch (RuntimeException e) {
                log.warn(
                        "{}: could not commit acknowledgements at close; those records will be delivered again",
                        name,
                        e);
                return;
            }
        }
    }

    /**
     * Closes {@code loops} side by side, each with {@link #close(Duration)}, so that closing a
     * pool of consumers takes one drain, not one per loop. Returns when all are closed, or early
     * (the interrupt flag set again) when the calling thread is interrupted.
     */
    public static void closeAll(Collection<? extends ShareBatchLoop<?>> loops, Duration timeout) {
        List<Thread> closing = loops.stream()
                .map(loop -> Thread.ofVirtual().name("skein-share-loop-close").start(() -> loop.close(timeout)))
                .toList();
        for (Thread thread : closing) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.warn("Interrupted while {} share consumer loops drained", loops.size());
                return;
            }
        }
    }

    /**
     * Stops taking records, lets the running ones finish (renewing their locks) for up to
     * {@code timeout}, then interrupts them, releases their records, commits and closes the consumer.
     */
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
                log.warn("{} did not stop within {}; interrupting its records", name, timeout);
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
