package dev.skein.app.runtime;

import dev.skein.schemas.SkeinTopics;
import dev.skein.topologies.session.CommitRequests;
import dev.skein.topologies.session.SessionPartitions;
import dev.skein.topologies.session.SessionQueries;
import dev.skein.topologies.session.SessionTopology;
import dev.skein.topologies.session.SessionTopologyConfig;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running session topology: its {@link KafkaStreams} lifecycle and its queries. */
public final class SessionService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionService.class);

    private final KafkaStreams streams;
    private final SessionQueries queries;
    /** Counted down once the topology is RUNNING, or has stopped for good (ERROR) before that. */
    private final CountDownLatch settled = new CountDownLatch(1);
    /** The last exception that stopped a stream thread or the global thread; null while none has. */
    private final AtomicReference<Throwable> lastError = new AtomicReference<>();

    private final String bootstrapServers;
    private final UncleanStopRecovery recovery;

    public SessionService(
            SkeinTopics topics,
            SessionTopologyConfig config,
            CommitRequests commits,
            SessionPartitions partitions,
            Properties streamsProperties) {
        // Before the client is built: it opens the stores of every task directory it finds.
        this.recovery = UncleanStopRecovery.of(streamsProperties);
        recovery.beforeStart();
        this.streams = new KafkaStreams(SessionTopology.build(topics, config, partitions, commits), streamsProperties);
        this.queries = new SessionQueries(streams);
        this.bootstrapServers = String.valueOf(streamsProperties.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        streams.setStateListener((now, before) -> {
            log.info("Session topology {} -> {}", before, now);
            if (now == KafkaStreams.State.RUNNING || now == KafkaStreams.State.ERROR) {
                settled.countDown();
            }
        });
        // A stream thread that dies is replaced: one bad moment must not stop every session. The
        // global thread cannot be replaced (Kafka Streams 4.4 answers REPLACE_THREAD there with a
        // ClassCastException that hides the cause): the client shuts down, with the cause kept.
        streams.setUncaughtExceptionHandler(e -> {
            lastError.set(e);
            if (Thread.currentThread().getName().endsWith("-GlobalStreamThread")) {
                log.error("Session topology global thread failed; the topology stops", e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("Session topology stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    /** Starts the topology without waiting: it joins its group and restores its stores meanwhile. */
    public void start() {
        streams.start();
    }

    /**
     * Waits until RUNNING (state restored).
     *
     * @throws IllegalStateException when the topology stopped before (the message carries what
     *     stopped it), or was not RUNNING within {@code timeout} (with the last error, if any)
     */
    public void awaitRunning(Duration timeout) throws InterruptedException {
        boolean inTime = settled.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        KafkaStreams.State state = streams.state();
        if (!inTime || state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR) {
            throw new IllegalStateException(
                    notRunning(inTime ? null : timeout, state, lastError.get(), bootstrapServers));
        }
    }

    /**
     * Why the topology is not running: what stopped it when something did, and only when nothing was
     * reported, the broker (a start once blamed the broker for a poison record on a global topic).
     *
     * @param timeout null when the topology stopped before the timeout
     */
    static String notRunning(Duration timeout, KafkaStreams.State state, Throwable error, String bootstrapServers) {
        String what = timeout == null
                ? "The session topology stopped before it was RUNNING (state " + state + ")"
                : "The session topology did not reach RUNNING within " + timeout + " (state " + state + ")";
        if (error == null) {
            return what + " and reported no error; check that the broker at " + bootstrapServers
                    + " is reachable (skein.kafka.bootstrap-servers)";
        }
        return what + ": " + causes(error);
    }

    /** Each distinct message of the cause chain, outermost first. */
    private static String causes(Throwable error) {
        StringBuilder out = new StringBuilder();
        String previous = null;
        for (Throwable t = error; t != null && t != t.getCause(); t = t.getCause()) {
            String text = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
            if (previous == null || !previous.contains(String.valueOf(t.getMessage()))) {
                out.append(out.isEmpty() ? "" : "; caused by ").append(text);
            }
            previous = text;
        }
        return out.toString();
    }

    public SessionQueries queries() {
        return queries;
    }

    /** Where sessions live among the instances, as this one advertises itself ({@code application.server}). */
    public StreamsSessionDirectory directory(HostInfo self, String scheme, int partitions) {
        return new StreamsSessionDirectory(streams, self, scheme, partitions);
    }

    /** The topology's Kafka Streams metrics, live (for exporting Skein's own, such as refused tool calls). */
    public java.util.Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric>
            streamsMetrics() {
        return streams.metrics();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    @Override
    public void close() {
        if (streams.close(Duration.ofSeconds(30))) {
            recovery.closedCleanly();
        }
    }
}
