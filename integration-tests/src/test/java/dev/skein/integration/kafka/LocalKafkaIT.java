package dev.skein.integration.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.app.kafka.LocalKafka;
import dev.skein.integration.fixtures.KafkaFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("kafka")
class LocalKafkaIT {

    private static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void inProcessBrokerServesPlainTransactionalAndShareTraffic(@TempDir Path dataDir) throws Exception {
        try (LocalKafka kafka = new LocalKafka(LocalKafka.Options.inDirectory(dataDir)).start()) {
            String bootstrap = kafka.bootstrapServers();
            assertThat(bootstrap).matches("127\\.0\\.0\\.1:\\d+");
            KafkaFixture.createTopics(bootstrap, 1, "plain", "transactional", "queue");

            send(bootstrap, "plain", "hello");
            assertThat(readAll(bootstrap, "plain", "read_uncommitted", 1)).containsExactly("hello");

            Properties tx = producerProps(bootstrap);
            tx.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "local-kafka-it");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(tx)) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("transactional", "k", "committed"));
                producer.commitTransaction();
            }
            assertThat(readAll(bootstrap, "transactional", "read_committed", 1)).containsExactly("committed");

            try (Admin admin = admin(bootstrap)) {
                FinalizedVersionRange share = admin.describeFeatures()
                        .featureMetadata()
                        .get()
                        .finalizedFeatures()
                        .get("share.version");
                assertThat(share)
                        .as("share.version finalized on a fresh broker")
                        .isNotNull();
                assertThat(share.maxVersionLevel()).isGreaterThanOrEqualTo((short) 1);
                // Trap: a new share group starts at the LATEST offset
                // (share.auto.offset.reset=latest), so
                // records written before its first fetch are never delivered. Tests and any
                // consumer that
                // must see a backlog set the group config to earliest before consuming.
                setShareGroupResetToEarliest(admin, "local-kafka-it-share");
            }
            send(bootstrap, "queue", "job-1");
            assertThat(shareConsume(bootstrap, "queue", "local-kafka-it-share")).isEqualTo("job-1");
        }
    }

    @Test
    void restartOnSameDataDirectoryKeepsTopicsAndRecords(@TempDir Path dataDir) throws Exception {
        LocalKafka.Options options = LocalKafka.Options.inDirectory(dataDir);
        String clusterId;
        String firstBootstrap;
        try (LocalKafka kafka = new LocalKafka(options).start()) {
            firstBootstrap = kafka.bootstrapServers();
            clusterId = kafka.clusterId();
            KafkaFixture.createTopics(firstBootstrap, 2, "durable");
            send(firstBootstrap, "durable", "before-restart");
        }

        try (LocalKafka kafka = new LocalKafka(options).start()) {
            assertThat(kafka.clusterId()).isEqualTo(clusterId);
            assertThat(kafka.bootstrapServers())
                    .as("the remembered port is reused")
                    .isEqualTo(firstBootstrap);
            try (Admin admin = admin(kafka.bootstrapServers())) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("durable");
            }
            assertThat(readAll(kafka.bootstrapServers(), "durable", "read_committed", 1))
                    .containsExactly("before-restart");
        }
    }

    @Test
    void childProcessBrokerStopsWithItsParentsSignal(@TempDir Path dataDir) throws Exception {
        LocalKafka kafka =
                new LocalKafka(LocalKafka.Options.inDirectory(dataDir).withMode(LocalKafka.Mode.CHILD_PROCESS));
        Process child;
        try {
            kafka.start();
            child = kafka.childProcess().orElseThrow();
            assertThat(child.isAlive()).isTrue();
            KafkaFixture.createTopics(kafka.bootstrapServers(), 1, "from-child");
            send(kafka.bootstrapServers(), "from-child", "ping");
            assertThat(readAll(kafka.bootstrapServers(), "from-child", "read_committed", 1))
                    .containsExactly("ping");
        } finally {
            kafka.close();
        }
        assertThat(child.toHandle().isAlive()).isFalse();
        // 0, not 143 (SIGTERM) or 137 (SIGKILL): the child stopped by itself when its stdin closed.
        assertThat(child.exitValue()).isZero();
        assertThat(dataDir.resolve(LocalKafka.CHILD_LOG_FILE)).isNotEmptyFile();
    }

    @Test
    void childProcessBrokerDiesWhenItsParentIsKilled(@TempDir Path dataDir) throws Exception {
        Process parent = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ParentThatDies.class.getName(),
                        dataDir.toString())
                .redirectErrorStream(true)
                .start();
        ProcessHandle child = null;
        try {
            child = ProcessHandle.of(readChildPid(parent)).orElseThrow();
            assertThat(child.isAlive()).isTrue();

            parent.destroyForcibly().waitFor();

            // SIGKILL runs no shutdown hook in the parent: only the closed stdin pipe tells the
            // child.
            child.onExit().get(30, TimeUnit.SECONDS);
            assertThat(child.isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (child != null && child.isAlive()) {
                child.destroyForcibly();
            }
        }
    }

    @Test
    void childThatCannotStartFailsWithItsLogTail(@TempDir Path dataDir) {
        LocalKafka kafka = new LocalKafka(LocalKafka.Options.inDirectory(dataDir)
                .withMode(LocalKafka.Mode.CHILD_PROCESS)
                .withBrokerProperties(Map.of("num.io.threads", "0")));

        assertThatThrownBy(kafka::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited before it was ready")
                .hasMessageContaining("num.io.threads");
        // The failed child is gone, not left running: no broker JVM of this one is alive.
        assertThat(ProcessHandle.current().children())
                .noneMatch(p -> p.info().commandLine().orElse("").contains("ChildBroker"));
    }

    /** Stands in for a Skein process that starts a child broker and is then killed. */
    public static final class ParentThatDies {
        public static void main(String[] args) throws InterruptedException {
            LocalKafka kafka = new LocalKafka(
                            LocalKafka.Options.inDirectory(Path.of(args[0])).withMode(LocalKafka.Mode.CHILD_PROCESS))
                    .start();
            System.out.println(
                    CHILD_PID_PREFIX + kafka.childProcess().orElseThrow().pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static final String CHILD_PID_PREFIX = "child-pid=";

    private static long readChildPid(Process parent) throws Exception {
        CompletableFuture<Long> pid = new CompletableFuture<>();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        // Keeps draining the parent's output so that its logging never blocks on a full pipe.
        Thread.ofVirtual().start(() -> {
            try (BufferedReader in = parent.inputReader()) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    if (line.startsWith(CHILD_PID_PREFIX)) {
                        pid.complete(Long.parseLong(line.substring(CHILD_PID_PREFIX.length())));
                    }
                }
                pid.completeExceptionally(
                        new AssertionError("parent exited without a child pid:\n" + String.join("\n", output)));
            } catch (IOException e) {
                pid.completeExceptionally(e);
            }
        });
        return pid.get(60, TimeUnit.SECONDS);
    }

    private static void setShareGroupResetToEarliest(Admin admin, String group) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        AlterConfigOp earliest =
                new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(earliest))).all().get(30, TimeUnit.SECONDS);
    }

    private static String shareConsume(String bootstrap, String topic, String group) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    consumer.commitSync();
                    return record.value();
                }
            }
            throw new AssertionError("No record reached share group " + group + " within " + RECEIVE_TIMEOUT);
        }
    }

    private static void send(String bootstrap, String topic, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(bootstrap))) {
            producer.send(new ProducerRecord<>(topic, "k", value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static List<String> readAll(String bootstrap, String topic, String isolation, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            Collection<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> values.add(record.value()));
            }
        }
        return values;
    }

    private static Properties producerProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return props;
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }
}
