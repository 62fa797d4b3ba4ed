package dev.skein.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;

/**
 * What a Skein process and its topics hold: the bytes of a deployment's topics on the brokers
 * (admin {@code describeLogDirs}, every replica), the bytes of a process's state directory, and
 * the heap in use after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}) and the
 * resident set, both read from outside the process.
 */
final class ScaleFootprint {

    /** Heap in use after a full GC and the resident set, in bytes; -1 where it could not be read. */
    record Memory(long heapUsedBytes, long residentBytes) {}

    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    private ScaleFootprint() {}

    /** Bytes on the brokers of every topic whose name starts with one of {@code prefixes}, by topic. */
    static Map<String, Long> topicBytes(String bootstrapServers, Collection<String> prefixes) throws Exception {
        Map<String, Long> bytes = new TreeMap<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            List<Integer> brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream()
                    .map(Node::id)
                    .toList();
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers)
                    .allDescriptions()
                    .get(30, TimeUnit.SECONDS)
                    .values()) {
                for (LogDirDescription dir : dirs.values()) {
                    for (Map.Entry<TopicPartition, ReplicaInfo> replica :
                            dir.replicaInfos().entrySet()) {
                        String topic = replica.getKey().topic();
                        if (prefixes.stream().anyMatch(topic::startsWith)) {
                            bytes.merge(topic, replica.getValue().size(), Long::sum);
                        }
                    }
                }
            }
        }
        return bytes;
    }

    /** Bytes of the files under {@code dir} (0 when it does not exist). */
    static long directoryBytes(Path dir) {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(file -> {
                        try {
                            return Files.size(file);
                        } catch (IOException gone) {
                            return 0; // RocksDB removed it (compaction) while we walked
                        }
                    })
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The process's heap after a full GC, and its resident set. */
    static Memory memory(long pid) throws InterruptedException {
        long heap = -1;
        String jcmd = jcmd();
        if (jcmd != null) {
            run(jcmd, String.valueOf(pid), "GC.run");
            Matcher used = HEAP_USED.matcher(run(jcmd, String.valueOf(pid), "GC.heap_info"));
            if (used.find()) {
                heap = Long.parseLong(used.group(1)) * 1024;
            }
        }
        long rss = -1;
        try {
            Matcher m = RSS.matcher(Files.readString(Path.of("/proc", String.valueOf(pid), "status")));
            if (m.find()) {
                rss = Long.parseLong(m.group(1)) * 1024;
            }
        } catch (IOException notLinux) {
            // no /proc: the resident set stays unknown
        }
        return new Memory(heap, rss);
    }

    /** The jcmd beside this JVM's java binary, or null. */
    private static String jcmd() {
        return ProcessHandle.current()
                .info()
                .command()
                .map(java -> Path.of(java).resolveSibling("jcmd"))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .orElse(null);
    }

    private static String run(String... command) throws InterruptedException {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes());
            process.waitFor(60, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        }
    }
}
