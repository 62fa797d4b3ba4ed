package dev.skein.bench;

import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Every turn the soak sends and every {@code TurnCompleted} that comes back for it, duplicates
 * included: unlike {@link TurnDriver}, which completes a future with the first answer and forgets
 * the turn, this keeps each completion record it reads, so a second completion of one turn is
 * counted, not lost. The responses are read by one read_committed consumer assigned to every
 * partition from where they ended when the ledger was opened.
 */
final class SoakLedger implements AutoCloseable {

    /** One completion as read, with when the reader saw it ({@link System#nanoTime()}). */
    record Completion(TurnCompleted completed, long receivedNanos, int partition, long offset) {}

    /** One sent turn and every completion read for it. */
    static final class Turn {
        final String turnId;
        final String sessionId;
        final String message;
        /** The calculator's answer the reply must contain, or null for a plain turn. */
        final String expected;

        final long sentNanos;
        final List<Completion> completions = new CopyOnWriteArrayList<>();
        final AtomicReference<Exception> sendError = new AtomicReference<>();

        Turn(String turnId, String sessionId, String message, String expected, long sentNanos) {
            this.turnId = turnId;
            this.sessionId = sessionId;
            this.message = message;
            this.expected = expected;
            this.sentNanos = sentNanos;
        }
    }

    private final SkeinTopics topics;
    private final KafkaProducer<String, TurnRequested> producer;
    private final KafkaConsumer<String, TurnCompleted> consumer;
    private final List<TopicPartition> partitions;
    private final Map<String, Turn> turns = new ConcurrentHashMap<>();
    /** Completions of turn ids this ledger never sent (another run on the same topics, or a defect). */
    private final List<Completion> strangers = new CopyOnWriteArrayList<>();

    /** How far the reader has read each partition, after its last poll. */
    private volatile Map<TopicPartition, Long> positions = Map.of();

    private final Thread reader;
    private volatile boolean running = true;

    SoakLedger(String bootstrapServers, SkeinTopics topics) {
        this.topics = topics;
        producer = TurnClients.turnProducer(bootstrapServers, topics);
        consumer = TurnClients.responsesFromNow(bootstrapServers, topics);
        partitions = List.copyOf(consumer.assignment());
        reader = Thread.ofPlatform().name("soak-responses").daemon(true).start(this::read);
    }

    private void read() {
        try {
            while (running) {
                for (ConsumerRecord<String, TurnCompleted> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.value() == null) {
                        continue;
                    }
                    Completion completion =
                            new Completion(record.value(), System.nanoTime(), record.partition(), record.offset());
                    Turn turn = turns.get(record.value().getTurnId());
                    if (turn == null) {
                        strangers.add(completion);
                    } else {
                        turn.completions.add(completion);
                    }
                }
                Map<TopicPartition, Long> now = new HashMap<>();
                partitions.forEach(p -> now.put(p, consumer.position(p)));
                positions = now;
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Produces one turn; a failed send is kept on the turn ({@link Turn#sendError}). */
    Turn send(String turnId, String sessionId, String message, String expected) {
        Turn turn = new Turn(turnId, sessionId, message, expected, System.nanoTime());
        turns.put(turnId, turn);
        TurnRequested request = TurnRequested.newBuilder()
                .setTenant(TurnDriver.TENANT)
                .setSessionId(sessionId)
                .setTurnId(turnId)
                .setMessage(message)
                .setRequestedAtMs(System.currentTimeMillis())
                .build();
        producer.send(
                new ProducerRecord<>(topics.turns.name(), SessionAddress.key(TurnDriver.TENANT, sessionId), request),
                (metadata, e) -> {
                    if (e != null) {
                        turn.sendError.set(e);
                    }
                });
        return turn;
    }

    Collection<Turn> turns() {
        return turns.values();
    }

    List<Completion> strangers() {
        return List.copyOf(strangers);
    }

    /** Sent turns that have no completion yet (a failed send counts as done: it is reported on its own). */
    long unanswered(Collection<Turn> of) {
        return of.stream()
                .filter(t -> t.completions.isEmpty() && t.sendError.get() == null)
                .count();
    }

    /**
     * Waits until the reader has read every responses partition up to {@code ends} (the end
     * offsets once every process has stopped), at most {@code timeout}. A read_committed reader's
     * position passes the transaction markers, so it reaches the end offset.
     */
    boolean awaitReadUpTo(Map<TopicPartition, Long> ends, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Map<TopicPartition, Long> read = positions;
            if (ends.entrySet().stream().allMatch(e -> read.getOrDefault(e.getKey(), -1L) >= e.getValue())) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    String responsesTopic() {
        return topics.responses.name();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        reader.join(TimeUnit.SECONDS.toMillis(10));
        producer.close(Duration.ofSeconds(10));
    }
}
