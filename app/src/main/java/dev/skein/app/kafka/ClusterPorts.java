package dev.skein.app.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The client and controller port of each node of a {@link LocalKafkaCluster}, recorded in a file of
 * its data directory: a port of the previous start is taken again when it is free, so clients
 * that remembered the addresses find the cluster again.
 */
final class ClusterPorts {

    /** One node's two ports. */
    record Ports(int broker, int controller) {}

    static final String FILE = "ports.properties";

    private ClusterPorts() {}

    /** Ports for nodes 1 to {@code nodes}, the recorded ones when free, written back to {@code dataDir}. */
    static SortedMap<Integer, Ports> choose(Path dataDir, int nodes) throws IOException {
        Path file = dataDir.resolve(FILE);
        Properties recorded = new Properties();
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                recorded.load(in);
            }
        }
        SortedMap<Integer, Ports> chosen = new TreeMap<>();
        Properties written = new Properties();
        // One chooser for all nodes: no two listeners of the cluster get the same port.
        try (LoopbackPorts free = new LoopbackPorts()) {
            for (int id = 1; id <= nodes; id++) {
                Ports ports = new Ports(
                        free.preferredOrFree(recorded.getProperty(key(id, "broker"))),
                        free.preferredOrFree(recorded.getProperty(key(id, "controller"))));
                chosen.put(id, ports);
                written.setProperty(key(id, "broker"), Integer.toString(ports.broker()));
                written.setProperty(key(id, "controller"), Integer.toString(ports.controller()));
            }
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            written.store(out, "The ports of each node of Skein's LocalKafkaCluster, reused when free");
        }
        return chosen;
    }

    private static String key(int id, String kind) {
        return "node." + id + "." + kind;
    }
}
