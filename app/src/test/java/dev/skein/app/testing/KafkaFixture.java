package dev.skein.app.testing;

import dev.skein.app.kafka.LocalKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * One Kafka broker per test JVM, started on first use and stopped by a shutdown hook.
 *
 * <p>Where the broker comes from, in order: the {@code KAFKA_BOOTSTRAP} environment variable (an
 * existing cluster, never stopped by us); a Testcontainers {@code apache/kafka} container when a
 * Docker engine answers (image overridable with {@code -Dskein.test.kafka-image=...}); otherwise a
 * {@link LocalKafka} in this JVM on a temporary directory, deleted on exit.
 *
 * <p>Tests share the broker, so each test names its topics and groups with {@link #uniqueName}.
 */
public final class KafkaFixture {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFixture.class);
    private static final String DEFAULT_IMAGE = "apache/kafka:4.4.0";
    private static final long ADMIN_TIMEOUT_SECONDS = 30;

    private static String bootstrapServers;

    private KafkaFixture() {}

    /** The broker of this test JVM, starting it on the first call. */
    public static synchronized String bootstrapServers() {
        if (bootstrapServers == null) {
            bootstrapServers = startBroker();
        }
        return bootstrapServers;
    }

    /** {@code base} plus a random suffix: a topic, group or application id no other test uses. */
    public static String uniqueName(String base) {
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates topics with one replica and waits until the broker has them. */
    public static void createTopics(String bootstrap, int partitions, String... names) {
        List<NewTopic> topics = Arrays.stream(names)
                .map(name -> new NewTopic(name, partitions, (short) 1))
                .toList();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(topics).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create topics " + Arrays.toString(names) + " on " + bootstrap, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        }
    }

    private static String startBroker() {
        String external = System.getenv("KAFKA_BOOTSTRAP");
        if (external != null && !external.isBlank()) {
            LOG.info("Tests use the Kafka cluster at {} (KAFKA_BOOTSTRAP)", external);
            return external;
        }
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return startContainer();
        }
        return startLocalKafka();
    }

    private static String startContainer() {
        String image = System.getProperty("skein.test.kafka-image", DEFAULT_IMAGE);
        KafkaContainer container = new KafkaContainer(image)
                // The same single-node settings as LocalKafka, so tests behave alike on
                // both.
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                .withEnv("KAFKA_NUM_PARTITIONS", "1");
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "kafka-fixture-container-shutdown"));
        LOG.info("Tests use Kafka container {} at {}", image, container.getBootstrapServers());
        return container.getBootstrapServers();
    }

    private static String startLocalKafka() {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("skein-test-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory for Kafka", e);
        }
        LOG.info("No Docker engine and no KAFKA_BOOTSTRAP: tests use a Kafka broker in this JVM");
        LocalKafka kafka = new LocalKafka(LocalKafka.Options.inDirectory(dataDir));
        // Registered before start so a failed start still removes the directory.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            kafka.close();
                            deleteRecursively(dataDir);
                        },
                        "kafka-fixture-shutdown"));
        kafka.start();
        return kafka.bootstrapServers();
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.warn("Cannot delete the test Kafka directory {}", dir, e);
        }
    }
}
