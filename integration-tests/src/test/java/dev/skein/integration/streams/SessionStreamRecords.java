package dev.skein.integration.streams;

import dev.skein.app.runtime.SkeinNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

/** The ground truth of a session's stream: its records on the deltas topic, read straight from Kafka. */
final class SessionStreamRecords {

    private SessionStreamRecords() {}

    /** The session's partition of the deltas topic, as the default partitioner chooses it. */
    static TopicPartition partition(SkeinNode node, String address, int partitions) {
        byte[] key = address.getBytes(StandardCharsets.UTF_8);
        return new TopicPartition(node.topics().deltas.name(), Utils.toPositive(Utils.murmur2(key)) % partitions);
    }

    /** The positions ({@code partition-offset}) of every committed record of the session, in order. */
    static List<String> positions(SkeinNode node, String address, int partitions) {
        TopicPartition partition = partition(node, address, partitions);
        byte[] key = address.getBytes(StandardCharsets.UTF_8);
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<String> positions = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end && Arrays.equals(record.key(), key)) {
                        positions.add(record.partition() + "-" + record.offset());
                    }
                }
            }
        }
        return positions;
    }
}
