package dev.skein.schemas.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The share consumer of every Skein pool (agent runners, tool workers), set up for
 * {@link ShareBatchLoop}: explicit acknowledgement, and at most {@code maxInFlight} records held
 * at once.
 */
public final class ShareConsumers {

    private ShareConsumers() {}

    /**
     * How many records each of a pool's {@code consumers} may hold so that together they hold at
     * most {@code maxInFlight}: one element per consumer (fewer consumers when {@code maxInFlight}
     * is smaller), the sizes differing by at most one. Several consumers because in explicit mode a
     * consumer polls again only once every record of its last poll is acknowledged: one long call
     * would otherwise hold back every request that arrives while it runs.
     */
    public static int[] batchSizes(int maxInFlight, int consumers) {
        if (maxInFlight < 1 || consumers < 1) {
            throw new IllegalArgumentException(
                    "maxInFlight and consumers must be at least 1, got " + maxInFlight + " and " + consumers);
        }
        int count = Math.min(maxInFlight, consumers);
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++) {
            sizes[i] = maxInFlight / count + (i < maxInFlight % count ? 1 : 0);
        }
        return sizes;
    }

    /**
     * The consumer settings: {@code kafkaConfig} (connection, security, and a client id that wins
     * over {@code clientId}), then the group and the settings {@link ShareBatchLoop} relies on.
     *
     * @param maxInFlight how many records one poll may hand out, and so how many this member holds
     */
    public static Map<String, Object> config(
            Map<String, Object> kafkaConfig, String groupId, String clientId, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // record_limit makes max.poll.records a hard cap: a member never holds locks on more
        // records than it works on, so the other members of the pool get the rest.
        config.put("share.acquire.mode", "record_limit");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxInFlight);
        return config;
    }

    /** A share consumer with {@link #config} settings, string keys and {@code values} for values. */
    public static <V> KafkaShareConsumer<String, V> create(
            Map<String, Object> kafkaConfig, String groupId, String clientId, int maxInFlight, Deserializer<V> values) {
        return new KafkaShareConsumer<>(
                config(kafkaConfig, groupId, clientId, maxInFlight), new StringDeserializer(), values);
    }
}
