package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionSummary;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an expiry check costs at 100,000 sessions, against the scan of every session it avoids. The
 * stores are RocksDB, as in production. The figures are printed (wall time is noisy on a shared machine: the two are measured alternately, in
 * the same run); the test asserts what the index buys, that a check with nothing due reads only the
 * tenants' heads, and that it erases exactly the due sessions.
 */
class SessionExpiryCostTest {

    private static final int SESSIONS = 100_000;
    private static final int TENANTS = 10;
    private static final int DUE = 100;
    private static final Duration TTL = Duration.ofHours(1);
    private static final SessionRetention RETENTION = new SessionRetention(TTL, Map.of(), Duration.ofMinutes(1), 1000);

    @TempDir
    Path stateDir;

    private Rocks rocks;

    @AfterEach
    void close() {
        if (rocks != null) {
            rocks.close();
        }
    }

    /**
     * The session stores as the topology builds them, on RocksDB (whose iterators read lazily, as in
     * production: the in-memory store copies a range's keys when it opens one), without changelogs.
     */
    final class Rocks implements AutoCloseable {
        final List<StateStore> stores = new ArrayList<>();
        final KeyValueStore<String, SessionMeta> metas;
        final Sessions sessions;
        long nowMs = SessionEvents.START_MS;

        Rocks(Path dir) {
            rocks = this;
            SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
            MockProcessorContext<?, ?> context =
                    new MockProcessorContext<>(new Properties(), new TaskId(0, 0), dir.toFile());
            KeyValueStore<Bytes, ChatMessage> messages =
                    store(context, SessionStores.MESSAGES, Serdes.Bytes(), topics.serde(ChatMessage.class));
            metas = store(context, SessionStores.META, Serdes.String(), topics.serde(SessionMeta.class));
            KeyValueStore<Bytes, String> deadlines =
                    store(context, SessionStores.DEADLINES, Serdes.Bytes(), Serdes.String());
            KeyValueStore<String, SessionSummary> summaries =
                    store(context, SessionStores.SUMMARIES, Serdes.String(), topics.serde(SessionSummary.class));
            KeyValueStore<Bytes, String> activity =
                    store(context, SessionStores.ACTIVITY, Serdes.Bytes(), Serdes.String());
            sessions = new Sessions(messages, metas, deadlines, summaries, activity, RETENTION, 64, () -> nowMs);
        }

        private <K, V> KeyValueStore<K, V> store(
                MockProcessorContext<?, ?> context, String name, Serde<K> keys, Serde<V> values) {
            KeyValueStore<K, V> store = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), keys, values)
                    .withLoggingDisabled()
                    .build();
            store.init(context.getStateStoreContext(), store);
            stores.add(store);
            return store;
        }

        @Override
        public void close() {
            stores.forEach(StateStore::close);
            stores.clear();
        }
    }

    @Test
    void aCheckAt100kSessionsReadsOnlyTheDueOnesAndCostsFarLessThanAScanOfEverySession() {
        Rocks fixture = new Rocks(stateDir);
        long start = fixture.nowMs;
        long minute = 60_000;
        // DUE sessions were last touched two minutes before the others started; the others each
        // in one of the hour's 60 minutes, as a steady load spreads them.
        for (int i = 0; i < SESSIONS; i += SESSIONS / DUE) {
            fixture.nowMs = start - 2 * minute;
            fixture.sessions.open(address(i)).save();
        }
        for (int i = 0; i < SESSIONS; i++) {
            if (i % (SESSIONS / DUE) != 0) {
                fixture.nowMs = start + (i % 60) * minute;
                fixture.sessions.open(address(i)).save();
            }
        }
        SessionExpiry expiry =
                new SessionExpiry(fixture.sessions, RETENTION, Duration.ofMinutes(2), ExpiredSessions.NONE, a -> {});
        // The first check of a task indexes the sessions stored before the index existed, once.
        long t0 = System.nanoTime();
        assertThat(expiry.expire(start)).isZero();
        long firstCheck = System.nanoTime() - t0;

        // A/B, alternately: a check with nothing due yet, and the scan of every session it avoids.
        int rounds = 5;
        long[] quiet = new long[rounds];
        long[] scan = new long[rounds];
        long beforeDue = start + TTL.toMillis() - 3 * minute;
        for (int round = 0; round < rounds; round++) {
            t0 = System.nanoTime();
            assertThat(expiry.expire(beforeDue + round)).isZero();
            quiet[round] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            assertThat(scanEverySession(fixture, beforeDue)).isZero();
            scan[round] = System.nanoTime() - t0;
        }
        long due = start + TTL.toMillis() - minute;
        t0 = System.nanoTime();
        int erased = expiry.expire(due);
        long erasing = System.nanoTime() - t0;
        assertThat(erased).isEqualTo(DUE);
        assertThat(fixture.sessions.find(address(0))).isEmpty();
        assertThat(fixture.sessions.find(address(1))).isPresent();
        assertThat(scanEverySession(fixture, due)).isZero();

        System.out.printf(
                "session expiry at %d sessions (%d tenants, RocksDB), load average %.2f:%n"
                        + "  first check of a task (indexes every stored session once): %.1f ms%n"
                        + "  check, nothing due:           median %.3f ms %s%n"
                        + "  scan of every session's meta: median %.3f ms %s%n"
                        + "  check erasing %d sessions:    %.1f ms%n",
                SESSIONS,
                TENANTS,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                firstCheck / 1e6,
                median(quiet),
                millis(quiet),
                median(scan),
                millis(scan),
                DUE,
                erasing / 1e6);
        // A check with nothing due seeks once per tenant; the scan reads 100,000 metas.
        assertThat(median(quiet) * 10).isLessThan(median(scan));
    }

    /** What a check without the index would do: read every session's meta and test it. */
    private static int scanEverySession(Rocks fixture, long nowMs) {
        int due = 0;
        try (KeyValueIterator<String, SessionMeta> it = fixture.metas.all()) {
            while (it.hasNext()) {
                SessionMeta meta = it.next().value;
                if (meta.getUpdatedAtMs() + TTL.toMillis() <= nowMs && meta.getActiveTurn() == null) {
                    due++;
                }
            }
        }
        return due;
    }

    private static SessionAddress address(int i) {
        return new SessionAddress("tenant-" + (i % TENANTS), "session-" + i);
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }

    private static List<String> millis(long[] nanos) {
        List<String> out = new ArrayList<>();
        for (long n : nanos) {
            out.add(String.format("%.3f", n / 1e6));
        }
        return out;
    }
}
