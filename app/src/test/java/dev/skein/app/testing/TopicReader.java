package dev.skein.app.testing;

import dev.skein.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a whole topic from the beginning, without a group, until what a test waits for has arrived. */
public final class TopicReader<V> implements AutoCloseable {

    private final KafkaConsumer<String, V> consumer;
    private final List<ConsumerRecord<String, V>> seen = new ArrayList<>();

    public TopicReader(String bootstrap, Topic<String, V> topic) {
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                topic.valueSerde().deserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** The first record (seen so far or arriving within {@code timeout}) that matches. */
    public ConsumerRecord<String, V> await(Predicate<ConsumerRecord<String, V>> matching, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (ConsumerRecord<String, V> record : seen) {
                if (matching.test(record)) {
                    return record;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no matching record within " + timeout + "; seen: "
                        + seen.stream().map(ConsumerRecord::value).toList());
            }
            consumer.poll(Duration.ofNanos(Math.min(left, Duration.ofMillis(200).toNanos())))
                    .forEach(seen::add);
        }
    }

    /** Every record read so far. */
    public List<ConsumerRecord<String, V>> seen() {
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
