package dev.skein.app.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * How many records of a topic its share group has not acknowledged yet (waiting or running),
 * summed over partitions: the backlog of a tier's worker pool or of the agent runners, which
 * autoscalers read as {@code skein_tier_queue_depth} and {@code skein_agents_queue_depth}.
 */
final class ShareBacklog {

    /** A topic and the share group that consumes it. */
    record Queue(String topic, String group) {
        Queue {
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(group, "group");
        }
    }

    private static final long ADMIN_TIMEOUT_MS = 10_000;

    private final Admin admin;

    /** The admin client is not owned. */
    ShareBacklog(Admin admin) {
        this.admin = Objects.requireNonNull(admin, "admin");
    }

    /** The backlog of each queue, by the caller's name for it. */
    <K> Map<K, Long> read(Map<K, Queue> queues) throws InterruptedException, ExecutionException, TimeoutException {
        List<String> names =
                queues.values().stream().map(Queue::topic).distinct().toList();
        Map<String, TopicDescription> described =
                admin.describeTopics(names).allTopicNames().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<String, List<TopicPartition>> partitionsOfTopic = new LinkedHashMap<>();
        List<TopicPartition> all = new ArrayList<>();
        described.forEach((topic, description) -> {
            List<TopicPartition> partitions = description.partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            partitionsOfTopic.put(topic, partitions);
            all.addAll(partitions);
        });
        // Share groups are read_committed in Skein (ShareGroups.configure): the end that matters is
        // the last stable offset, not the high watermark of records that may still be aborted.
        ListOffsetsOptions committed = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
        Map<TopicPartition, ListOffsetsResultInfo> ends = offsets(all, OffsetSpec.latest(), committed);
        Map<TopicPartition, ListOffsetsResultInfo> earliest = offsets(all, OffsetSpec.earliest(), committed);

        Map<K, Long> backlog = new LinkedHashMap<>();
        for (Map.Entry<K, Queue> entry : queues.entrySet()) {
            List<TopicPartition> partitions =
                    partitionsOfTopic.get(entry.getValue().topic());
            Map<TopicPartition, SharePartitionOffsetInfo> group =
                    shareGroupOffsets(entry.getValue().group(), partitions);
            long depth = 0;
            for (TopicPartition partition : partitions) {
                depth += depth(
                        ends.get(partition).offset(), earliest.get(partition).offset(), group.get(partition));
            }
            backlog.put(entry.getKey(), depth);
        }
        return backlog;
    }

    /**
     * Records of one partition not yet acknowledged. The group's lag is exactly that when the
     * broker reports it: end minus start offset alone overcounts, because the persisted start
     * offset trails acknowledgements (on a 4.4 broker it stayed at 0 after all records were
     * accepted, with lag 0). Without a lag: everything from the start offset on. A partition the
     * group has no state for yet (no member has acknowledged anything there) counts from its
     * earliest record, because Skein's share groups reset to earliest.
     */
    static long depth(long end, long earliest, SharePartitionOffsetInfo group) {
        if (group != null && group.lag().isPresent() && group.lag().get() >= 0) {
            return group.lag().get();
        }
        long start = group == null || group.startOffset() < 0 ? earliest : Math.max(earliest, group.startOffset());
        return Math.max(0, end - start);
    }

    private Map<TopicPartition, ListOffsetsResultInfo> offsets(
            List<TopicPartition> partitions, OffsetSpec spec, ListOffsetsOptions options)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(partition -> request.put(partition, spec));
        return admin.listOffsets(request, options).all().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    private Map<TopicPartition, SharePartitionOffsetInfo> shareGroupOffsets(
            String group, List<TopicPartition> partitions)
            throws InterruptedException, ExecutionException, TimeoutException {
        KafkaFuture<Map<TopicPartition, SharePartitionOffsetInfo>> future = admin.listShareGroupOffsets(
                        Map.of(group, new ListShareGroupOffsetsSpec().topicPartitions(partitions)))
                .partitionsToOffsetInfo(group);
        try {
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = future.get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return offsets == null ? Map.of() : offsets;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                // No member has joined yet: nothing has been acknowledged.
                return Map.of();
            }
            throw e;
        }
    }
}
