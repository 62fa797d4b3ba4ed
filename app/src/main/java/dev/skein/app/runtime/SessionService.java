package dev.skein.app.runtime;

import dev.skein.schemas.SkeinTopics;
import dev.skein.topologies.session.SessionPartitions;
import dev.skein.topologies.session.SessionQueries;
import dev.skein.topologies.session.SessionTopology;
import dev.skein.topologies.session.SessionTopologyConfig;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running session topology: its {@link KafkaStreams} lifecycle and its queries. */
public final class SessionService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionService.class);

    private final KafkaStreams streams;
    private final SessionQueries queries;
    private final CountDownLatch running = new CountDownLatch(1);

    public SessionService(
            SkeinTopics topics,
            SessionTopologyConfig config,
            SessionPartitions partitions,
            Properties streamsProperties) {
        this.streams = new KafkaStreams(SessionTopology.build(topics, config, partitions), streamsProperties);
        this.queries = new SessionQueries(streams);
        streams.setStateListener((now, before) -> {
            log.info("Session topology {} -> {}", before, now);
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        // A stream thread that dies is replaced: one bad moment must not stop every session.
        streams.setUncaughtExceptionHandler(e -> {
            log.error("Session topology stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    /** Starts and waits until RUNNING (state restored), or fails after {@code timeout}. */
    /** Starts the topology without waiting: it joins its group and restores its stores meanwhile. */
    public void start() {
        streams.start();
    }

    public void awaitRunning(Duration timeout) throws InterruptedException {
        if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("The session topology did not reach RUNNING within " + timeout + " (state "
                    + streams.state() + "); is the broker reachable?");
        }
    }

    public SessionQueries queries() {
        return queries;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
    }
}
