package dev.skein.integration.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.skein.events.TurnRequested;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.schemas.registry.SchemaRegistryException;
import dev.skein.schemas.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The embedded registry on a real broker: its topic, ids across instances, and serdes over it. */
@Tag("registry")
class EmbeddedSchemaRegistryIT {

    private static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(30);

    private static final Schema GREETING = parse("""
          {"type":"record","name":"Greeting","namespace":"test",
           "fields":[{"name":"text","type":"string"}]}""");
    private static final Schema GREETING_V2 = parse("""
          {"type":"record","name":"Greeting","namespace":"test",
           "fields":[{"name":"text","type":"string"},{"name":"lang","type":"string","default":"en"}]}""");

    private String bootstrap;
    private String schemasTopic;

    @BeforeEach
    void uniqueTopic() {
        bootstrap = KafkaFixture.bootstrapServers();
        schemasTopic = KafkaFixture.uniqueName("skein._schemas");
    }

    @Test
    void createsACompactedOnePartitionTopic() throws Exception {
        try (EmbeddedSchemaRegistry registry = open()) {
            registry.register("greetings-value", GREETING);
        }

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicDescription description = admin.describeTopics(Set.of(schemasTopic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(schemasTopic);
            assertThat(description.partitions()).hasSize(1);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, schemasTopic);
            Config config = admin.describeConfigs(Set.of(resource))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void idsAreTheSameInEveryInstanceAndSurviveARestart() {
        int greetingId;
        int v2Id;
        try (EmbeddedSchemaRegistry first = open()) {
            greetingId = first.register("greetings-value", GREETING);
            v2Id = first.register("greetings-value", GREETING_V2);
            assertThat(first.register("greetings-value", GREETING)).isEqualTo(greetingId);
        }
        assertThat(greetingId).isEqualTo(EmbeddedSchemaRegistry.idOf(GREETING));
        assertThat(v2Id).isEqualTo(EmbeddedSchemaRegistry.idOf(GREETING_V2)).isNotEqualTo(greetingId);

        // A second instance is what a restarted process sees: everything comes from the topic.
        try (EmbeddedSchemaRegistry restarted = open()) {
            assertThat(restarted.schemaById(greetingId)).isEqualTo(GREETING);
            assertThat(restarted.schemaById(v2Id)).isEqualTo(GREETING_V2);
            assertThat(restarted.subjects()).containsExactly("greetings-value");
            assertThat(restarted.idsOf("greetings-value")).containsExactly(greetingId, v2Id);
            assertThat(restarted.version("greetings-value", 2)).contains(GREETING_V2);
            assertThat(restarted.register("greetings-value", GREETING)).isEqualTo(greetingId);
        }
        // Registering what the topic already holds writes nothing more.
        assertThat(endOffset(schemasTopic)).isEqualTo(2);
    }

    @Test
    void anIdRegisteredByAnotherProcessIsFoundByRereadingTheTopic() {
        try (EmbeddedSchemaRegistry reader = open();
                EmbeddedSchemaRegistry writer = open()) {
            int id = writer.register("greetings-value", GREETING);

            assertThat(reader.schemaById(id)).isEqualTo(GREETING);
        }
    }

    @Test
    void anUnknownIdIs40403() {
        try (EmbeddedSchemaRegistry registry = open()) {
            assertThatThrownBy(() -> registry.schemaById(12345))
                    .asInstanceOf(type(SchemaRegistryException.class))
                    .satisfies(e -> {
                        assertThat(e.errorCode()).isEqualTo(40403);
                        assertThat(e.getMessage()).contains("12345", schemasTopic);
                    });
        }
    }

    @Test
    void aSchemaWhoseIdIsTakenIsRefusedAsACollision() {
        // Found by search: two field names whose schemas fold to the same id, 311380947.
        Schema first = collider("fyzkfuhf3bxj2");
        Schema second = collider("ffd64u09qjmmq");
        assertThat(EmbeddedSchemaRegistry.idOf(first)).isEqualTo(EmbeddedSchemaRegistry.idOf(second));

        try (EmbeddedSchemaRegistry registry = open();
                EmbeddedSchemaRegistry other = open()) {
            int id = registry.register("collider-value", first);

            assertThatThrownBy(() -> other.register("collider-value", second))
                    .asInstanceOf(type(SchemaRegistryException.class))
                    .satisfies(e -> {
                        assertThat(e.errorCode()).isEqualTo(409);
                        assertThat(e.getMessage()).contains("collision", Integer.toString(id));
                    });
            assertThat(other.schemaById(id)).isEqualTo(first);
        }
    }

    @Test
    void avroSerdeRoundTripsThroughARealTopicInConfluentWireFormat() {
        String turns = KafkaFixture.uniqueName("skein.turns");
        KafkaFixture.createTopics(bootstrap, 1, turns);
        TurnRequested turn = TurnRequested.newBuilder()
                .setTenant("acme")
                .setSessionId("s-1")
                .setTurnId("t-1")
                .setMessage("hello")
                .setRequestedAtMs(1_700_000_000_000L)
                .build();

        try (EmbeddedSchemaRegistry writerRegistry = open()) {
            Serde<TurnRequested> serde = AvroSerde.of(TurnRequested.class, writerRegistry);
            try (KafkaProducer<String, TurnRequested> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    new StringSerializer(),
                    serde.serializer())) {
                producer.send(new ProducerRecord<>(turns, "acme/s-1", turn)).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("Cannot produce to " + turns, e);
            }
        }

        byte[] value = readOne(turns);
        assertThat(value[0]).isZero();
        assertThat(ByteBuffer.wrap(value, 1, 4).getInt())
                .isEqualTo(EmbeddedSchemaRegistry.idOf(TurnRequested.getClassSchema()));
        // A fresh registry on the same topic, as in a restarted reader, decodes the record.
        try (EmbeddedSchemaRegistry readerRegistry = open()) {
            TurnRequested read = AvroSerde.of(TurnRequested.class, readerRegistry)
                    .deserializer()
                    .deserialize(turns, value);
            assertThat(read).isEqualTo(turn);
            assertThat(readerRegistry.subjects()).containsExactly(turns + "-value");
        }
    }

    private EmbeddedSchemaRegistry open() {
        return new EmbeddedSchemaRegistry(bootstrap, schemasTopic, (short) 1);
    }

    private byte[] readOne(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<byte[]> values = new ArrayList<>();
            long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
            assertThat(values)
                    .as("records on %s within %s", topic, RECEIVE_TIMEOUT)
                    .hasSize(1);
            return values.get(0);
        }
    }

    private long endOffset(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            return consumer.endOffsets(List.of(partition), RECEIVE_TIMEOUT).get(partition);
        }
    }

    private static Schema collider(String fieldName) {
        return parse("{\"type\":\"record\",\"name\":\"Collider\",\"namespace\":\"test\",\"fields\":[{\"name\":\""
                + fieldName
                + "\",\"type\":\"string\"}]}");
    }

    private static Schema parse(String json) {
        return new Schema.Parser().parse(json);
    }
}
