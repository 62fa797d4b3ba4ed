package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays sessions' streams from a position: a few consumers, each on a thread of its own, shared
 * by every client of the instance, taking one subscriber at a time. A replay assigns the session's
 * partition of {@code skein.deltas}, reads its end offset (the last stable offset: records are read
 * {@code read_committed}), seeks to the position, hands every record of the session up to that end
 * to the subscriber, and then lets it go live ({@link StreamSubscriber}, which explains why the
 * hand-off has no gap and no duplicate).
 *
 * <p>The session's partition is where the default partitioner puts its key (murmur2 of the
 * session address), as for every session-keyed topic. A position on another partition, or past the
 * end, is refused before the stream starts; one older than the partition's first kept offset
 * replays from there, after telling the client ({@link SessionListener#onGap}).
 */
final class StreamReplays implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamReplays.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int MAX_POLL_FAILURES = 5;

    private final Topic<String, AgentDelta> deltas;
    private final LinkedBlockingQueue<StreamSubscriber> queue = new LinkedBlockingQueue<>();
    private final List<Thread> readers = new ArrayList<>();
    private final List<Consumer<byte[], byte[]>> consumers = new ArrayList<>();
    private volatile boolean closed;

    StreamReplays(Supplier<Consumer<byte[], byte[]>> consumerFactory, Topic<String, AgentDelta> deltas, int count) {
        this.deltas = deltas;
        for (int i = 0; i < count; i++) {
            Consumer<byte[], byte[]> consumer = consumerFactory.get();
            consumers.add(consumer);
            Thread reader = Thread.ofPlatform()
                    .name("skein-stream-replay-" + i)
                    .daemon(true)
                    .start(() -> run(consumer));
            readers.add(reader);
        }
    }

    /** Queues the subscriber's replay; it runs when a reader is free. */
    void submit(StreamSubscriber subscriber) {
        if (closed) {
            subscriber.stop("the ingress is stopping; reconnect to another instance");
            return;
        }
        queue.add(subscriber);
    }

    /** Replays waiting for a reader, for metrics and tests. */
    int waiting() {
        return queue.size();
    }

    private void run(Consumer<byte[], byte[]> consumer) {
        try {
            while (!closed) {
                StreamSubscriber next = queue.poll(1, TimeUnit.SECONDS);
                if (next != null && !next.isClosed()) {
                    replay(consumer, next);
                }
            }
        } catch (InterruptedException | WakeupException e) {
            log.debug("stream replay reader stopping");
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void replay(Consumer<byte[], byte[]> consumer, StreamSubscriber subscriber) {
        long startedNs = System.nanoTime();
        int replayed = 0;
        try {
            byte[] key = subscriber.address.toString().getBytes(StandardCharsets.UTF_8);
            TopicPartition partition = partitionOf(consumer, key, subscriber.address);
            StreamPosition after = subscriber.start.after();
            if (after != null && after.partition() != partition.partition()) {
                subscriber.refuse(HttpFailure.badRequest("position " + after + " is not one of session "
                        + subscriber.address + "'s: its events are on partition " + partition.partition()
                        + "; send back an id this session's stream gave you"));
                return;
            }
            consumer.assign(List.of(partition));
            // After the subscriber joined the live dispatch (see StreamSubscriber): the end bounds the replay.
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            long begin = consumer.beginningOffsets(List.of(partition)).get(partition);
            long from;
            if (after != null) {
                if (after.offset() >= end) {
                    subscriber.refuse(HttpFailure.badRequest("position " + after + " is beyond the end of session "
                            + subscriber.address + "'s stream (its latest position is " + partition.partition() + "-"
                            + (end - 1) + "); send back an id this session's stream gave you"));
                    return;
                }
                from = after.offset() + 1;
            } else {
                OffsetAndTimestamp found = consumer.offsetsForTimes(
                                Map.of(partition, subscriber.start.since().toEpochMilli()))
                        .get(partition);
                from = found == null ? end : found.offset();
            }
            subscriber.begin();
            if (from < begin) {
                subscriber.gap(after, new StreamPosition(partition.partition(), begin));
                from = begin;
            }
            consumer.seek(partition, from);
            int failures = 0;
            while (!subscriber.isClosed() && consumer.position(partition) < end) {
                List<ConsumerRecord<byte[], byte[]>> records;
                try {
                    records = consumer.poll(POLL).records(partition);
                    failures = 0;
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (++failures >= MAX_POLL_FAILURES) {
                        throw e;
                    }
                    log.warn("session {}: replay poll failed; retrying: {}", subscriber.address, e.toString());
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    AgentDelta delta = sessionEvent(record, key, subscriber.address);
                    if (delta != null) {
                        replayed++;
                        StreamEvent event =
                                new StreamEvent(new StreamPosition(record.partition(), record.offset()), delta);
                        if (!subscriber.replayed(event)) {
                            return;
                        }
                    }
                }
            }
            subscriber.replayDone();
            log.debug(
                    "session {}: replayed {} events from {} in {} ms",
                    subscriber.address,
                    replayed,
                    from,
                    (System.nanoTime() - startedNs) / 1_000_000);
        } catch (WakeupException e) {
            subscriber.stop("the ingress is stopping; resume from your last position on another instance");
            throw e;
        } catch (RuntimeException e) {
            log.warn("session {}: replay failed", subscriber.address, e);
            subscriber.stop(
                    "the stream could not be replayed (" + e.getMessage() + "); resume from your last position");
        } finally {
            consumer.unsubscribe();
        }
    }

    /** The session's record, or null for another session's (or one that cannot be read: the live tail dead-letters those). */
    private AgentDelta sessionEvent(ConsumerRecord<byte[], byte[]> record, byte[] key, SessionAddress address) {
        if (record.value() == null || !Arrays.equals(record.key(), key)) {
            return null;
        }
        try {
            AgentDelta delta = deltas.valueSerde().deserializer().deserialize(record.topic(), record.value());
            return address.tenant().equals(delta.getTenant())
                            && address.sessionId().equals(delta.getSessionId())
                    ? delta
                    : null;
        } catch (RuntimeException e) {
            log.debug(
                    "session {}: skipping an unreadable record at {}-{}@{} in a replay: {}",
                    address,
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.toString());
            return null;
        }
    }

    private TopicPartition partitionOf(Consumer<byte[], byte[]> consumer, byte[] key, SessionAddress address) {
        var partitions = consumer.partitionsFor(deltas.name());
        if (partitions == null || partitions.isEmpty()) {
            throw new IllegalStateException("topic " + deltas.name() + " has no partitions (not created yet?)");
        }
        // The default partitioner's choice for a keyed record, as every writer of the topic makes it.
        return new TopicPartition(deltas.name(), Utils.toPositive(Utils.murmur2(key)) % partitions.size());
    }

    @Override
    public void close() {
        closed = true;
        consumers.forEach(Consumer::wakeup);
        for (Thread reader : readers) {
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        StreamSubscriber left;
        while ((left = queue.poll()) != null) {
            left.stop("the ingress is stopping; resume from your last position on another instance");
        }
    }
}
