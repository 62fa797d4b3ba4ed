package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code skein.responses} and {@code skein.deltas} from their end, on one thread, and
 * dispatches each completion on responses to the waiter of its turn, and each record of deltas
 * (a turn's start, its deltas, its completion), with its position, to the subscribers of its
 * session. A subscriber that resumes from a position is first replayed by {@link StreamReplays}.
 *
 * <p>No consumer group: every ingress instance must see every event (a client may be connected to
 * any instance), and nothing is committed because only events from now on matter. Records are read
 * {@code read_committed}, so a completion of an aborted transaction is never shown. A record that
 * cannot be read (bad bytes, unknown schema, another type, no value) is dead-lettered with topic,
 * partition, offset and cause and skipped: one bad record must not stop the live view of every
 * session.
 *
 * <p>The thread starts in the constructor; {@link #ready()} completes once it reads from the end
 * of every partition. Partitions added later are not picked up until restart.
 */
public final class KafkaSessionEvents implements SessionEvents, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSessionEvents.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    private static final TopicTail.Names NAMES = new TopicTail.Names(
            "skein-ingress-events", "session events", "event reader", "no completions or deltas will be delivered");
    private static final String STOPPED = "the ingress stopped reading turn completions";

    private record TurnKey(SessionAddress address, String turnId) {}

    private final SkeinTopics topics;
    private final StreamSettings settings;
    private final Map<TurnKey, CompletableFuture<TurnCompleted>> waiters = new ConcurrentHashMap<>();
    private final Map<SessionAddress, List<StreamSubscriber>> subscribers = new ConcurrentHashMap<>();
    private final AutoCloseable deadLetterProducer;
    private final UnstartedEndings unstarted = new UnstartedEndings();
    private final StreamReplays replays;
    private final TopicTail tail;

    /**
     * Dead-letters what it cannot read with {@code deadLetters}, which the caller owns and closes
     * after this reader (one producer can serve every reader of a process).
     *
     * @param kafkaClientProps common client settings (bootstrap servers, security); group and deserializers are set here
     */
    public KafkaSessionEvents(
            Map<String, Object> kafkaClientProps,
            SkeinTopics topics,
            EventProducer deadLetters,
            StreamSettings settings) {
        this(
                TopicTail.consumer(consumerConfig(kafkaClientProps)),
                () -> TopicTail.consumer(TopicTail.consumerConfig(kafkaClientProps, "skein-stream-replay")),
                topics,
                settings,
                (record, cause) -> deadLetters.deadLetter(topics.deadLetters, record, cause),
                () -> {});
    }

    /**
     * For tests: any consumers, e.g. {@code MockConsumer}s; rejects are only logged. Starts the
     * reading thread and the replay readers.
     */
    KafkaSessionEvents(
            org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
            Supplier<org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>> replayConsumers,
            SkeinTopics topics,
            StreamSettings settings) {
        this(consumer, replayConsumers, topics, settings, TopicTail.Rejects.LOG_ONLY, () -> {});
    }

    /** For tests: any consumers and rejects. Starts the reading thread and the replay readers. */
    KafkaSessionEvents(
            org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
            Supplier<org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>> replayConsumers,
            SkeinTopics topics,
            StreamSettings settings,
            TopicTail.Rejects rejects,
            AutoCloseable deadLetterProducer) {
        this.topics = topics;
        this.settings = settings;
        this.deadLetterProducer = deadLetterProducer;
        this.replays = new StreamReplays(replayConsumers, topics.deltas, settings.replayReaders());
        // Last statement: the reader thread starts here and sees a fully built object.
        this.tail = new TopicTail(
                consumer,
                List.of(topics.responses.name(), topics.deltas.name()),
                TopicTail.From.END,
                POLL_TIMEOUT,
                NAMES,
                this::dispatch,
                rejects,
                this::failWaiters);
    }

    static Map<String, Object> consumerConfig(Map<String, Object> kafkaClientProps) {
        return TopicTail.consumerConfig(kafkaClientProps, NAMES.thread());
    }

    /** Completes once every partition of both topics is assigned and positioned at its end. */
    public CompletableFuture<Void> ready() {
        return tail.ready();
    }

    /** Up while the reader runs without errors; for the ingress's health supplier. */
    public Health.Component health() {
        String problem = tail.problem();
        return problem == null
                ? Health.Component.up("reading " + topics.responses.name() + " and " + topics.deltas.name())
                : Health.Component.down(problem);
    }

    @Override
    public CompletableFuture<TurnCompleted> expect(SessionAddress address, String turnId) {
        if (tail.closed()) {
            return CompletableFuture.failedFuture(new IllegalStateException(STOPPED));
        }
        return waiters.computeIfAbsent(new TurnKey(address, turnId), k -> new CompletableFuture<>());
    }

    @Override
    public void forget(SessionAddress address, String turnId) {
        waiters.remove(new TurnKey(address, turnId));
    }

    @Override
    public Subscription subscribe(SessionAddress address, StreamStart start, SessionListener listener) {
        StreamSubscriber[] self = new StreamSubscriber[1];
        // compute/computeIfPresent make add and remove-when-empty atomic per session.
        StreamSubscriber subscriber = new StreamSubscriber(
                address,
                start,
                listener,
                settings.maxPendingEvents(),
                () -> subscribers.computeIfPresent(address, (k, list) -> {
                    list.remove(self[0]);
                    return list.isEmpty() ? null : list;
                }));
        self[0] = subscriber;
        subscribers.compute(address, (k, list) -> {
            List<StreamSubscriber> updated = list == null ? new CopyOnWriteArrayList<>() : list;
            updated.add(subscriber);
            return updated;
        });
        // Only now, once live events reach the subscriber: the replay's end is read after this.
        if (start.replays()) {
            replays.submit(subscriber);
        }
        return subscriber;
    }

    @Override
    public StreamSettings streamSettings() {
        return settings;
    }

    /** Streams waiting for a replay reader, for metrics. */
    public int replaysWaiting() {
        return replays.waiting();
    }

    /** Streams open on this instance, for metrics and tests. */
    public int subscriberCount() {
        return subscribers.values().stream().mapToInt(List::size).sum();
    }

    /**
     * A record that cannot be deserialized, has no value, or names an invalid session, throws
     * before anything is delivered: the tail dead-letters and skips it.
     */
    private void dispatch(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            throw new IllegalArgumentException("a record of " + record.topic() + " has no value (a tombstone)");
        } else if (record.topic().equals(topics.responses.name())) {
            TurnCompleted completed =
                    topics.responses.valueSerde().deserializer().deserialize(record.topic(), record.value());
            SessionAddress address = new SessionAddress(completed.getTenant(), completed.getSessionId());
            unstarted.observe(completed);
            CompletableFuture<TurnCompleted> waiter = waiters.remove(new TurnKey(address, completed.getTurnId()));
            if (waiter != null) {
                waiter.complete(completed);
            }
            // Streams get the completion from deltas, where the topology writes it too, with a position.
        } else {
            AgentDelta delta = topics.deltas.valueSerde().deserializer().deserialize(record.topic(), record.value());
            SessionAddress address = new SessionAddress(delta.getTenant(), delta.getSessionId());
            StreamEvent event = new StreamEvent(new StreamPosition(record.partition(), record.offset()), delta);
            deliver(address, delta.getTurnId(), event);
        }
    }

    @Override
    public java.util.Optional<TurnCompleted> unstartedEnding(SessionAddress address, String turnId) {
        return unstarted.find(address, turnId);
    }

    private void deliver(SessionAddress address, String turnId, StreamEvent event) {
        for (StreamSubscriber subscriber : subscribers.getOrDefault(address, List.of())) {
            try {
                subscriber.live(event);
            } catch (RuntimeException e) {
                log.warn(
                        "session {} turn {}: a listener failed; other listeners still get the event",
                        address,
                        turnId,
                        e);
            }
        }
    }

    private void failWaiters() {
        IllegalStateException stopped = new IllegalStateException(STOPPED);
        waiters.values().forEach(waiter -> waiter.completeExceptionally(stopped));
        waiters.clear();
    }

    /** Stops the reader, fails every pending waiter and closes the consumer; waits up to 10 s. */
    @Override
    public void close() {
        tail.close();
        replays.close();
        try {
            deadLetterProducer.close();
        } catch (Exception e) {
            log.warn("session events: closing the dead-letter producer failed", e);
        }
    }
}
