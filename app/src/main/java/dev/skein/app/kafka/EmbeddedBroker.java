package dev.skein.app.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A KRaft broker and controller running in this JVM, configured by a properties file. */
final class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);

    private final KafkaRaftServer server;
    private final String clusterId;
    private boolean closed;

    private EmbeddedBroker(KafkaRaftServer server, String clusterId) {
        this.server = server;
        this.clusterId = clusterId;
    }

    /**
     * Formats the log directory if it is new, then starts the server. Returns once the server's
     * startup sequence has finished; clients should still confirm with a metadata request.
     */
    static EmbeddedBroker start(Path configFile) {
        Properties props = load(configFile);
        Path logDir = Path.of(props.getProperty("log.dirs"));
        KafkaConfig config = KafkaConfig.fromProps(props, false);
        String clusterId = KraftStorage.formatIfNeeded(configFile, logDir);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            // A half-started server holds ports and threads; release them before reporting.
            shutdownQuietly(server, e);
            throw e;
        }
        LOG.info("Kafka cluster {} started from {}", clusterId, logDir);
        return new EmbeddedBroker(server, clusterId);
    }

    String clusterId() {
        return clusterId;
    }

    /** Stops the server and waits until all its threads are done. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        LOG.info("Kafka cluster {} stopped", clusterId);
    }

    private static void shutdownQuietly(KafkaRaftServer server, RuntimeException cause) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private static Properties load(Path configFile) {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(configFile)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read broker configuration " + configFile, e);
        }
        return props;
    }
}
