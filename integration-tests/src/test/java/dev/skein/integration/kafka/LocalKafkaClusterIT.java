package dev.skein.integration.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.app.kafka.LocalKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three-node launcher on its own: a quorum of three brokers with three replicas and two in
 * sync; the active controller SIGKILLed, the cluster still taking acknowledged writes, the node
 * restarted on its own data and back in every replica set.
 */
@Tag("kafka")
class LocalKafkaClusterIT {

    @Test
    void survivesTheLossOfItsActiveControllerAndTakesItBack(@TempDir Path dataDir) throws Exception {
        try (LocalKafkaCluster kafka = new LocalKafkaCluster(LocalKafkaCluster.Options.inDirectory(dataDir)).start();
                Admin admin = admin(kafka.bootstrapServers())) {
            assertThat(kafka.nodeIds()).containsExactly(1, 2, 3);
            assertThat(kafka.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+(,127\\.0\\.0\\.1:\\d+){2}");
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .extracting(Node::id)
                    .containsExactlyInAnyOrder(1, 2, 3);
            Config broker = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, "1")))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .values()
                    .iterator()
                    .next();
            for (String key : List.of(
                    "default.replication.factor",
                    "offsets.topic.replication.factor",
                    "transaction.state.log.replication.factor",
                    "share.coordinator.state.topic.replication.factor")) {
                assertThat(broker.get(key).value()).as(key).isEqualTo("3");
            }
            for (String key : List.of(
                    "min.insync.replicas", "transaction.state.log.min.isr", "share.coordinator.state.topic.min.isr")) {
                assertThat(broker.get(key).value()).as(key).isEqualTo("2");
            }

            // No replication factor given: the cluster's default applies.
            admin.createTopics(List.of(new NewTopic("replicated", Optional.of(6), Optional.empty())))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> fullyReplicated(admin, "replicated", 3));
            try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
                producer.send(new ProducerRecord<>("replicated", "k", "before")).get(30, TimeUnit.SECONDS);

                int victim = kafka.activeController();
                long pid = kafka.kill(victim);
                assertThat(ProcessHandle.of(pid)).isEmpty();
                assertThat(kafka.process(victim)).isEmpty();

                // Two of three replicas left: min.insync.replicas 2 still holds, so acks=all writes
                // to every partition succeed once the dead node's leaderships have moved.
                for (int partition = 0; partition < 6; partition++) {
                    producer.send(new ProducerRecord<>("replicated", partition, "k", "during"))
                            .get(60, TimeUnit.SECONDS);
                }
                assertThat(kafka.activeController()).isNotEqualTo(victim);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> leaders(admin, "replicated").stream().noneMatch(l -> l == victim));

                kafka.restart(victim);
                assertThat(kafka.process(victim)).isPresent();
                await().atMost(Duration.ofSeconds(60)).until(() -> fullyReplicated(admin, "replicated", 3));
                producer.send(new ProducerRecord<>("replicated", "k", "after")).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static boolean fullyReplicated(Admin admin, String topic, int replicas) throws Exception {
        return describe(admin, topic).partitions().stream()
                .allMatch(p -> p.leader() != null && p.isr().size() == replicas);
    }

    private static List<Integer> leaders(Admin admin, String topic) throws Exception {
        return describe(admin, topic).partitions().stream()
                .map(TopicPartitionInfo::leader)
                .map(l -> l == null ? -1 : l.id())
                .toList();
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .get(topic);
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(producerProps(bootstrap));
    }

    private static Properties producerProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return props;
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }
}
