package dev.skein.app.runtime;

import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.topologies.routing.TierEnvelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates Skein's topics when they are missing; existing topics are left as they are. */
public final class TopicSetup {

    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);
    private static final String ONE_HOUR_MS = "3600000";
    private static final String ONE_DAY_MS = "86400000";
    private static final String FOURTEEN_DAYS_MS = "1209600000";

    private TopicSetup() {}

    /**
     * Creates the missing topics, giving every created topic {@code common} configs besides its own
     * (retention, compaction), e.g. {@code min.insync.replicas}.
     *
     * @param deltasRetention how long a created {@code skein.deltas} keeps events, and so how far
     *                        back a stream can resume ({@code skein.topics.deltas-retention}); see
     *                        {@link #alignDeltasRetention} for an existing one
     */
    public static void ensure(
            Admin admin,
            SkeinTopics topics,
            List<TierEnvelope> tiers,
            int partitions,
            short replication,
            Duration deltasRetention,
            Map<String, String> common) {
        String deltasRetentionMs = String.valueOf(deltasRetention.toMillis());
        List<NewTopic> wanted = new ArrayList<>();
        for (Topic<String, ?> topic : topics.sessionKeyed()) {
            NewTopic t = new NewTopic(topic.name(), partitions, replication);
            if (topic == topics.deltas) {
                // Deltas are the streams clients resume; the history and responses keep what lasts.
                t.configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, deltasRetentionMs));
            }
            wanted.add(t);
        }
        for (TierEnvelope tier : tiers) {
            wanted.add(new NewTopic(topics.tools(tier.name()).name(), partitions, replication));
        }
        wanted.add(compacted(topics.toolCatalog.name(), replication));
        wanted.add(compacted(topics.workers.name(), replication));
        wanted.add(compacted(topics.apiKeys.name(), replication));
        wanted.add(compacted(topics.a2aPushConfigs.name(), replication));
        // Compacted (latest entry per cache key) and deleted by age as well: expired entries are
        // removed when next asked for, and the rest must not pile up for good.
        wanted.add(compacted(topics.resultCache.name(), replication)
                .configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        ONE_DAY_MS,
                        // Retention deletes whole closed segments: roll them hourly so that it can.
                        TopicConfig.SEGMENT_MS_CONFIG,
                        ONE_HOUR_MS)));
        wanted.add(new NewTopic(topics.deadLetters.name(), 1, replication)
                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, FOURTEEN_DAYS_MS)));
        if (!common.isEmpty()) {
            for (NewTopic topic : wanted) {
                Map<String, String> configs = new HashMap<>(common);
                if (topic.configs() != null) {
                    configs.putAll(topic.configs());
                }
                topic.configs(configs);
            }
        }
        create(admin, wanted);
    }

    /**
     * Sets the retention of an existing {@code skein.deltas} to {@code retention} when it differs:
     * a topic created before keeps its old retention unless told, and the retention is the promise
     * of how far back a stream resumes. Needs DescribeConfigs and AlterConfigs on the topic.
     */
    public static void alignDeltasRetention(Admin admin, SkeinTopics topics, Duration retention) {
        try {
            alignRetention(admin, topics.deltas.name(), String.valueOf(retention.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while setting the retention of " + topics.deltas.name(), e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new KafkaException(
                    "Cannot set the retention of " + topics.deltas.name() + " (skein.topics.deltas-retention): "
                            + cause.getMessage(),
                    cause);
        }
    }

    /** Creates those of {@code wanted} that do not exist yet, and waits until they can be described. */
    private static void create(Admin admin, List<NewTopic> wanted) {
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing =
                    wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            if (missing.isEmpty()) {
                return;
            }
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                    log.info("Created topic {}", entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            awaitVisible(admin, missing.stream().map(NewTopic::name).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new KafkaException("Cannot create Skein's topics: " + cause.getMessage(), cause);
        }
    }

    /** Sets an existing topic's retention to the configured one: the promise of how far back a stream resumes. */
    private static void alignRetention(Admin admin, String topic, String retentionMs)
            throws InterruptedException, ExecutionException, TimeoutException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config current = admin.describeConfigs(List.of(resource))
                .all()
                .get(30, TimeUnit.SECONDS)
                .get(resource);
        ConfigEntry entry = current == null ? null : current.get(TopicConfig.RETENTION_MS_CONFIG);
        if (entry != null && retentionMs.equals(entry.value())) {
            return;
        }
        admin.incrementalAlterConfigs(Map.of(
                        resource,
                        List.of(new AlterConfigOp(
                                new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, retentionMs),
                                AlterConfigOp.OpType.SET))))
                .all()
                .get(30, TimeUnit.SECONDS);
        log.info(
                "Set retention.ms of {} to {} (was {}): skein.topics.deltas-retention",
                topic,
                retentionMs,
                entry == null ? "unknown" : entry.value());
    }

    /**
     * A created topic reaches the brokers' metadata a moment after CreateTopics answers; a
     * describe before then fails with UnknownTopicOrPartition. Admin offers no notification for
     * it, so this asks again, briefly, until every new topic is described.
     */
    private static void awaitVisible(Admin admin, List<String> names)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** Only the compacted keys topic, for {@code skein keys} against a cluster no node has set up yet. */
    public static void ensureApiKeys(Admin admin, SkeinTopics topics, short replication) {
        create(admin, List.of(compacted(topics.apiKeys.name(), replication)));
    }

    private static NewTopic compacted(String name, short replication) {
        return new NewTopic(name, 1, replication)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    }
}
