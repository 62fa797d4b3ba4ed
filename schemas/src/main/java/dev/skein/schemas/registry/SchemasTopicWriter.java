package dev.skein.schemas.registry;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;

/** Appends {@link SchemaRecord}s to the schemas topic, one at a time, each acknowledged by all in-sync replicas. */
final class SchemasTopicWriter implements AutoCloseable {

    private final String topic;
    private final Duration timeout;
    private final KafkaProducer<String, String> producer;

    /** @throws SchemaRegistryException when the producer cannot be created */
    SchemasTopicWriter(Properties clientProperties, String topic, Duration timeout) {
        this.topic = topic;
        this.timeout = timeout;
        try {
            this.producer = new KafkaProducer<>(producerProperties(clientProperties, timeout));
        } catch (KafkaException e) {
            throw new SchemaRegistryException(
                    "Cannot open a producer to schemas topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code record} to partition 0 and waits for its acknowledgement.
     *
     * @throws SchemaRegistryException when it is not acknowledged within the timeout
     */
    RecordMetadata write(SchemaRecord record) {
        String schemaName = record.schema().getFullName();
        try {
            return producer.send(new ProducerRecord<>(topic, 0, record.key(), record.value()))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new SchemaRegistryException(
                    "Cannot write schema " + schemaName + " to topic " + topic + ": "
                            + e.getCause().getMessage()
                            + ". Check that the cluster is up and this client may write the topic.",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new SchemaRegistryException(
                    "Cannot write schema " + schemaName + " to topic " + topic + " within " + timeout
                            + ": check that the cluster is up and the topic has enough in-sync replicas.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while writing schema " + schemaName + " to " + topic, e);
        }
    }

    @Override
    public void close() {
        producer.close(timeout);
    }

    private static Properties producerProperties(Properties common, Duration timeout) {
        Properties properties = new Properties();
        properties.putAll(common);
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "skein-schemas-writer");
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        properties.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeout.toMillis()));
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return properties;
    }
}
