package dev.skein.workers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.events.ToolDefinition;
import dev.skein.schemas.Topic;
import dev.skein.schemas.resources.Resources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compacted tool catalog as a worker sees it at start, and the rule that keeps it honest: a
 * name and version stand for one definition. A worker announcing a tool that another worker
 * announced with the same version but a different schema, needs or flags, or that the catalog
 * already has in a newer version, refuses to start instead of overwriting it.
 */
public final class ToolCatalog {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger log = LoggerFactory.getLogger(ToolCatalog.class);

    private ToolCatalog() {}

    /** A definition that contradicts the catalog; the message says which tool, what differs and what to do. */
    public static final class ConflictException extends IllegalStateException {
        public ConflictException(String message) {
            super(message);
        }
    }

    /**
     * The latest definition of every tool in {@code topic}, read to its end without a consumer group.
     * A record that cannot be read (bad bytes, unknown schema, another type) is handed to
     * {@code poison} (which dead-letters it) and skipped: one bad record must not stop every worker
     * from starting for as long as it stays in the compacted topic. A record without a key is skipped.
     *
     * @throws KafkaException when the end is not reached within {@code timeout}
     */
    public static Map<String, ToolDefinition> read(
            Map<String, Object> kafkaConfig,
            Topic<String, ToolDefinition> topic,
            Duration timeout,
            java.util.function.Consumer<RecordDeserializationException> poison) {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "skein-catalog-reader");
        try (KafkaConsumer<String, ToolDefinition> consumer = new KafkaConsumer<>(
                config, new StringDeserializer(), topic.valueSerde().deserializer())) {
            return read(consumer, topic.name(), timeout, poison);
        }
    }

    /** Reads with any consumer (a {@code MockConsumer} in tests); see the public {@code read}. */
    static Map<String, ToolDefinition> read(
            Consumer<String, ToolDefinition> consumer,
            String topic,
            Duration timeout,
            java.util.function.Consumer<RecordDeserializationException> poison) {
        Map<String, ToolDefinition> latest = new HashMap<>();
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new KafkaException("the tool catalog topic " + topic + " does not exist");
        }
        List<TopicPartition> partitions = infos.stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!reached(consumer, end)) {
            if (System.nanoTime() > deadline) {
                throw new KafkaException("could not read the tool catalog " + topic + " to its end within " + timeout);
            }
            ConsumerRecords<String, ToolDefinition> records;
            try {
                records = consumer.poll(Duration.ofMillis(200));
            } catch (RecordDeserializationException e) {
                log.warn(
                        "Skipping record {}@{} of the tool catalog: {}",
                        e.topicPartition(),
                        e.offset(),
                        e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
                poison.accept(e);
                // The consumer stops before the bad record: every record before it was returned already.
                consumer.seek(e.topicPartition(), e.offset() + 1);
                continue;
            }
            for (ConsumerRecord<String, ToolDefinition> record : records) {
                if (record.key() == null) {
                    log.warn(
                            "Skipping record {}-{}@{} of the tool catalog: it has no key",
                            record.topic(),
                            record.partition(),
                            record.offset());
                } else if (record.value() == null) {
                    latest.remove(record.key());
                } else {
                    latest.put(record.key(), record.value());
                }
            }
        }
        return latest;
    }

    private static boolean reached(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> entry : end.entrySet()) {
            if (consumer.position(entry.getKey()) < entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks {@code own} against the catalog's {@code existing} definitions (by name).
     *
     * @throws ConflictException for the first tool whose definition contradicts the catalog
     */
    public static void check(Collection<ToolDefinition> own, Map<String, ToolDefinition> existing) {
        for (ToolDefinition mine : own) {
            ToolDefinition theirs = existing.get(mine.getName());
            if (theirs == null) {
                continue;
            }
            if (theirs.getVersion() > mine.getVersion()) {
                throw new ConflictException("a newer version " + theirs.getVersion() + " of tool '" + mine.getName()
                        + "' is registered (by worker " + publisher(theirs) + ") than the version " + mine.getVersion()
                        + " this worker has; update this worker's tool, or give it a version above "
                        + theirs.getVersion());
            }
            if (theirs.getVersion() == mine.getVersion()) {
                List<String> differences = differences(theirs, mine);
                if (!differences.isEmpty()) {
                    throw new ConflictException("tool '" + mine.getName() + "' version " + mine.getVersion()
                            + " is already registered with different " + String.join(", ", differences) + " by worker "
                            + publisher(theirs) + "; give the changed tool a new version");
                }
            }
        }
    }

    /** What differs between two definitions of a tool, each as "what (theirs vs mine)"; description and publisher aside. */
    static List<String> differences(ToolDefinition theirs, ToolDefinition mine) {
        List<String> out = new ArrayList<>();
        if (!sameJson(theirs.getParametersSchema(), mine.getParametersSchema())) {
            out.add("parametersSchema (" + theirs.getParametersSchema() + " vs " + mine.getParametersSchema() + ")");
        }
        Resources a = Resources.of(theirs.getResources());
        Resources b = Resources.of(mine.getResources());
        if (!a.equals(b)) {
            List<String> names = new ArrayList<>(a.names());
            b.names().stream().filter(n -> !names.contains(n)).forEach(names::add);
            List<String> changed =
                    names.stream().filter(n -> a.amount(n) != b.amount(n)).toList();
            out.add("resources ("
                    + changed.stream()
                            .map(n -> n + " " + show(a, n) + " vs " + show(b, n))
                            .toList()
                            .toString()
                            .replaceAll("^\\[|]$", "")
                    + ")");
        }
        diff(out, "timeoutMs", theirs.getTimeoutMs(), mine.getTimeoutMs());
        diff(out, "retry", Retry.of(theirs.getRetry()), Retry.of(mine.getRetry()));
        diff(out, "cacheable", theirs.getCacheable(), mine.getCacheable());
        diff(out, "cacheTtlMs", theirs.getCacheTtlMs(), mine.getCacheTtlMs());
        diff(out, "requiresApproval", theirs.getRequiresApproval(), mine.getRequiresApproval());
        // sideEffects is left out on purpose: definitions published before the flag existed read
        // as true, and a worker that declares its tool free of side effects must be able to
        // replace them without a new version (the last definition published wins).
        return out;
    }

    private static void diff(List<String> out, String what, Object theirs, Object mine) {
        if (!Objects.equals(theirs, mine)) {
            out.add(what + " (" + theirs + " vs " + mine + ")");
        }
    }

    private static String show(Resources r, String name) {
        String described = r.describe(List.of(name));
        return described.substring(described.indexOf('=') + 1);
    }

    // Whitespace and key order do not make a different schema.
    private static boolean sameJson(String a, String b) {
        try {
            return JSON.readTree(a).equals(JSON.readTree(b));
        } catch (JsonProcessingException e) {
            return a.equals(b);
        }
    }

    private static String publisher(ToolDefinition definition) {
        return definition.getPublisher() == null || definition.getPublisher().isBlank()
                ? "(unknown)"
                : definition.getPublisher();
    }
}
