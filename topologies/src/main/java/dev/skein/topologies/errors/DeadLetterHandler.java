package dev.skein.topologies.errors;

import dev.skein.events.DeadLetter;
import dev.skein.schemas.errors.DeadLetters;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that cannot be read (bad bytes, unknown schema) or that fails in a processor to
 * the dead-letter topic as a {@link DeadLetter} with its topic, partition, offset, raw bytes and
 * cause, then goes on: one poison record must not stop every session of its partition.
 *
 * <p>On a stream thread the dead letter is handed back to Kafka Streams, which writes it in the
 * task's transaction. The global thread (the stores fed by {@code tool-catalog} and {@code workers})
 * has no record collector: Kafka Streams 4.4 fails it with a {@link ClassCastException} when a
 * deserialization handler returns dead letters there, and only logs and drops those of a processing
 * handler. So on the global thread this handler writes the dead letter itself, with a producer of
 * its own (built on first use from the Streams configuration's client settings, and waited for up
 * to 30 s), and returns none to Kafka Streams. Either way the record is skipped.
 *
 * <p>Configured through the Streams properties {@link #TOPIC_CONFIG} (the topic name) and
 * {@link #SERIALIZER_CONFIG} (a {@code Serializer<DeadLetter>} instance).
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler {

    public static final String TOPIC_CONFIG = "skein.dead-letters.topic";
    public static final String SERIALIZER_CONFIG = "skein.dead-letters.serializer";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);
    private static final Duration GLOBAL_SEND_TIMEOUT = Duration.ofSeconds(30);
    // Kafka Streams never closes its handlers: the producer goes when the handler does.
    private static final Cleaner PRODUCERS = Cleaner.create();

    private final Function<Map<String, ?>, Producer<byte[], byte[]>> globalProducers;
    private String topic;
    private Serializer<DeadLetter> serializer;
    private Map<String, ?> configs = Map.of();
    private Producer<byte[], byte[]> globalProducer;

    /** The handler Kafka Streams builds from its configuration. */
    public DeadLetterHandler() {
        this(DeadLetterHandler::producer);
    }

    /** For tests: {@code globalProducers} builds the global thread's producer from the Streams configuration. */
    DeadLetterHandler(Function<Map<String, ?>, Producer<byte[], byte[]>> globalProducers) {
        this.globalProducers = globalProducers;
    }

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
        this.configs = java.util.Collections.unmodifiableMap(new HashMap<>(configs));
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(
            ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        ProducerRecord<byte[], byte[]> letter =
                deadLetter(context, record.key(), record.value(), "cannot deserialize: " + exception.getMessage());
        if (onGlobalThread(context)) {
            writeFromGlobalThread(context, letter, exception.getMessage());
            return DeserializationExceptionHandler.Response.resume();
        }
        log.warn(
                "Cannot read record {}-{}@{}: {}; sent to {}",
                context.topic(),
                context.partition(),
                context.offset(),
                exception.getMessage(),
                topic);
        return DeserializationExceptionHandler.Response.resume(List.of(letter));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(
            ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (context.topic() == null) {
            // A punctuation, not a record: there is nothing to dead-letter, and failing would kill
            // the stream thread, then its replacement at the same punctuation. The punctuators
            // (deadlines, expiry, commit pacing) find what they left undone at their next run.
            log.error(
                    "A punctuation of processor {} in task {} failed; its next run takes up what it left",
                    context.processorNodeId(),
                    context.taskId(),
                    exception);
            return ProcessingExceptionHandler.Response.resume();
        }
        ProducerRecord<byte[], byte[]> letter = deadLetter(
                context,
                context.sourceRawKey(),
                context.sourceRawValue(),
                "processing failed in " + context.processorNodeId() + ": " + exception);
        if (onGlobalThread(context)) {
            writeFromGlobalThread(context, letter, "processor " + context.processorNodeId() + " failed: " + exception);
            return ProcessingExceptionHandler.Response.resume();
        }
        log.error(
                "Processor {} failed on record {}-{}@{}; sent to {}",
                context.processorNodeId(),
                context.topic(),
                context.partition(),
                context.offset(),
                topic,
                exception);
        return ProcessingExceptionHandler.Response.resume(List.of(letter));
    }

    /** The global thread's task id is {@code -1_-1}; stream tasks have subtopology and partition from 0. */
    private static boolean onGlobalThread(ErrorHandlerContext context) {
        TaskId task = context.taskId();
        return task == null || task.subtopology() < 0;
    }

    private void writeFromGlobalThread(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> letter, String why) {
        try {
            globalProducer().send(letter).get(GLOBAL_SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.warn(
                    "Skipped record {}-{}@{} of a global store ({}); written to {}",
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    why,
                    topic);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error(
                    "Skipped record {}-{}@{} of a global store ({}); interrupted before its dead letter was written",
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    why);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // The record is skipped anyway: a global store that stops on it would stop the node for good.
            log.error(
                    "Skipped record {}-{}@{} of a global store ({}); its dead letter could not be written to {}: {}",
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    why,
                    topic,
                    e instanceof ExecutionException ? e.getCause().toString() : e.toString());
        }
    }

    private synchronized Producer<byte[], byte[]> globalProducer() {
        if (globalProducer == null) {
            Producer<byte[], byte[]> created = globalProducers.apply(configs);
            PRODUCERS.register(this, () -> created.close(Duration.ofSeconds(5)));
            globalProducer = created;
        }
        return globalProducer;
    }

    /** A plain producer with the Streams configuration's client settings (servers, security), nothing of its own. */
    private static Producer<byte[], byte[]> producer(Map<String, ?> streamsConfig) {
        Map<String, Object> config = new HashMap<>();
        streamsConfig.forEach((key, value) -> {
            if (ProducerConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        config.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        config.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        config.remove(ProducerConfig.PARTITIONER_CLASS_CONFIG);
        config.remove(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "skein-global-dead-letters");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
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
