package dev.skein.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What Kafka itself costs on this broker with the client settings Skein's clients use (no linger,
 * {@code acks=all}, idempotent producer, read_committed consumers): the floor every Skein figure is
 * set against. No transactions: this is the plain hop, not the exactly-once one.
 */
final class KafkaFloor {

    /** Round trip percentiles and raw single-client rates. */
    record Result(
            Latency roundTrip,
            double producerRecordsPerSecond,
            double consumerRecordsPerSecond,
            int recordBytes,
            int records) {}

    private static final int RECORD_BYTES = 200; // about the size of a serialized TurnRequested

    private final String bootstrapServers;
    private final String prefix;

    KafkaFloor(String bootstrapServers, String prefix) {
        this.bootstrapServers = bootstrapServers;
        this.prefix = prefix;
    }

    Result run(Duration warmup, Duration measure, int throughputRecords) throws Exception {
        String requests = prefix + "floor-requests";
        String replies = prefix + "floor-replies";
        String bulk = prefix + "floor-bulk";
        try (Admin admin = Admin.create(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(
                            new NewTopic(requests, 1, (short) 1),
                            new NewTopic(replies, 1, (short) 1),
                            new NewTopic(bulk, 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        Latency roundTrip = roundTrip(requests, replies, warmup, measure);
        double produced = produce(bulk, throughputRecords);
        double consumed = consume(bulk, throughputRecords);
        return new Result(roundTrip, produced, consumed, RECORD_BYTES, throughputRecords);
    }

    /** One request outstanding at a time: produce, an echo thread replies, read the reply. */
    private Latency roundTrip(String requests, String replies, Duration warmup, Duration measure) throws Exception {
        Histogram histogram = Latency.histogram();
        AtomicBoolean running = new AtomicBoolean(true);
        CompletableFuture<Void> echoed = new CompletableFuture<>();
        try (KafkaProducer<byte[], byte[]> producer = producer();
                KafkaConsumer<byte[], byte[]> replyConsumer = consumer(replies)) {
            Thread echo = Thread.ofPlatform().name("bench-floor-echo").start(() -> {
                try (KafkaConsumer<byte[], byte[]> requestConsumer = consumer(requests);
                        KafkaProducer<byte[], byte[]> replier = producer()) {
                    echoed.complete(null);
                    while (running.get()) {
                        for (ConsumerRecord<byte[], byte[]> record : requestConsumer.poll(Duration.ofMillis(50))) {
                            replier.send(new ProducerRecord<>(replies, record.key(), record.value()));
                        }
                    }
                } catch (RuntimeException e) {
                    echoed.completeExceptionally(e);
                    throw e;
                }
            });
            echoed.get(30, TimeUnit.SECONDS);
            byte[] payload = new byte[RECORD_BYTES];
            long warmupEnd = System.nanoTime() + warmup.toNanos();
            long end = warmupEnd + measure.toNanos();
            try {
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    producer.send(new ProducerRecord<>(requests, payload));
                    awaitOne(replyConsumer);
                    if (start >= warmupEnd) {
                        histogram.recordValue(System.nanoTime() - start);
                    }
                }
            } finally {
                running.set(false);
                echo.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
        return Latency.of(histogram);
    }

    private static void awaitOne(KafkaConsumer<byte[], byte[]> consumer) throws TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int received = 0;
        while (received == 0) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("no reply on the floor round trip within 30 s");
            }
            received = consumer.poll(Duration.ofMillis(100)).count();
        }
    }

    private double produce(String topic, int records) throws InterruptedException, ExecutionException {
        byte[] payload = new byte[RECORD_BYTES];
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            long start = System.nanoTime();
            for (int i = 0; i < records - 1; i++) {
                producer.send(new ProducerRecord<>(topic, payload));
            }
            producer.send(new ProducerRecord<>(topic, payload)).get(); // acks arrive in order
            return records / ((System.nanoTime() - start) / 1e9);
        }
    }

    private double consume(String topic, int records) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(topic)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.seekToBeginning(List.of(partition));
            long start = System.nanoTime();
            long read = 0;
            long deadline = start + TimeUnit.SECONDS.toNanos(120);
            while (read < records && System.nanoTime() < deadline) {
                read += consumer.poll(Duration.ofMillis(100)).count();
            }
            return read / ((System.nanoTime() - start) / 1e9);
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer assigned to partition 0 of {@code topic}, at its end. */
    private KafkaConsumer<byte[], byte[]> consumer(String topic) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToEnd(List.of(partition));
        consumer.position(partition);
        return consumer;
    }
}
