package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
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
 * Reads {@code skein.responses} and {@code skein.deltas} from their end, on one thread, and
 * dispatches each event to the waiter of its turn and to the subscribers of its session.
 *
 * <p>No consumer group: every ingress instance must see every event (a client may be connected to
 * any instance), and nothing is committed because only events from now on matter. Records are read
 * {@code read_committed}, so a completion of an aborted transaction is never shown. A record that
 * cannot be read is logged with topic, partition and offset and skipped: one bad record must not
 * stop the live view of every session.
 *
 * <p>The thread starts in the constructor; {@link #ready()} completes once it reads from the end
 * of every partition. Partitions added later are not picked up until restart.
 */
public final class KafkaSessionEvents implements SessionEvents, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSessionEvents.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    private static final long RETRY_MS = 1_000;
    private static final long CLOSE_TIMEOUT_MS = 10_000;

    private record TurnKey(SessionAddress address, String turnId) {}

    private record Subscription(SessionListener listener) {}

    private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
    private final SkeinTopics topics;
    private final Map<TurnKey, CompletableFuture<TurnCompleted>> waiters = new ConcurrentHashMap<>();
    private final Map<SessionAddress, List<Subscription>> subscribers = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread reader;
    private volatile String problem = "starting";

    /** @param kafkaClientProps common client settings (bootstrap servers, security); group and deserializers are set here */
    public KafkaSessionEvents(Map<String, Object> kafkaClientProps, SkeinTopics topics) {
        this(new KafkaConsumer<>(consumerConfig(kafkaClientProps), new ByteArrayDeserializer(), new ByteArrayDeserializer()), topics);
    }

    /** For tests: any consumer, e.g. {@code MockConsumer}. Starts the reading thread. */
    KafkaSessionEvents(org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer, SkeinTopics topics) {
        this.consumer = consumer;
        this.topics = topics;
        this.reader = Thread.ofPlatform().name("skein-ingress-events").daemon(true).unstarted(this::run);
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
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "skein-ingress-events");
        return config;
    }

    /** Completes once every partition of both topics is assigned and positioned at its end. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    /** Up while the reader runs without errors; for the ingress's health supplier. */
    public Health.Component health() {
        String current = problem;
        return current == null && reader.isAlive()
                ? Health.Component.up("reading " + topics.responses.name() + " and " + topics.deltas.name())
                : Health.Component.down(current == null ? "the event reader has stopped" : current);
    }

    @Override
    public CompletableFuture<TurnCompleted> expect(SessionAddress address, String turnId) {
        if (closing.getCount() == 0) {
            return CompletableFuture.failedFuture(new IllegalStateException("the ingress stopped reading turn completions"));
        }
        return waiters.computeIfAbsent(new TurnKey(address, turnId), k -> new CompletableFuture<>());
    }

    @Override
    public void forget(SessionAddress address, String turnId) {
        waiters.remove(new TurnKey(address, turnId));
    }

    @Override
    public AutoCloseable subscribe(SessionAddress address, SessionListener listener) {
        Subscription subscription = new Subscription(listener);
        subscribers.compute(address, (k, list) -> {
            List<Subscription> updated = list == null ? new CopyOnWriteArrayList<>() : list;
            updated.add(subscription);
            return updated;
        });
        // compute/computeIfPresent make add and remove-when-empty atomic per session.
        return () -> subscribers.computeIfPresent(address, (k, list) -> {
            list.remove(subscription);
            return list.isEmpty() ? null : list;
        });
    }

    private void run() {
        try {
            if (!assignAll()) {
                return;
            }
            problem = null;
            ready.complete(null);
            log.info("session events: reading {} and {} from their end", topics.responses.name(), topics.deltas.name());
            while (closing.getCount() > 0) {
                pollOnce();
            }
        } catch (WakeupException e) {
            log.debug("session events: woken up to close");
        } catch (RuntimeException e) {
            problem = "the event reader stopped: " + e;
            log.error("session events: the reader stopped; no completions or deltas will be delivered", e);
        } finally {
            ready.completeExceptionally(new IllegalStateException("session events closed before they were ready"));
            IllegalStateException stopped = new IllegalStateException("the ingress stopped reading turn completions");
            waiters.values().forEach(waiter -> waiter.completeExceptionally(stopped));
            waiters.clear();
            consumer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        }
    }

    /** Assigns all partitions of both topics, waiting for topics that do not exist yet; false when closed. */
    private boolean assignAll() {
        while (closing.getCount() > 0) {
            List<TopicPartition> partitions = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (String topic : List.of(topics.responses.name(), topics.deltas.name())) {
                List<PartitionInfo> infos;
                try {
                    infos = consumer.partitionsFor(topic);
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // Broker unreachable at start: keep trying, the ingress reports it through health().
                    log.warn("session events: cannot read the partitions of {}: {}", topic, e.toString());
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
                consumer.seekToEnd(partitions);
                // seekToEnd is lazy: resolve now, so that "ready" really means "from here on".
                partitions.forEach(consumer::position);
                return true;
            }
            problem = "topics " + missing + " are not available (not created yet, or the broker is unreachable)";
            log.warn("session events: topics {} are not available yet; retrying in {} ms", missing, RETRY_MS);
            if (awaitClosing(RETRY_MS)) {
                return false;
            }
        }
        return false;
    }

    private void pollOnce() {
        try {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_TIMEOUT)) {
                dispatch(record);
            }
            problem = null;
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            // Transient broker trouble surfaces here; keep reading after a pause rather than die.
            problem = "polling failed: " + e;
            log.warn("session events: poll failed; retrying in {} ms", RETRY_MS, e);
            awaitClosing(RETRY_MS);
        }
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(topics.responses.name())) {
            TurnCompleted completed = read(record, bytes -> topics.responses.valueSerde().deserializer().deserialize(record.topic(), bytes));
            SessionAddress address = completed == null ? null : address(record, completed.getTenant(), completed.getSessionId());
            if (address == null) {
                return;
            }
            CompletableFuture<TurnCompleted> waiter = waiters.remove(new TurnKey(address, completed.getTurnId()));
            if (waiter != null) {
                waiter.complete(completed);
            }
            deliver(address, completed.getTurnId(), listener -> listener.onCompleted(completed));
        } else {
            AgentDelta delta = read(record, bytes -> topics.deltas.valueSerde().deserializer().deserialize(record.topic(), bytes));
            SessionAddress address = delta == null ? null : address(record, delta.getTenant(), delta.getSessionId());
            if (address != null) {
                deliver(address, delta.getTurnId(), listener -> listener.onDelta(delta));
            }
        }
    }

    private void deliver(SessionAddress address, String turnId, Consumer<SessionListener> event) {
        for (Subscription subscription : subscribers.getOrDefault(address, List.of())) {
            try {
                event.accept(subscription.listener());
            } catch (RuntimeException e) {
                log.warn("session {} turn {}: a listener failed; other listeners still get the event", address, turnId, e);
            }
        }
    }

    private static <V> V read(ConsumerRecord<byte[], byte[]> record, Function<byte[], V> deserializer) {
        try {
            V value = deserializer.apply(record.value());
            if (value == null) {
                log.warn("skipping an empty record at {}-{}@{}", record.topic(), record.partition(), record.offset());
            }
            return value;
        } catch (RuntimeException e) {
            log.warn("skipping a record that cannot be read at {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.toString());
            return null;
        }
    }

    private static SessionAddress address(ConsumerRecord<byte[], byte[]> record, String tenant, String sessionId) {
        try {
            return new SessionAddress(tenant, sessionId);
        } catch (IllegalArgumentException e) {
            log.warn("skipping a record with an invalid session at {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            return null;
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

    /** Stops the reader, fails every pending waiter and closes the consumer; waits up to 10 s. */
    @Override
    public void close() {
        closing.countDown();
        consumer.wakeup();
        try {
            reader.join(CLOSE_TIMEOUT_MS + 1_000);
            if (reader.isAlive()) {
                log.warn("session events: the reader did not stop within {} ms", CLOSE_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
