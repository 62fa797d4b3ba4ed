package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ApiKey;
import dev.skein.events.ChatMessage;
import dev.skein.ingress.auth.ApiKeys;
import dev.skein.ingress.auth.Role;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The keys topic read into memory: added, changed, revoked, and poison records that revoke nothing silently. */
class KafkaApiKeyViewTest {

    private final SkeinTopics topics = new SkeinTopics("t.", new InMemorySchemaRegistry());
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final TopicPartition partition = new TopicPartition("t.api-keys", 0);
    private final List<String> rejected = new CopyOnWriteArrayList<>();
    private KafkaApiKeyView view;

    @BeforeEach
    void partitions() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        consumer.updatePartitions(
                partition.topic(), List.of(new PartitionInfo(partition.topic(), 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(partition, 0L));
    }

    @AfterEach
    void stop() {
        if (view != null) {
            view.close();
        }
    }

    @Test
    void keysAreAddedChangedAndRevokedByTombstone() throws Exception {
        String first = ApiKeys.generate();
        String second = ApiKeys.generate();
        consumer.updateEndOffsets(Map.of(partition, 4L));
        consumer.schedulePollTask(() -> {
            add(0, record(first, "acme", "user"));
            add(1, record(second, "globex", "user"));
            add(2, record(first, "acme", "reader"));
            consumer.addRecord(new ConsumerRecord<>(partition.topic(), 0, 3, key(ApiKeys.idOf(second)), null));
        });
        view = new KafkaApiKeyView(consumer, topics, (record, cause) -> rejected.add(cause));

        view.ready().get(5, TimeUnit.SECONDS);

        assertThat(view.find(ApiKeys.idOf(first))).hasValueSatisfying(key -> {
            assertThat(key.tenant()).isEqualTo("acme");
            assertThat(key.roles()).containsExactly(Role.READER);
            assertThat(ApiKeys.matches(first, key.sha256())).isTrue();
        });
        assertThat(view.find(ApiKeys.idOf(second))).isEmpty();
        assertThat(rejected).isEmpty();
        assertThat(view.health().up()).isTrue();
    }

    @Test
    void anUnreadableRecordIsDeadLetteredAndItsKeyFailsClosed() throws Exception {
        String key = ApiKeys.generate();
        String other = ApiKeys.generate();
        String id = ApiKeys.idOf(key);
        consumer.updateEndOffsets(Map.of(partition, 7L));
        consumer.schedulePollTask(() -> {
            add(0, record(key, "acme", "user"));
            add(1, record(other, "acme", "user"));
            consumer.addRecord(new ConsumerRecord<>(
                    partition.topic(), 0, 2, key(id), "not avro".getBytes(StandardCharsets.UTF_8)));
            add(3, record(ApiKeys.generate(), "acme", "superuser"));
            consumer.addRecord(new ConsumerRecord<>(
                    partition.topic(),
                    0,
                    4,
                    null,
                    topics.apiKeys.valueSerde().serializer().serialize("x", record(key, "acme", "user"))));
            // A record whose key is not the id it holds.
            consumer.addRecord(new ConsumerRecord<>(
                    partition.topic(),
                    0,
                    5,
                    key(ApiKeys.idOf(other)),
                    topics.apiKeys
                            .valueSerde()
                            .serializer()
                            .serialize("x", record(ApiKeys.generate(), "acme", "user"))));
            add(6, record(ApiKeys.generate(), "../x", "user"));
        });
        view = new KafkaApiKeyView(consumer, topics, (record, cause) -> rejected.add(record.offset() + ": " + cause));

        view.ready().get(5, TimeUnit.SECONDS);

        // The key whose grant could not be read is refused until it is written again; the others stand.
        assertThat(view.find(id)).isEmpty();
        assertThat(view.find(ApiKeys.idOf(other))).isEmpty();
        assertThat(rejected).hasSize(5);
        assertThat(rejected.get(1)).contains("unknown role 'superuser'");
        assertThat(rejected.get(2)).contains("no key");
        assertThat(rejected.get(3)).contains("is not the key id");
        assertThat(rejected.get(4)).contains("tenant '../x' is invalid");
        assertThat(view.health().up()).as("the reader goes on").isTrue();
    }

    private ApiKey record(String key, String tenant, String role) {
        return ApiKey.newBuilder()
                .setId(ApiKeys.idOf(key))
                .setSha256(ApiKeys.sha256(key))
                .setTenant(tenant)
                .setRoles(List.of(role))
                .setCreatedAtMs(1_000)
                .build();
    }

    private void add(long offset, ApiKey value) {
        consumer.addRecord(new ConsumerRecord<>(
                partition.topic(),
                0,
                offset,
                key(value.getId()),
                topics.apiKeys.valueSerde().serializer().serialize(partition.topic(), value)));
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }
}
