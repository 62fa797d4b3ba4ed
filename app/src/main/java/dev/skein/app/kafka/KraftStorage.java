package dev.skein.app.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Formats a KRaft log directory once and keeps its cluster id across restarts. */
final class KraftStorage {

    private static final Logger LOG = LoggerFactory.getLogger(KraftStorage.class);
    private static final String META_PROPERTIES = "meta.properties";

    private KraftStorage() {}

    /**
     * Formats the log directory named by {@code log.dirs} in {@code configFile} unless it is
     * formatted already, and returns its cluster id.
     */
    static String formatIfNeeded(Path configFile, Path logDir) {
        String clusterId = existingClusterId(logDir);
        if (clusterId != null) {
            LOG.debug("Log directory {} already formatted for cluster {}", logDir, clusterId);
            return clusterId;
        }
        clusterId = Uuid.randomUuid().toString();
        format(configFile, logDir, clusterId);
        return clusterId;
    }

    /**
     * Formats the log directory of one node of cluster {@code clusterId} unless it is formatted
     * already: every node of a multi-node cluster is formatted with the same id.
     *
     * @throws IllegalStateException if the directory belongs to another cluster
     */
    static void formatIfNeeded(Path configFile, Path logDir, String clusterId) {
        String existing = existingClusterId(logDir);
        if (existing == null) {
            format(configFile, logDir, clusterId);
        } else if (!existing.equals(clusterId)) {
            throw new IllegalStateException(logDir + " belongs to Kafka cluster " + existing + ", not " + clusterId
                    + ": delete it to start a new, empty node");
        }
    }

    private static void format(Path configFile, Path logDir, String clusterId) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            status = StorageTool.execute(
                    new String[] {"format", "-t", clusterId, "-c", configFile.toString(), "--ignore-formatted"}, out);
        }
        String text = output.toString(StandardCharsets.UTF_8).strip();
        if (status != 0) {
            throw new IllegalStateException(
                    "Formatting Kafka log directory " + logDir + " failed (status " + status + "): " + text);
        }
        LOG.info("Formatted Kafka log directory {} for cluster {}", logDir, clusterId);
        LOG.debug("kafka-storage format said: {}", text);
    }

    /** The cluster id recorded by an earlier format, or {@code null} when there was none. */
    static String existingClusterId(Path logDir) {
        Path meta = logDir.resolve(META_PROPERTIES);
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(meta)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + meta, e);
        }
        String clusterId = props.getProperty("cluster.id");
        if (clusterId == null || clusterId.isBlank()) {
            throw new IllegalStateException(
                    meta + " has no cluster.id: delete " + logDir + " to start a new, empty cluster");
        }
        return clusterId;
    }
}
