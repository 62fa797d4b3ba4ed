package dev.skein.schemas.registry;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schemas topic as the cluster has it: created (compacted, one partition) when absent, and
 * checked when present: exactly one partition is required, a cleanup policy other than compact
 * is warned about.
 */
final class SchemasTopic {

    private static final Logger log = LoggerFactory.getLogger(SchemasTopic.class);

    private final String topic;
    private final Duration timeout;

    /** @param timeout the limit of each call to the cluster */
    SchemasTopic(String topic, Duration timeout) {
        this.topic = topic;
        this.timeout = timeout;
    }

    /**
     * Creates the topic when absent, or checks it; another process creating it at the same time is
     * harmless.
     *
     * @param topicConfigs configs of a created topic besides compaction (which it always has)
     * @throws SchemaRegistryException when it cannot be created or described, or has more than one partition
     */
    void ensure(Properties clientProperties, short replicationFactor, Map<String, String> topicConfigs) {
        try (Admin admin = Admin.create(adminProperties(clientProperties))) {
            long timeoutMs = timeout.toMillis();
            try {
                TopicDescription description = admin.describeTopics(Set.of(topic))
                        .topicNameValues()
                        .get(topic)
                        .get(timeoutMs, TimeUnit.MILLISECONDS);
                requireOnePartition(description);
                warnUnlessCompacted(admin, timeoutMs);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            Map<String, String> configs = new HashMap<>(topicConfigs);
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            NewTopic newTopic = new NewTopic(topic, 1, replicationFactor).configs(configs);
            try {
                admin.createTopics(Set.of(newTopic)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
                log.info(
                        "Created schemas topic {} (compacted, 1 partition, replication factor {})",
                        topic,
                        replicationFactor);
            } catch (ExecutionException e) {
                // Another process created it between our describe and create: theirs is as good as ours.
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (ExecutionException e) {
            throw new SchemaRegistryException(
                    "Cannot create or describe schemas topic " + topic + ": "
                            + e.getCause().getMessage() + ". Check the bootstrap servers, the replication factor ("
                            + replicationFactor + ") against the number of brokers, and this client's permissions.",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new SchemaRegistryException(
                    "Cannot reach the cluster to create schemas topic " + topic + " within " + timeout
                            + ": check the bootstrap servers and that the cluster is up.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while creating schemas topic " + topic, e);
        }
    }

    private void requireOnePartition(TopicDescription description) {
        if (description.partitions().size() != 1) {
            // Ids are read back from partition 0 only; a second partition would hide schemas.
            throw new SchemaRegistryException(
                    "Schemas topic " + topic + " has "
                            + description.partitions().size()
                            + " partitions; it needs exactly 1. Delete it (if it holds no schemas) or name another topic.",
                    -1);
        }
    }

    private void warnUnlessCompacted(Admin admin, long timeoutMs) throws TimeoutException, InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config;
        try {
            config = admin.describeConfigs(Set.of(resource))
                    .all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS)
                    .get(resource);
        } catch (ExecutionException e) {
            // A client allowed to read and write the topic may still lack DescribeConfigs: only a check is lost.
            log.warn(
                    "Cannot check cleanup.policy of schemas topic {} ({}); it must be compact",
                    topic,
                    e.getCause().toString());
            return;
        }
        String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG) == null
                ? ""
                : config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
        if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)
                || policy.contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
            log.warn(
                    "Schemas topic {} has cleanup.policy={}: schemas will expire and old records become unreadable;"
                            + " set cleanup.policy=compact",
                    topic,
                    policy);
        }
    }

    private static Properties adminProperties(Properties common) {
        Properties properties = new Properties();
        properties.putAll(common);
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "skein-schemas-admin");
        return properties;
    }
}
