package dev.skein.ingress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
 * One platform thread that reads every partition of some topics, without a consumer group, and
 * hands each record to a callback: what {@link KafkaCatalogView} and {@link KafkaSessionEvents}
 * share.
 *
 * <p>Topics that do not exist yet, or a broker that cannot be reached at start, are retried every
 * second; a failed poll is retried after a second too. A record the callback throws on is logged
 * with topic, partition and offset, handed to the tail's {@link Rejects} (which dead-letters it)
 * and skipped: one bad record must not stop the reader.
 *
 * <p>The thread starts in the constructor, so build the tail last in its owner's constructor.
 * Partitions added later are not picked up until restart.
 */
final class TopicTail implements AutoCloseable {

    /** Where reading starts, and so when {@link #ready()} completes. */
    enum From {
        /** From the beginning; ready once up to the end offsets the topics had at start. */
        BEGINNING,
        /** From the end; ready once every partition is positioned there. */
        END,
        /**
         * From the first record written within the tail's lookback of its start (or the end, where
         * none was); ready once up to the end offsets the topics had at start.
         */
        RECENT
    }

    /**
     * How a tail names itself.
     *
     * @param thread      the thread's name, also the default client id
     * @param log         the prefix of its log lines, e.g. {@code "catalog view"}
     * @param reader      what health reports as stopped, e.g. {@code "catalog reader"}
     * @param lostOnStop  what no longer happens if the reader dies, for the error log
     */
    record Names(String thread, String log, String reader, String lostOnStop) {}

    /** Where a record the callback could not use goes, with why; called on the reader thread. */
    @FunctionalInterface
    interface Rejects {
        /** Only logs: for tests that do not look at dead letters. */
        Rejects LOG_ONLY = (record, cause) -> {};

        void reject(ConsumerRecord<byte[], byte[]> record, String cause);
    }

    private static final Logger log = LoggerFactory.getLogger(TopicTail.class);
    private static final long RETRY_MS = 1_000;
    private static final long CLOSE_TIMEOUT_MS = 10_000;

    private final Consumer<byte[], byte[]> consumer;
    private final List<String> topics;
    private final From from;
    private final Duration lookback;
    private final Duration pollTimeout;
    private final Names names;
    private final java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> onRecord;
    private final Rejects rejects;
    private final Runnable onStop;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread reader;
    /** Reader thread only: the end offsets still to reach before {@link #ready()} completes. */
    private final Map<TopicPartition, Long> catchUp = new HashMap<>();

    private volatile String problem = "starting";

    /**
     * Starts reading.
     *
     * @param onRecord called on the reader thread for every record, in order within a partition;
     *                 throws on a record it cannot use
     * @param rejects  gets each record {@code onRecord} threw on, with the exception as its cause
     * @param onStop   called on the reader thread once it stops, before the consumer is closed
     */
    TopicTail(
            Consumer<byte[], byte[]> consumer,
            List<String> topics,
            From from,
            Duration pollTimeout,
            Names names,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> onRecord,
            Rejects rejects,
            Runnable onStop) {
        this(consumer, topics, from, Duration.ZERO, pollTimeout, names, onRecord, rejects, onStop);
    }

    /** As above; {@code lookback} is how far back {@link From#RECENT} starts. */
    TopicTail(
            Consumer<byte[], byte[]> consumer,
            List<String> topics,
            From from,
            Duration lookback,
            Duration pollTimeout,
            Names names,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> onRecord,
            Rejects rejects,
            Runnable onStop) {
        this.consumer = consumer;
        this.topics = List.copyOf(topics);
        this.from = from;
        this.lookback = lookback;
        this.pollTimeout = pollTimeout;
        this.names = names;
        this.onRecord = onRecord;
        this.rejects = rejects;
        this.onStop = onStop;
        this.reader = Thread.ofPlatform().name(names.thread()).daemon(true).unstarted(this::run);
        // Last statement: the thread sees a fully built object.
        reader.start();
    }

    /** A consumer of raw bytes with {@link #consumerConfig} applied. */
    static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The common client settings without group or deserializers, reading committed records only
     * and committing nothing: every instance needs every record, and every start reads again.
     */
    static Map<String, Object> consumerConfig(Map<String, Object> kafkaClientProps, String clientId) {
        Map<String, Object> config = new HashMap<>(kafkaClientProps);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
        config.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        return config;
    }

