package dev.skein.ingress;

import dev.skein.events.SessionCommand;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.schemas.tracing.TraceHeaders;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces turns to {@code skein.turns} and commands to {@code skein.session-commands}, keyed by
 * session address, with an idempotent producer ({@code acks=all}, {@code linger.ms=0}: a user
 * waits on every record). The future completes when the broker acknowledges the record.
 *
 * <p>{@code KafkaProducer.send} can block (metadata, full buffer), so sends run on one thread of
 * this gateway: callers on an event loop never block, and records keep the order of the calls.
 */
public final class KafkaTurnGateway implements TurnGateway, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaTurnGateway.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Producer<String, byte[]> producer;
    private final SkeinTopics topics;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("skein-ingress-producer").daemon(true).factory());

    /** @param kafkaClientProps common client settings (bootstrap servers, security); serializers are set here */
    public KafkaTurnGateway(Map<String, Object> kafkaClientProps, SkeinTopics topics) {
        this(
                new KafkaProducer<>(
                        producerConfig(kafkaClientProps), new StringSerializer(), new ByteArraySerializer()),
                topics);
    }

    /** For tests: any producer, e.g. {@code MockProducer}. */
    KafkaTurnGateway(Producer<String, byte[]> producer, SkeinTopics topics) {
        this.producer = producer;
        this.topics = topics;
    }

    /** The settings this gateway relies on, over the caller's: delivery guarantees are not optional. */
    static Map<String, Object> producerConfig(Map<String, Object> kafkaClientProps) {
        Map<String, Object> config = new HashMap<>(kafkaClientProps);
        config.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        config.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        // An HTTP client should hear within seconds that Kafka is unreachable, not after a minute.
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "skein-ingress");
        return config;
    }

    @Override
    public CompletableFuture<Void> submit(TurnRequested turn) {
        return send(
                topics.turns,
                SessionAddress.key(turn.getTenant(), turn.getSessionId()),
                turn,
                "turn " + turn.getTurnId());
    }

    @Override
    public CompletableFuture<Void> submit(SessionCommand command) {
        return send(
                topics.sessionCommands,
                SessionAddress.key(command.getTenant(), command.getSessionId()),
                command,
                command.getKind() + " command " + command.getCommandId());
    }

    private <V> CompletableFuture<Void> send(Topic<String, V> topic, String key, V value, String what) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        // The caller's trace context (its turn span), taken here: the send runs on the gateway's thread.
        Headers trace = TraceHeaders.current();
        try {
            sender.execute(() -> {
                try {
                    byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
                    producer.send(new ProducerRecord<>(topic.name(), null, key, bytes, trace), (metadata, e) -> {
                        if (e != null) {
                            log.warn("session {}: {} not written to {}: {}", key, what, topic.name(), e.toString());
                            acked.completeExceptionally(e);
                        } else {
                            log.debug(
                                    "session {}: {} written to {}-{}@{}",
                                    key,
                                    what,
                                    topic.name(),
                                    metadata.partition(),
                                    metadata.offset());
                            acked.complete(null);
                        }
                    });
                } catch (RuntimeException e) {
                    log.warn("session {}: {} not sent to {}", key, what, topic.name(), e);
                    acked.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            acked.completeExceptionally(new IllegalStateException("the turn gateway is closed", e));
        }
        return acked;
    }

    /** Sends what was submitted, then closes the producer (waiting up to 10 s for acknowledgements). */
    @Override
    public void close() {
        sender.shutdown();
        try {
            if (!sender.awaitTermination(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                log.warn("turn gateway: sends still blocked after {}; closing the producer anyway", CLOSE_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            producer.close(CLOSE_TIMEOUT);
        }
    }
}
