package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.skein.schemas.kafka.Dispatch;
import java.util.List;

/**
 * Reads when runners and workers may take the topology's requests (docs/dispatch.md): the agents'
 * {@code skein.agents.dispatch}, and each tier's {@code dispatch} in its {@code skein.tiers} entry,
 * else {@code skein.worker.dispatch}.
 */
final class DispatchReader {

    static final String AGENTS = "skein.agents.dispatch";
    static final String WORKER_DEFAULT = "skein.worker.dispatch";

    private DispatchReader() {}

    static Dispatch agents(Config config) {
        Dispatch mode = parse(AGENTS, config.getString(AGENTS));
        if (mode == Dispatch.BY_TOOL) {
            throw new ConfigException.BadValue(
                    AGENTS, "agents dispatch committed or speculative; by-tool is for tiers");
        }
        return mode;
    }

    /** The dispatch of the tier named {@code tier}; the default for a name that is no tier. */
    static Dispatch tier(Config config, String tier) {
        List<? extends Config> entries = config.getConfigList("skein.tiers");
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i);
            if (entry.hasPath("name") && entry.getString("name").equals(tier) && entry.hasPath("dispatch")) {
                return parse("skein.tiers[" + i + "].dispatch", entry.getString("dispatch"));
            }
        }
        return parse(WORKER_DEFAULT, config.getString(WORKER_DEFAULT));
    }

    private static Dispatch parse(String key, String value) {
        try {
            return Dispatch.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(key, e.getMessage());
        }
    }
}
