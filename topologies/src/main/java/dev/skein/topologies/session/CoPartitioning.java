package dev.skein.topologies.session;

import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;

/**
 * Start-up check that every session-keyed topic has the same partition count: the state
 * machine relies on all events of a session reaching the same task.
 */
public final class CoPartitioning {

    private CoPartitioning() {}

    /**
     * The one partition count of the session-keyed topics, which decides which partition owns a
     * session ({@link SessionPartitions}). Throws {@link IllegalStateException} naming each topic
     * and its count when they differ.
     */
    public static SessionPartitions verify(Admin admin, SkeinTopics topics) {
        List<String> names = topics.sessionKeyed().stream().map(Topic::name).toList();
        Map<String, TopicDescription> descriptions;
        try {
            descriptions = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while describing " + names, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("Cannot describe the session topics " + names + ": " + e.getMessage(), e);
        }
        Map<String, Integer> counts = new TreeMap<>();
        descriptions.forEach(
                (name, description) -> counts.put(name, description.partitions().size()));
        if (counts.values().stream().distinct().count() > 1) {
            throw new IllegalStateException("Session topics must have the same number of partitions, but have "
                    + counts.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue())
                            .collect(Collectors.joining(", "))
                    + ". Recreate them with one count, or add partitions to match (before any session exists).");
        }
        return new SessionPartitions(counts.values().iterator().next());
    }
}
