package dev.skein.app.runtime;

import dev.skein.events.DeadLetter;
import dev.skein.schemas.Topic;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.schemas.registry.RejectedSchemaRecord;

/**
 * Sends the records the embedded registry skips on its topic to the dead-letter topic. Each on
 * a virtual thread of its own: the registry finds them on whatever thread looked a schema up
 * (a Kafka Streams thread, a reader's), which must not wait for a broker's acknowledgement.
 */
final class RegistryDeadLetters {

    private RegistryDeadLetters() {}

    static void attach(EmbeddedSchemaRegistry registry, EventProducer producer, Topic<String, DeadLetter> deadLetters) {
        registry.onRejected(rejected -> Thread.ofVirtual()
                .name("skein-registry-dead-letter")
                .start(() -> send(producer, deadLetters, rejected)));
    }

    private static void send(EventProducer producer, Topic<String, DeadLetter> deadLetters, RejectedSchemaRecord r) {
        producer.deadLetter(deadLetters, r.topic(), r.partition(), r.offset(), r.key(), r.value(), r.cause());
    }
}
