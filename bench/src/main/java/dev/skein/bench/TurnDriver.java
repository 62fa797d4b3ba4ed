package dev.skein.bench;

import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives turns the way a client of the topics does: produces {@code TurnRequested} to the turns
 * topic (keyed by session address, with the topics' serdes) and waits for the matching
 * {@code TurnCompleted} on the responses topic, read by one shared read_committed consumer
 * assigned to every partition from the end. Latency runs from just before the send to the moment
 * the reader thread sees the answer.
 */
final class TurnDriver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TurnDriver.class);
    static final String TENANT = "bench";
    private static final long ANSWER_TIMEOUT_SECONDS = 60;

    /** A turn's answer and when the reader saw it ({@link System#nanoTime()}). */
    record Answer(TurnCompleted completed, long receivedNanos) {}

    /** The figures of one load level, with what the topology's commits cost during it. */
    record LoadResult(
            int sessions,
            double targetPerSecond,
            long turns,
            long failed,
            double turnsPerSecond,
            Latency latency,
            CommitCost commits,
            CpuCost cpu) {}

    /** The cumulative counters a level's costs are the difference of, read together. */
    private record Meters(CommitCost.Snapshot commits, CpuCost.Snapshot cpu) {
        static Meters now() {
            return new Meters(CommitCost.Snapshot.now(), CpuCost.Snapshot.now());
        }
    }

    private final SkeinTopics topics;
    private final Serializer<String> keySerializer;
    private final KafkaProducer<String, TurnRequested> producer;
    private final int turnPartitions;
    private final KafkaConsumer<String, TurnCompleted> consumer;
    private final Map<String, CompletableFuture<Answer>> waiting = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;

    TurnDriver(String bootstrapServers, SkeinTopics topics) {
        this.topics = topics;
        keySerializer = topics.turns.keySerde().serializer();
        producer = TurnClients.turnProducer(bootstrapServers, topics);
        turnPartitions = producer.partitionsFor(topics.turns.name()).size();
        consumer = TurnClients.responsesFromNow(bootstrapServers, topics);
        reader = Thread.ofPlatform().name("bench-responses").daemon(true).start(this::read);
    }

    private void read() {
        try {
            while (running) {
                for (ConsumerRecord<String, TurnCompleted> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.nanoTime();
                    CompletableFuture<Answer> answer = record.value() == null
                            ? null
                            : waiting.remove(record.value().getTurnId());
                    if (answer != null) {
                        answer.complete(new Answer(record.value(), now));
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Produces one turn; the future completes with its answer. */
    CompletableFuture<Answer> submit(String sessionId, String message) {
        String turnId = UUID.randomUUID().toString();
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        waiting.put(turnId, answer);
        TurnRequested turn = TurnRequested.newBuilder()
                .setTenant(TENANT)
                .setSessionId(sessionId)
                .setTurnId(turnId)
                .setMessage(message)
                .setRequestedAtMs(System.currentTimeMillis())
                .build();
        producer.send(
                new ProducerRecord<>(topics.turns.name(), SessionAddress.key(TENANT, sessionId), turn),
                (metadata, e) -> {
                    if (e != null) {
                        waiting.remove(turnId);
                        answer.completeExceptionally(e);
                    }
                });
        return answer;
    }

    /** One turn, waited for: the latency in nanoseconds, or -1 when it did not complete. */
    long turn(String sessionId, String message) throws InterruptedException {
        long start = System.nanoTime();
        try {
            Answer answer = submit(sessionId, message).get(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (answer.completed().getStatus() != TurnStatus.COMPLETED) {
                log.warn(
                        "bench turn of session {} ended {}: {}",
                        sessionId,
                        answer.completed().getStatus(),
                        answer.completed().getError());
                return -1;
            }
            return answer.receivedNanos() - start;
        } catch (ExecutionException | TimeoutException e) {
            log.warn("bench turn of session {} got no answer: {}", sessionId, e.toString());
            return -1;
        }
    }

    /**
     * Closed loop: {@code sessions} clients, each sending its session's next turn when the last is
     * answered. Turns started during the warm-up are not counted.
     */
    LoadResult closedLoop(String sessionPrefix, int sessions, String message, Duration warmup, Duration measure)
            throws InterruptedException {
        Histogram histogram = Latency.histogram();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastAnswer = new AtomicLong();
        long warmupEnd = System.nanoTime() + warmup.toNanos();
        long end = warmupEnd + measure.toNanos();
        CountDownLatch done = new CountDownLatch(sessions);
        CompletableFuture<Meters> measureStart = new CompletableFuture<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            clients.execute(() -> {
                for (long left; (left = warmupEnd - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(left); // may return early
                }
                measureStart.complete(Meters.now());
            });
            for (int i = 0; i < sessions; i++) {
                String session = sessionPrefix + "-" + i;
                clients.execute(() -> {
                    try {
                        while (System.nanoTime() < end) {
                            long start = System.nanoTime();
                            long nanos = turn(session, message);
                            if (start < warmupEnd) {
                                continue;
                            }
                            if (nanos < 0) {
                                failed.incrementAndGet();
                            } else {
                                histogram.recordValue(nanos);
                                lastAnswer.accumulateAndGet(start + nanos, Math::max);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await();
        }
        Meters measureEnd = Meters.now();
        long measured = histogram.getTotalCount() + failed.get();
        CommitCost commits = CommitCost.between(measureStart.join().commits(), measureEnd.commits(), measured);
        CpuCost cpu = CpuCost.between(measureStart.join().cpu(), measureEnd.cpu(), measured);
        double seconds = Math.max(1e-9, (lastAnswer.get() - warmupEnd) / 1e9);
        return new LoadResult(
                sessions,
                0,
                histogram.getTotalCount(),
                failed.get(),
                histogram.getTotalCount() / seconds,
                Latency.of(histogram),
                commits,
                cpu);
    }

    /**
     * Open loop: turns sent at {@code perSecond} whatever the answers do, spread over
     * {@code sessions} sessions; latency counts from the moment each turn was due, so a send that
     * falls behind is charged to the system, not hidden. Answers are awaited up to 10 s after the
     * last send; what has not come by then counts as failed.
     */
    LoadResult openLoop(String sessionPrefix, int sessions, double perSecond, String message, Duration measure)
            throws InterruptedException {
        Histogram histogram = Latency.histogram();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastAnswer = new AtomicLong();
        long period = (long) (1e9 / perSecond);
        Meters before = Meters.now();
        long start = System.nanoTime();
        int total = (int) (perSecond * measure.toNanos() / 1e9);
        CountDownLatch answered = new CountDownLatch(total);
        for (int i = 0; i < total; i++) {
            long due = start + i * period;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            submit(sessionPrefix + "-" + (i % sessions), message).whenComplete((answer, e) -> {
                if (e != null || answer.completed().getStatus() != TurnStatus.COMPLETED) {
                    failed.incrementAndGet();
                } else {
                    histogram.recordValue(Math.max(0, answer.receivedNanos() - due));
                    lastAnswer.accumulateAndGet(answer.receivedNanos(), Math::max);
                }
                answered.countDown();
            });
        }
        answered.await(10, TimeUnit.SECONDS);
        long missing = answered.getCount();
        Meters after = Meters.now();
        CommitCost commits = CommitCost.between(before.commits(), after.commits(), total);
        CpuCost cpu = CpuCost.between(before.cpu(), after.cpu(), total);
        // Answered turns over the time from the first send to the last answer: a backlog that
        // drains after the sends stop lowers the rate instead of flattering it.
        double seconds = Math.max(measure.toNanos(), lastAnswer.get() - start) / 1e9;
        return new LoadResult(
                sessions,
                perSecond,
                histogram.getTotalCount(),
                failed.get() + missing,
                histogram.getTotalCount() / seconds,
                Latency.of(histogram),
                commits,
                cpu);
    }

    /**
     * One turn to each of {@code sessions} sessions ({@code <prefix>-0} ...), at most {@code window}
     * awaited at once: gives them all a history. Returns how many did not complete.
     */
    long seed(String sessionPrefix, int sessions, String message, int window) throws InterruptedException {
        Semaphore outstanding = new Semaphore(window);
        AtomicLong failed = new AtomicLong();
        for (int i = 0; i < sessions; i++) {
            outstanding.acquire();
            submit(sessionPrefix + "-" + i, message)
                    .orTimeout(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .whenComplete((answer, e) -> {
                        if (e != null || answer.completed().getStatus() != TurnStatus.COMPLETED) {
                            failed.incrementAndGet();
                        }
                        outstanding.release();
                    });
        }
        outstanding.acquire(window);
        return failed.get();
    }

    /** The partition of the turns topic (and so of the session's state) a session's turns go to. */
    int partitionOf(String sessionId) {
        byte[] key = keySerializer.serialize(topics.turns.name(), SessionAddress.key(TENANT, sessionId));
        return Utils.toPositive(Utils.murmur2(key)) % turnPartitions;
    }

    /** Forgets turns still awaited (after an open-loop step that overran). */
    void forgetOutstanding() {
        waiting.clear();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        reader.join(TimeUnit.SECONDS.toMillis(10));
        producer.close(Duration.ofSeconds(10));
    }
}
