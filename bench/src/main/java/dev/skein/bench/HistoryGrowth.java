package dev.skein.bench;

import dev.skein.schemas.SessionAddress;
import dev.skein.topologies.session.SessionStores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One session driven turn after turn, with the bytes each turn adds to the session-messages
 * changelog and the turn latency along the way. The changelog's committed end offsets are taken
 * every {@value #WINDOW} turns (a turn's changelog records commit in the same transaction as its
 * answer, so once the answer is read they are all there); at the end the changelog is read once
 * and each record's key and value bytes are counted in the window its offset falls in. Only the
 * records of the driven session count (the key starts with its address): the changelog is shared
 * with every other session, and turns of earlier scenarios may still be finishing.
 */
final class HistoryGrowth {

    static final int WINDOW = 10;

    /** Figures of the {@value #WINDOW} turns that end at {@code turn}. */
    record Checkpoint(int turn, double changelogBytesPerTurn, double changelogRecordsPerTurn, double latencyP50Ms) {}

    record Result(int turns, List<Checkpoint> checkpoints, List<Checkpoint> windows) {}

    private final TurnDriver driver;
    private final String bootstrapServers;
    private final String changelog;

    HistoryGrowth(TurnDriver driver, String bootstrapServers, String changelog) {
        this.driver = driver;
        this.bootstrapServers = bootstrapServers;
        this.changelog = changelog;
    }

    Result run(String session, int turns, List<Integer> checkpointTurns) throws InterruptedException {
        try (KafkaConsumer<byte[], byte[]> reader = consumer()) {
            List<TopicPartition> partitions = reader.partitionsFor(changelog).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            reader.assign(partitions);
            List<Map<TopicPartition, Long>> bounds = new ArrayList<>();
            bounds.add(reader.endOffsets(partitions));
            long[] latencies = new long[turns];
            for (int turn = 1; turn <= turns; turn++) {
                long nanos = driver.turn(session, "hello");
                if (nanos < 0) {
                    throw new IllegalStateException("history growth: turn " + turn + " of session " + session
                            + " did not complete; see the log above");
                }
                latencies[turn - 1] = nanos;
                if (turn % WINDOW == 0) {
                    bounds.add(reader.endOffsets(partitions));
                }
            }
            long[] bytes = new long[bounds.size() - 1];
            long[] records = new long[bounds.size() - 1];
            byte[] keyPrefix = SessionStores.messageKeyPrefix(SessionAddress.key(TurnDriver.TENANT, session));
            count(reader, partitions, bounds, keyPrefix, bytes, records);
            List<Checkpoint> windows = new ArrayList<>();
            for (int w = 0; w < bytes.length; w++) {
                int lastTurn = (w + 1) * WINDOW;
                long[] window = java.util.Arrays.copyOfRange(latencies, lastTurn - WINDOW, lastTurn);
                java.util.Arrays.sort(window);
                windows.add(new Checkpoint(
                        lastTurn, bytes[w] / (double) WINDOW, records[w] / (double) WINDOW, window[WINDOW / 2] / 1e6));
            }
            List<Checkpoint> checkpoints = windows.stream()
                    .filter(c -> checkpointTurns.contains(c.turn()))
                    .toList();
            return new Result(turns, checkpoints, windows);
        }
    }

    /** Reads the changelog from the first bound to the last, adding each record to its window. */
    private static void count(
            KafkaConsumer<byte[], byte[]> reader,
            List<TopicPartition> partitions,
            List<Map<TopicPartition, Long>> bounds,
            byte[] keyPrefix,
            long[] bytes,
            long[] records) {
        Map<TopicPartition, TreeMap<Long, Integer>> windowStarts = new HashMap<>();
        for (TopicPartition partition : partitions) {
            TreeMap<Long, Integer> starts = new TreeMap<>();
            for (int w = 0; w < bounds.size() - 1; w++) {
                starts.put(bounds.get(w).get(partition), w); // an empty window gives way to the next one
            }
            windowStarts.put(partition, starts);
            reader.seek(partition, bounds.getFirst().get(partition));
        }
        Map<TopicPartition, Long> end = bounds.getLast();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (partitions.stream().anyMatch(p -> reader.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read the changelog up to " + end + " within 60 s");
            }
            for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(100))) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                if (record.offset() >= end.get(partition) || !startsWith(record.key(), keyPrefix)) {
                    continue;
                }
                int window =
                        windowStarts.get(partition).floorEntry(record.offset()).getValue();
                bytes[window] += Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
                records[window]++;
            }
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key != null
                && key.length >= prefix.length
                && java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
