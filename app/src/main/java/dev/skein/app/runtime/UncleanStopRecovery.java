package dev.skein.app.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes Kafka Streams' own recovery from an unclean stop off the restart's path.
 *
 * <p>Under exactly-once (without transactional state stores) a task's local stores are only
 * trusted when the last run closed them: after a SIGKILL every task that has local state fails
 * to initialize with a {@code TaskCorruptedException}, is closed dirty, its directory is wiped,
 * and (classic group protocol) the stream thread forces a rebalance before it restores the task
 * from its changelogs; before that, the client's start-up has opened every store of those
 * directories once to read their offsets. The outcome is always the same (an empty task restored
 * from the changelogs), so this class reaches it directly: a marker file lives beside the
 * application's state directory while Kafka Streams runs and is removed after a clean close; when
 * a start finds it, the last run did not close cleanly, and the task directories are deleted
 * before Kafka Streams is built. Nothing is lost: every task store is logged to a changelog, which
 * is what Kafka Streams would restore from anyway.
 *
 * <p>Only task directories ({@code 0_1}) go; global stores, the process id file and the lock stay.
 * The directories are deleted under Kafka Streams' own lock on the application directory, so a
 * second process on the same state directory (refused by Kafka Streams moments later) never loses
 * its state to this one. Under at-least-once, or with transactional state stores, local state
 * survives an unclean stop and nothing is deleted.
 */
final class UncleanStopRecovery {

    /** Beside the application's directory inside {@code state.dir}: {@code <application id>.running}. */
    static final String MARKER_SUFFIX = ".running";

    private static final Logger log = LoggerFactory.getLogger(UncleanStopRecovery.class);
    private static final Pattern TASK_DIRECTORY = Pattern.compile("\\d+_\\d+");
    /** Kafka Streams' lock file in the application directory (StateDirectory). */
    private static final String STREAMS_LOCK = ".lock";

    private static final String TRANSACTIONAL_STATE_STORES = "enable.transactional.statestores";

    private final Path appDir;
    private final Path marker;
    private final boolean localStateLostOnCrash;

    UncleanStopRecovery(Path stateDir, String applicationId, boolean localStateLostOnCrash) {
        this.appDir = stateDir.resolve(applicationId);
        this.marker = stateDir.resolve(applicationId + MARKER_SUFFIX);
        this.localStateLostOnCrash = localStateLostOnCrash;
    }

    /** For the Kafka Streams client these properties configure. */
    static UncleanStopRecovery of(Map<?, ?> streamsProperties) {
        Object guarantee = streamsProperties.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        boolean exactlyOnce = guarantee != null && String.valueOf(guarantee).startsWith("exactly_once");
        boolean transactionalStores =
                Boolean.parseBoolean(String.valueOf(streamsProperties.get(TRANSACTIONAL_STATE_STORES)));
        return new UncleanStopRecovery(
                Path.of(String.valueOf(streamsProperties.get(StreamsConfig.STATE_DIR_CONFIG))),
                String.valueOf(streamsProperties.get(StreamsConfig.APPLICATION_ID_CONFIG)),
                exactlyOnce && !transactionalStores);
    }

    /**
     * Before Kafka Streams is built: deletes the task directories when the last run did not close
     * cleanly (and they would be wiped anyway), then marks this run as open.
     *
     * @return the task directories deleted
     */
    List<String> beforeStart() {
        List<String> wiped = List.of();
        try {
            if (Files.exists(marker) && localStateLostOnCrash && Files.isDirectory(appDir)) {
                wiped = wipeTasks();
            }
            Files.createDirectories(marker.getParent());
            Files.writeString(
                    marker, "Kafka Streams has this state directory open (Skein); removed on a clean close\n");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the state directory " + appDir, e);
        }
        return wiped;
    }

    /** After Kafka Streams closed cleanly: the next start trusts the local state. */
    void closedCleanly() {
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            // The next start then restores from the changelogs: slower, never wrong.
            log.warn("Cannot remove {}: the next start restores the session stores from the changelogs", marker, e);
        }
    }

    private List<String> wipeTasks() throws IOException {
        try (FileChannel channel = FileChannel.open(
                        appDir.resolve(STREAMS_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = tryLock(channel)) {
            if (lock == null) {
                // Another process holds it; Kafka Streams will refuse to start with its own message.
                log.warn("{} is locked by another process; its local state is left alone", appDir);
                return List.of();
            }
            List<String> wiped = new ArrayList<>();
            try (Stream<Path> children = Files.list(appDir)) {
                for (Path dir : children.sorted().toList()) {
                    String name = dir.getFileName().toString();
                    if (Files.isDirectory(dir) && TASK_DIRECTORY.matcher(name).matches()) {
                        Utils.delete(dir.toFile());
                        wiped.add(name);
                    }
                }
            }
            if (!wiped.isEmpty()) {
                log.info(
                        "The last run did not close the session topology cleanly: the local state of tasks {} is"
                                + " deleted and restored from the changelog topics (nothing committed is lost)",
                        wiped);
            }
            return wiped;
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException heldInThisJvm) {
            return null;
        }
    }
}
