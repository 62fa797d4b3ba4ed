package dev.skein.topologies.session;

import dev.skein.events.DeadLetter;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.KafkaConnection;
import dev.skein.topologies.errors.DeadLetterHandler;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Kafka Streams settings of the session topology. Overrides win over these defaults.
 *
 * <p>Latency is bounded below by the commit interval: under exactly-once, what a task emits is
 * visible to read_committed consumers (agent runners, workers, ingress) only when its transaction
 * commits, and a turn crosses the topology at least twice (turn in, step in). Hence a short
 * commit interval (10 ms by default, instead of Kafka Streams' 100 ms under exactly-once), a short
 * poll (5 ms: the thread only commits between polls) and no producer linger: each commit is one
 * small transaction, which a single broker handles easily.
 */
public final class SessionStreamsConfig {

    public static final String DEFAULT_APPLICATION_ID = "skein-sessions";
    public static final int DEFAULT_COMMIT_INTERVAL_MS = 10;
    public static final int DEFAULT_POLL_MS = 5;

    private SessionStreamsConfig() {}

    /**
     * @param connection the cluster and the client settings every internal client of Kafka Streams
     *     takes (security): they come first, so Skein's settings and then {@code overrides} win
     */
    public static Properties properties(
            KafkaConnection connection,
            String applicationId,
            Path stateDir,
            SkeinTopics topics,
            int replicationFactor,
            Map<String, ?> overrides) {
        Properties props = new Properties();
        props.putAll(connection.clientConfig());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, DEFAULT_COMMIT_INTERVAL_MS);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replicationFactor);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        // A task commits only between polls: a long poll timeout would hold a processed turn's
        // output back until new input arrives or the poll times out (100 ms by default).
        props.put(StreamsConfig.POLL_MS_CONFIG, DEFAULT_POLL_MS);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Stores are written once per event and read back at once: the record cache only delays changelog writes.
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
        props.put(DeadLetterHandler.TOPIC_CONFIG, topics.deadLetters.name());
        props.put(
                DeadLetterHandler.SERIALIZER_CONFIG,
                topics.serde(DeadLetter.class).serializer());
        props.putAll(overrides);
        return props;
    }
}
