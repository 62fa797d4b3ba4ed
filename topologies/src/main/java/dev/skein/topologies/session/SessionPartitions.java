package dev.skein.topologies.session;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Which partition of the session-keyed topics owns a session: the one Kafka's Java producer picks
 * for its key, {@code toPositive(murmur2(UTF-8 key)) % count}. A producer with another partitioner
 * (librdkafka's default CRC32, for one) can write a session's event to a partition that does not
 * own it; {@link SessionProcessor} forwards such a record to its owner through the input's reroute
 * sink (see {@link SessionTopology}), so each session is processed by one task only.
 *
 * @param count the partition count of the session-keyed topics, as {@link CoPartitioning#verify}
 *     found it at start; the check and the reroute sinks use this same count, so a forwarded
 *     record always passes the check where it lands
 */
public record SessionPartitions(int count) {

    /**
     * Header on a record the topology forwarded to its owning partition: {@code topic-partition@offset}
     * where it first arrived. A record that carries it and still arrives on a partition that does
     * not own it (processes that disagree about the count) becomes a dead letter, not a loop.
     */
    public static final String REROUTED_FROM_HEADER = "skein-rerouted-from";

    public SessionPartitions {
        if (count < 1) {
            throw new IllegalArgumentException("session topology: the session topics' partition count must be >= 1");
        }
    }

    /** The partition that owns the session whose address is {@code key}. */
    public int ownerOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % count;
    }

    /** Partitions each record by its session, with this count: the partitioner of the reroute sinks. */
    StreamPartitioner<String, Object> partitioner() {
        return (topic, key, value, numPartitions) -> {
            int owner = ownerOf(key);
            if (owner >= numPartitions) {
                throw new IllegalStateException("session topology: " + topic + " has " + numPartitions
                        + " partitions, fewer than the " + count + " it had at start; restart Skein");
            }
            return Optional.of(Set.of(owner));
        };
    }
}
