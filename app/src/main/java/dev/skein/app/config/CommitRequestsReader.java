package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.skein.schemas.kafka.Dispatch;
import dev.skein.topologies.routing.TierEnvelope;
import dev.skein.topologies.session.CommitRequests;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads {@code skein.streams.requested-commits} (docs/dispatch.md, "Requested commits"), with the
 * agents' and every tier's dispatch, which decide what output is speculative.
 */
final class CommitRequestsReader {

    static final String PATH = "skein.streams.requested-commits";

    private CommitRequestsReader() {}

    static CommitRequests read(Config config) {
        if (!config.getBoolean(PATH + ".enabled")) {
            return CommitRequests.OFF;
        }
        Map<String, Dispatch> tiers = new LinkedHashMap<>();
        for (TierEnvelope tier : TiersReader.tiers(config)) {
            tiers.put(tier.name(), DispatchReader.tier(config, tier.name()));
        }
        return new CommitRequests(
                true,
                nonNegative(config, PATH + ".min-spacing"),
                nonNegative(config, PATH + ".speculative-grace"),
                DispatchReader.agents(config),
                tiers);
    }

    /** Kafka Streams' {@code commit.interval.ms}: the fallback while the topology requests commits. */
    static Duration streamsCommitInterval(Config config) {
        return config.getBoolean(PATH + ".enabled")
                ? nonNegative(config, PATH + ".fallback-interval")
                : config.getDuration("skein.streams.commit-interval");
    }

    private static Duration nonNegative(Config config, String key) {
        Duration value = config.getDuration(key);
        if (value.isNegative()) {
            throw new ConfigException.BadValue(key, "must be zero or more, e.g. 5ms");
        }
        return value;
    }
}
