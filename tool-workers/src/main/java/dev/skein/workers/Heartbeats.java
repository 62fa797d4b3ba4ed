package dev.skein.workers;

import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.workers.node.WorkerAdmission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's {@link WorkerHeartbeat}s on {@code workers}, keyed by its id: a first one waited for
 * at start, one every heartbeat interval, and a last one with {@code stopping=true} at close, so
 * that routers stop sending it calls at once instead of after the worker timeout; then a tombstone,
 * so that it is gone from the compacted topic and every view of it.
 */
final class Heartbeats implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

    private final SkeinTopics topics;
    private final WorkerOptions options;
    private final Collection<String> tools;
    private final WorkerAdmission admission;
    private final WorkerMetrics metrics;
    private final EventProducer producer;
    private final String host = LocalHost.name();
    private final long startedAtMs = System.currentTimeMillis();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("skein-worker-heartbeat").daemon().factory());

    Heartbeats(
            SkeinTopics topics,
            WorkerOptions options,
            Collection<String> tools,
            WorkerAdmission admission,
            WorkerMetrics metrics,
            EventProducer producer) {
        this.topics = topics;
        this.options = options;
        this.tools = tools;
        this.admission = admission;
        this.metrics = metrics;
        this.producer = producer;
    }

    /** What the worker reports now. */
    WorkerHeartbeat heartbeat(boolean stopping) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(options.workerId())
                .setHost(host)
                .setTiers(options.tiers())
                .setCapabilities(options.capabilities().toSpec())
                .setTools(new ArrayList<>(tools))
                .setInFlight(metrics.inFlightTotal())
                .setInUse(admission.inUse().toSpec())
                .setAdmitted(admission.admitted())
                .setReleased(admission.released())
                .setStartedAtMs(startedAtMs)
                .setTimestampMs(System.currentTimeMillis())
                .setStopping(stopping)
                .setInFlightByTier(new HashMap<>(metrics.inFlightByTier()))
                .setAdmittedByTier(new HashMap<>(metrics.admittedByTier()))
                .setReleasedByTier(new HashMap<>(metrics.releasedByTier()))
                .build();
    }

    /** Writes the first heartbeat and waits for it, so that routers know the worker before it takes calls. */
    void hello() throws InterruptedException {
        producer.sendAndWait(topics.workers, options.workerId(), heartbeat(false), RequestHandler.PRODUCE_TIMEOUT);
    }

    /** Sends one every heartbeat interval until {@link #close()}. */
    void start() {
        long every = options.heartbeatInterval().toMillis();
        timer.scheduleAtFixedRate(this::send, every, every, TimeUnit.MILLISECONDS);
    }

    private void send() {
        // A scheduled task that throws is silently never run again: report failures and carry on.
        try {
            producer.send(topics.workers, options.workerId(), heartbeat(false)).whenComplete((metadata, error) -> {
                if (error != null) {
                    log.warn("Worker {}: heartbeat not written: {}", options.workerId(), error.getMessage());
                }
            });
        } catch (RuntimeException e) {
            log.warn("Worker {}: cannot send a heartbeat", options.workerId(), e);
        }
    }

    /** Writes the stopping heartbeat and waits for it (10 s at most); failures are logged. */
    void goodbye() {
        try {
            producer.sendAndWait(topics.workers, options.workerId(), heartbeat(true), Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Worker {}: interrupted before its last heartbeat was written", options.workerId());
        } catch (KafkaException e) {
            log.warn(
                    "Worker {}: its stopping heartbeat was not written; routers will notice it is gone when"
                            + " heartbeats stop",
                    options.workerId(),
                    e);
        }
    }

    /**
     * Removes the worker from {@code workers} with a tombstone (10 s at most); failures are logged.
     * Sent after {@link #goodbye()}: a router reading both sees the stop at once, and the compacted
     * topic, the topology's store and every ingress view then drop the worker for good instead of
     * listing it as not live forever.
     */
    void leave() {
        try {
            producer.sendAndWait(topics.workers, options.workerId(), null, Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Worker {}: interrupted before its tombstone was written", options.workerId());
        } catch (KafkaException e) {
            log.warn(
                    "Worker {}: its tombstone was not written; views drop it after skein.session.worker-forget-after",
                    options.workerId(),
                    e);
        }
    }

    /** Stops the periodic heartbeats. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
