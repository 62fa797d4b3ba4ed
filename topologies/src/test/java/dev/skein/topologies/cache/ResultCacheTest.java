package dev.skein.topologies.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ResultCache} over an in-memory store with the topology's name and serdes, standing for
 * the global store, and a stand-in for its topic and the global thread: what a task publishes is
 * applied to the store as the global thread applies a committed record (at once, unless a test
 * holds it back to play the time before commit).
 */
class ResultCacheTest {

    private static final long NOW = 1_000_000L;
    private static final Duration TTL = Duration.ofMinutes(10);

    private TimestampedKeyValueStore<String, ToolResult> store;
    private final List<Runnable> uncommitted = new ArrayList<>();
    private boolean holdBack;
    private ResultCache cache;

    @BeforeEach
    void init() {
        SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
        store = Stores.timestampedKeyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(ResultCache.STORE),
                        Serdes.String(),
                        topics.serde(ToolResult.class))
                .withLoggingDisabled()
                .build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        cache = task();
    }

    /** One stream task's cache: its own writes, the store every task shares. */
    private ResultCache task() {
        return new ResultCache(
                store,
                (key, result, timestampMs) -> {
                    // As SessionTopology's GlobalTableUpdater applies the topic's records.
                    Runnable apply = result == null
                            ? () -> store.delete(key)
                            : () -> store.put(key, ValueAndTimestamp.make(result, timestampMs));
                    if (holdBack) {
                        uncommitted.add(apply);
                    } else {
                        apply.run();
                    }
                },
                TTL);
    }

    /** The tasks' transactions commit and the global thread reads what they wrote. */
    private void commitAndReadBack() {
        uncommitted.forEach(Runnable::run);
        uncommitted.clear();
    }

    @Test
    void aResultOneTaskKeptIsServedToEveryOtherTaskOnceCommittedAndReadBack() {
        ResultCache partition0 = task();
        ResultCache partition1 = task();
        ResultCache partition2 = task();
        ToolDefinition primes = tool("count_primes", 1, true, 0);
        holdBack = true;

        partition0.remember(primes, "{\"limit\":100000}", result(ToolStatus.OK, "9592"), NOW);
        // Not yet committed: a call on another partition misses and runs (documented).
        assertThat(partition1.lookup(primes, "{\"limit\": 100000}", NOW + 1)).isEmpty();

        commitAndReadBack();

        assertThat(partition1.lookup(primes, "{\"limit\": 100000}", NOW + 2))
                .map(ToolResult::getOutput)
                .contains("9592");
        assertThat(partition2.lookup(primes, "{\"limit\":100000}", NOW + 3))
                .map(ToolResult::getOutput)
                .contains("9592");
        assertThat(partition0.lookup(primes, "{\"limit\":100000}", NOW + 4)).isPresent();
    }

    @Test
    void anExpiredEntryOneTaskReadsLeavesTheStoreOfEveryTaskOnlyThroughTheTopic() {
        ResultCache partition0 = task();
        ResultCache partition1 = task();
        ToolDefinition square = tool("square", 1, true, 0);
        partition0.remember(square, "{\"n\":3}", result(ToolStatus.OK, "9"), NOW);
        holdBack = true;

        assertThat(partition1.lookup(square, "{\"n\":3}", NOW + TTL.toMillis() + 1))
                .isEmpty();
        // The global store is the global thread's to write: the removal waits for the commit.
        assertThat(entries()).isOne();
        assertThat(partition0.lookup(square, "{\"n\":3}", NOW + TTL.toMillis() + 2))
                .isEmpty();

        commitAndReadBack();

        assertThat(entries()).isZero();
    }

    @Test
    void aSuccessfulResultIsReusedForEqualArgumentsWrittenInAnotherOrderOrSpacing() {
        ToolDefinition square = tool("square", 1, true, 0);
        cache.remember(square, "{\"n\": 3, \"opts\": {\"b\": 1, \"a\": [1, 2]}}", result(ToolStatus.OK, "9"), NOW);

        assertThat(cache.lookup(square, "{\"opts\":{\"a\":[1,2],\"b\":1},\"n\":3}", NOW + 1))
                .map(ToolResult::getOutput)
                .contains("9");
    }

    @Test
    void otherArgumentsOrAnotherVersionOfTheToolMiss() {
        cache.remember(tool("square", 1, true, 0), "{\"n\":3}", result(ToolStatus.OK, "9"), NOW);

        assertThat(cache.lookup(tool("square", 1, true, 0), "{\"n\":4}", NOW)).isEmpty();
        assertThat(cache.lookup(tool("square", 2, true, 0), "{\"n\":3}", NOW)).isEmpty();
        assertThat(cache.lookup(tool("cube", 1, true, 0), "{\"n\":3}", NOW)).isEmpty();
    }

    @Test
    void neitherFailedResultsNorResultsOfToolsThatAreNotCacheableAreKept() {
        cache.remember(tool("square", 1, true, 0), "{\"n\":3}", result(ToolStatus.ERROR, "boom"), NOW);
        cache.remember(tool("random", 1, false, 0), "{}", result(ToolStatus.OK, "4"), NOW);

        assertThat(entries()).isZero();
        assertThat(cache.lookup(tool("square", 1, true, 0), "{\"n\":3}", NOW)).isEmpty();
    }

    @Test
    void aToolThatIsNotCacheableNeverHitsEvenWhenAnEntryExists() {
        cache.remember(tool("square", 1, true, 0), "{\"n\":3}", result(ToolStatus.OK, "9"), NOW);

        assertThat(cache.lookup(tool("square", 1, false, 0), "{\"n\":3}", NOW)).isEmpty();
    }

    @Test
    void anEntryAgedByTheStoresClockExpiresAfterTheDefaultTimeToLiveAndIsDeleted() {
        ToolDefinition square = tool("square", 1, true, 0);
        cache.remember(square, "{\"n\":3}", result(ToolStatus.OK, "9"), NOW);

        assertThat(cache.lookup(square, "{\"n\":3}", NOW + TTL.toMillis())).isPresent();
        assertThat(cache.lookup(square, "{\"n\":3}", NOW + TTL.toMillis() + 1)).isEmpty();
        assertThat(entries()).isZero();
    }

    @Test
    void aToolsOwnTimeToLiveWinsOverTheDefault() {
        ToolDefinition shortLived = tool("quote", 1, true, 1_000);
        cache.remember(shortLived, "{}", result(ToolStatus.OK, "42"), NOW);

        assertThat(cache.lookup(shortLived, "{}", NOW + 1_000)).isPresent();
        assertThat(cache.lookup(shortLived, "{}", NOW + 1_001)).isEmpty();
    }

    @Test
    void theKeyNamesToolAndVersionAndIsBoundedWhateverTheArguments() {
        String key = ResultCache.key(tool("square", 3, true, 0), "{\"text\":\"" + "x".repeat(10_000) + "\"}");

        assertThat(key).matches("square@3#[0-9a-f]{64}");
        assertThat(ResultCache.canonical("{\"b\":1,\"a\":{\"d\":2,\"c\":3}}"))
                .isEqualTo("{\"a\":{\"c\":3,\"d\":2},\"b\":1}");
        assertThat(ResultCache.canonical("not json {")).isEqualTo("not json {");
    }

    @Test
    void theStoredEntryIsTheResultStampedWithTheTimeItWasKept() {
        cache.remember(tool("square", 1, true, 0), "{\"n\":3}", result(ToolStatus.OK, "9"), NOW);

        ValueAndTimestamp<ToolResult> stored = store.get(ResultCache.key(tool("square", 1, true, 0), "{\"n\":3}"));
        assertThat(stored.timestamp()).isEqualTo(NOW);
        assertThat(stored.value().getOutput()).isEqualTo("9");
    }

    private long entries() {
        long count = 0;
        try (KeyValueIterator<String, ValueAndTimestamp<ToolResult>> it = store.all()) {
            while (it.hasNext()) {
                it.next();
                count++;
            }
        }
        return count;
    }

    private static ToolDefinition tool(String name, int version, boolean cacheable, long ttlMs) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription(name)
                .setVersion(version)
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .setCacheable(cacheable)
                .setCacheTtlMs(ttlMs)
                .build();
    }

    private static ToolResult result(ToolStatus status, String output) {
        return ToolResult.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setCallId("c1")
                .setTool("square")
                .setStatus(status)
                .setOutput(output)
                .setCompletedAtMs(NOW)
                .build();
    }
}