    /** Completes as {@link From} says; fails if the tail stops before. Completed on the reader thread. */
    CompletableFuture<Void> ready() {
        return ready;
    }

    /** Why the reader is not reading right now, or null while it runs without errors. */
    String problem() {
        String current = problem;
        if (current == null && !reader.isAlive()) {
            return "the " + names.reader() + " has stopped";
        }
        return current;
    }

    /** True once {@link #close()} has been called. */
    boolean closed() {
        return closing.getCount() == 0;
    }

    private void run() {
        try {
            if (!assignAll()) {
                return;
            }
            log.info(
                    "{}: reading {} from {}",
                    names.log(),
                    topics,
                    switch (from) {
                        case BEGINNING -> "their beginning";
                        case END -> "their end";
                        case RECENT -> "what they received in the last " + lookback.toSeconds() + " s";
                    });
            while (!closed()) {
                pollOnce();
            }
        } catch (WakeupException e) {
            log.debug("{}: woken up to close", names.log());
        } catch (RuntimeException e) {
            problem = "the " + names.reader() + " stopped: " + e;
            log.error("{}: the reader stopped; {}", names.log(), names.lostOnStop(), e);
        } finally {
            ready.completeExceptionally(
                    new IllegalStateException("the " + names.reader() + " closed before it was ready"));
            onStop.run();
            consumer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        }
    }

    /** Assigns all partitions of the topics, waiting for topics that do not exist yet; false when closed. */
    private boolean assignAll() {
        while (!closed()) {
            List<TopicPartition> partitions = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (String topic : topics) {
                List<PartitionInfo> infos;
                try {
                    infos = consumer.partitionsFor(topic);
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // Broker unreachable at start: keep trying, problem() reports it meanwhile.
                    log.warn("{}: cannot read the partitions of {}: {}", names.log(), topic, e.toString());
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
                // Before position(): whoever sees ready() complete sees a healthy tail.
                problem = null;
                position(partitions);
                return true;
            }
            problem = "topics " + missing + " are not available (not created yet, or the broker is unreachable)";
            log.warn("{}: topics {} are not available yet; retrying in {} ms", names.log(), missing, RETRY_MS);
            if (awaitClosing(RETRY_MS)) {
                return false;
            }
        }
        return false;
    }

    private void position(List<TopicPartition> partitions) {
        switch (from) {
            case BEGINNING -> {
                consumer.seekToBeginning(partitions);
                catchUp.putAll(consumer.endOffsets(partitions));
                completeWhenCaughtUp();
            }
            case RECENT -> {
                Map<TopicPartition, Long> since = new HashMap<>();
                long startMs = System.currentTimeMillis() - lookback.toMillis();
                partitions.forEach(p -> since.put(p, startMs));
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
                consumer.offsetsForTimes(since)
                        .forEach((partition, found) ->
                                consumer.seek(partition, found == null ? ends.get(partition) : found.offset()));
                catchUp.putAll(ends);
                completeWhenCaughtUp();
            }
            case END -> {
                consumer.seekToEnd(partitions);
                // seekToEnd is lazy: resolve now, so that "ready" really means "from here on".
                partitions.forEach(consumer::position);
                ready.complete(null);
            }
        }
    }

    private void pollOnce() {
        try {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(pollTimeout)) {
                handle(record);
            }
            completeWhenCaughtUp();
            problem = null;
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            // Transient broker trouble surfaces here; keep reading after a pause rather than die.
            problem = "polling failed: " + e;
            log.warn("{}: poll failed; retrying in {} ms", names.log(), RETRY_MS, e);
            awaitClosing(RETRY_MS);
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        try {
            onRecord.accept(record);
        } catch (RuntimeException e) {
            log.warn(
                    "{}: skipping a record that cannot be read at {}-{}@{}: {}",
                    names.log(),
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.toString());
            try {
                rejects.reject(record, names.log() + " cannot read the record: " + e);
            } catch (RuntimeException failed) {
                log.error(
                        "{}: the record at {}-{}@{} could not be dead-lettered",
                        names.log(),
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        failed);
            }
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
            ready.complete(null);
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

    /** Stops the reader and closes the consumer; waits up to 10 s. */
    @Override
    public void close() {
        closing.countDown();
        consumer.wakeup();
        try {
            reader.join(CLOSE_TIMEOUT_MS + 1_000);
            if (reader.isAlive()) {
                log.warn("{}: the reader did not stop within {} ms", names.log(), CLOSE_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
