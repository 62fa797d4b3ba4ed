package dev.skein.bench;

import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SkeinTopics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;

/** The clients a program uses to talk to Skein over its topics: one that sends turns, one that reads answers. */
final class TurnClients {

    private TurnClients() {}

    /** An idempotent producer of turns that sends at once (no linger), acknowledged by all replicas. */
    static KafkaProducer<String, TurnRequested> turnProducer(String bootstrapServers, SkeinTopics topics) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                topics.turns.keySerde().serializer(),
                topics.turns.valueSerde().serializer());
    }

    /**
     * A read_committed consumer of every partition of the responses topic, positioned at its end now,
     * so that no answer to a turn sent after this returns is missed.
     */
    static KafkaConsumer<String, TurnCompleted> responsesFromNow(String bootstrapServers, SkeinTopics topics) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, TurnCompleted> consumer = new KafkaConsumer<>(
                config,
                topics.responses.keySerde().deserializer(),
                topics.responses.valueSerde().deserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topics.responses.name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // fix the start now: seekToEnd is lazy
        return consumer;
    }
}
