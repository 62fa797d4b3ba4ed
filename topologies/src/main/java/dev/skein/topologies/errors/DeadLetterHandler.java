package dev.skein.topologies.errors;

import dev.skein.events.DeadLetter;
import dev.skein.schemas.errors.DeadLetters;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that cannot be read (bad bytes, unknown schema) or that fails in a processor to
 * the dead-letter topic as a {@link DeadLetter} with its topic, partition, offset, raw bytes and
 * cause, then goes on: one poison record must not stop every session of its partition.
 *
 * <p>Configured through the Streams properties {@link #TOPIC_CONFIG} (the topic name) and
 * {@link #SERIALIZER_CONFIG} (a {@code Serializer<DeadLetter>} instance).
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler {

    public static final String TOPIC_CONFIG = "skein.dead-letters.topic";
    public static final String SERIALIZER_CONFIG = "skein.dead-letters.serializer";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);

    private String topic;
    private Serializer<DeadLetter> serializer;

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs) {
        Object name = configs.get(TOPIC_CONFIG);
        Object ser = configs.get(SERIALIZER_CONFIG);
        if (!(name instanceof String) || !(ser instanceof Serializer<?>)) {
            throw new IllegalArgumentException("DeadLetterHandler needs " + TOPIC_CONFIG + " (a topic name) and "
                    + SERIALIZER_CONFIG + " (a Serializer<DeadLetter>) in the Streams configuration");
        }
        this.topic = (String) name;
        this.serializer = (Serializer<DeadLetter>) ser;
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(
            ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        log.warn(
                "Cannot read record {}-{}@{}: {}; sent to {}",
                context.topic(),
                context.partition(),
                context.offset(),
                exception.getMessage(),
                topic);
        return DeserializationExceptionHandler.Response.resume(List.of(
                deadLetter(context, record.key(), record.value(), "cannot deserialize: " + exception.getMessage())));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(
            ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        log.error(
                "Processor {} failed on record {}-{}@{}; sent to {}",
                context.processorNodeId(),
                context.topic(),
                context.partition(),
                context.offset(),
                topic,
                exception);
        return ProcessingExceptionHandler.Response.resume(List.of(deadLetter(
                context,
                context.sourceRawKey(),
                context.sourceRawValue(),
                "processing failed in " + context.processorNodeId() + ": " + exception)));
    }

    private ProducerRecord<byte[], byte[]> deadLetter(
            ErrorHandlerContext context, byte[] key, byte[] value, String cause) {
        DeadLetter letter = DeadLetters.from(context.topic(), context.partition(), context.offset())
                .key(key)
                .value(value)
                .rejectedBy("session-topology", cause);
        return new ProducerRecord<>(topic, null, key, serializer.serialize(topic, letter));
    }
}
