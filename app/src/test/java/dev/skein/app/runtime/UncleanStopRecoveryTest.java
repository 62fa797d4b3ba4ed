package dev.skein.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UncleanStopRecoveryTest {

    private static final String APP = "skein-sessions";

    @TempDir
    Path stateDir;

    @Test
    void aFirstStartDeletesNothingAndMarksTheRunOpen() throws IOException {
        seedState();

        assertThat(exactlyOnce().beforeStart()).isEmpty();

        assertThat(stateDir.resolve(APP + UncleanStopRecovery.MARKER_SUFFIX)).exists();
        assertThat(stateDir.resolve(APP).resolve("0_0/rocksdb/session-meta/CURRENT"))
                .exists();
    }

    @Test
    void afterACleanCloseTheLocalStateIsKept() throws IOException {
        seedState();
        UncleanStopRecovery first = exactlyOnce();
        first.beforeStart();
        first.closedCleanly();

        assertThat(stateDir.resolve(APP + UncleanStopRecovery.MARKER_SUFFIX)).doesNotExist();
        assertThat(exactlyOnce().beforeStart()).isEmpty();
        assertThat(stateDir.resolve(APP).resolve("0_1/rocksdb/session-meta/CURRENT"))
                .exists();
    }

    @Test
    void afterAnUncleanStopUnderExactlyOnceTheTaskDirectoriesGoAndTheRestStays() throws IOException {
        seedState();
        exactlyOnce().beforeStart(); // and never closed: the process was killed

        assertThat(exactlyOnce().beforeStart()).containsExactly("0_0", "0_1", "1_3");

        Path app = stateDir.resolve(APP);
        assertThat(app.resolve("0_0")).doesNotExist();
        assertThat(app.resolve("0_1")).doesNotExist();
        assertThat(app.resolve("1_3")).doesNotExist();
        assertThat(app.resolve("global/rocksdb/tool-catalog/CURRENT")).exists();
        assertThat(app.resolve("kafka-streams-process-metadata")).exists();
        assertThat(stateDir.resolve(APP + UncleanStopRecovery.MARKER_SUFFIX)).exists();
    }

    @Test
    void atLeastOnceKeepsItsStateAfterAnUncleanStop() throws IOException {
        seedState();
        UncleanStopRecovery atLeastOnce = UncleanStopRecovery.of(properties(StreamsConfig.AT_LEAST_ONCE, false));
        atLeastOnce.beforeStart();

        assertThat(atLeastOnce.beforeStart()).isEmpty();
        assertThat(stateDir.resolve(APP).resolve("0_0/rocksdb/session-meta/CURRENT"))
                .exists();
    }

    @Test
    void transactionalStateStoresKeepTheirStateAfterAnUncleanStop() throws IOException {
        seedState();
        UncleanStopRecovery transactional = UncleanStopRecovery.of(properties(StreamsConfig.EXACTLY_ONCE_V2, true));
        transactional.beforeStart();

        assertThat(transactional.beforeStart()).isEmpty();
        assertThat(stateDir.resolve(APP).resolve("0_0/rocksdb/session-meta/CURRENT"))
                .exists();
    }

    @Test
    void stateLockedByAnotherClientIsLeftAlone() throws IOException {
        seedState();
        exactlyOnce().beforeStart();
        try (FileChannel channel = FileChannel.open(
                        stateDir.resolve(APP).resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = channel.lock()) {
            assertThat(held.isValid()).isTrue();

            assertThat(exactlyOnce().beforeStart()).isEmpty();
        }
        assertThat(stateDir.resolve(APP).resolve("0_0/rocksdb/session-meta/CURRENT"))
                .exists();
    }

    private UncleanStopRecovery exactlyOnce() {
        return UncleanStopRecovery.of(properties(StreamsConfig.EXACTLY_ONCE_V2, false));
    }

    private Map<String, Object> properties(String guarantee, boolean transactionalStores) {
        return Map.of(
                StreamsConfig.STATE_DIR_CONFIG,
                stateDir.toString(),
                StreamsConfig.APPLICATION_ID_CONFIG,
                APP,
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                guarantee,
                "enable.transactional.statestores",
                String.valueOf(transactionalStores));
    }

    /** The layout Kafka Streams leaves: task directories, the global stores, its own files. */
    private void seedState() throws IOException {
        Path app = stateDir.resolve(APP);
        for (String task : new String[] {"0_0", "0_1", "1_3"}) {
            touch(app.resolve(task).resolve("rocksdb/session-meta/CURRENT"));
        }
        touch(app.resolve("global/rocksdb/tool-catalog/CURRENT"));
        touch(app.resolve("kafka-streams-process-metadata"));
        touch(app.resolve(".lock"));
    }

    private static void touch(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "x");
    }
}
