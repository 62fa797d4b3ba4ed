package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.skein.schemas.resources.ByteSize;
import dev.skein.topologies.routing.TierEnvelope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the tool tiers ({@code skein.tiers}), smallest first. */
final class TiersReader {

    private TiersReader() {}

    /** The tiers, smallest first, from {@code skein.tiers}. */
    static List<TierEnvelope> tiers(Config config) {
        List<TierEnvelope> tiers = new ArrayList<>();
        List<? extends Config> entries = config.getConfigList("skein.tiers");
        for (int i = 0; i < entries.size(); i++) {
            Config tier = entries.get(i);
            String where = "skein.tiers[" + i + "]";
            try {
                Map<String, Double> custom = new LinkedHashMap<>();
                if (tier.hasPath("custom")) {
                    tier.getConfig("custom")
                            .root()
                            .keySet()
                            .forEach(k -> custom.put(k, tier.getConfig("custom").getDouble(k)));
                }
                tiers.add(new TierEnvelope(
                        tier.getString("name"),
                        tier.getDouble("max-cpus"),
                        // One reading of sizes for tiers, workers and tools (ByteSize: every unit binary),
                        // so that a 32GB tier and a 32g worker agree; HOCON's getBytes reads GB as 10^9.
                        ByteSize.parse(tier.getString("max-memory")),
                        tier.hasPath("min-gpus") ? tier.getInt("min-gpus") : 0,
                        tier.hasPath("max-gpus") ? tier.getInt("max-gpus") : 0,
                        custom));
            } catch (ConfigException | IllegalArgumentException e) {
                throw new ConfigException.BadValue(where, e.getMessage());
            }
        }
        return tiers;
    }
}
