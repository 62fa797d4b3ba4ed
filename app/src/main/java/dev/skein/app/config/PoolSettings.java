package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;

/**
 * How the agent runners and tool workers take and stream their work: {@code
 * skein.agents.delta-window}, {@code skein.agents.consumers} and {@code skein.worker.consumers}.
 *
 * @param deltaWindow streamed text held after a delta record and then sent as one (0 to 1 s)
 * @param agentConsumers share consumers of an agent runner (1 to 64; {@code auto}: twice the partitions)
 * @param workerConsumers share consumers per share group of each tier a worker serves (likewise)
 */
public record PoolSettings(Duration deltaWindow, int agentConsumers, int workerConsumers) {

    static final String DELTA_WINDOW = "skein.agents.delta-window";
    static final String AGENT_CONSUMERS = "skein.agents.consumers";
    static final String WORKER_CONSUMERS = "skein.worker.consumers";
    private static final int MAX_CONSUMERS = 64;
    private static final String AUTO = "auto";

    /** @throws ConfigException.BadValue naming the key whose value is out of range */
    static PoolSettings read(Config config) {
        Duration window = config.getDuration(DELTA_WINDOW);
        if (window.isNegative() || window.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new ConfigException.BadValue(DELTA_WINDOW, "must be between 0 and 1s, got " + window);
        }
        return new PoolSettings(window, consumers(config, AGENT_CONSUMERS), consumers(config, WORKER_CONSUMERS));
    }

    /**
     * {@code auto}: twice the topics' partitions ({@code skein.topics.partitions}), at most 64. Kafka's
     * share group assignor gives a partition to {@code ceil(members / partitions)} members, each
     * owning it alone while members do not outnumber partitions; with twice as many consumers as
     * partitions, every partition has two in each process, so one long call never stops its
     * partition.
     */
    private static int consumers(Config config, String key) {
        if (config.getValue(key).valueType() == ConfigValueType.STRING
                && config.getString(key).equals(AUTO)) {
            return Math.min(MAX_CONSUMERS, 2 * Math.max(1, config.getInt("skein.topics.partitions")));
        }
        int count;
        try {
            count = config.getInt(key);
        } catch (ConfigException.WrongType e) {
            throw new ConfigException.BadValue(key, "must be auto or 1 to " + MAX_CONSUMERS);
        }
        if (count < 1 || count > MAX_CONSUMERS) {
            throw new ConfigException.BadValue(key, "must be auto or 1 to " + MAX_CONSUMERS + ", got " + count);
        }
        return count;
    }
}
