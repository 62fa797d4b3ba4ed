package dev.skein.bench;

import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.schemas.SkeinTopics;
import dev.skein.topologies.session.SessionStores;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A whole Skein node in this JVM (session topology, agent runner, tool worker, ingress on a free
 * port) with the demo agent, on topics of its own: a unique prefix per run, so runs on one
 * cluster never see each other's records. Every other setting is Skein's default.
 */
final class BenchNode implements AutoCloseable {

    private final SkeinNode node;
    private final SkeinConfig config;

    private BenchNode(SkeinNode node, SkeinConfig config) {
        this.node = node;
        this.config = config;
    }

    static BenchNode start(String bootstrapServers, String prefix, Path dataDir) throws Exception {
        return start(bootstrapServers, prefix, dataDir, Map.of());
    }

    /** As above, with {@code settings} added to (or replacing) the node's configuration keys. */
    static BenchNode start(String bootstrapServers, String prefix, Path dataDir, Map<String, Object> settings)
            throws Exception {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("skein.kafka.bootstrap-servers", bootstrapServers);
        flags.put("skein.topics.prefix", prefix);
        flags.put("skein.data-dir", dataDir.toString());
        flags.put("skein.http.port", 0);
        flags.put("skein.session.default-agent", "demo");
        flags.putAll(settings);
        SkeinConfig config = SkeinConfig.load(Optional.empty(), flags);
        return new BenchNode(SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false), config);
    }

    SkeinTopics topics() {
        return node.topics();
    }

    int httpPort() {
        return node.httpPort().orElseThrow();
    }

    SkeinConfig config() {
        return config;
    }

    /** The changelog topic of the session-messages store. */
    String messagesChangelog() {
        String applicationId = config.streamsApplicationId().orElseGet(() -> topics().groupId("sessions"));
        return SessionStores.changelogTopic(applicationId, SessionStores.MESSAGES);
    }

    @Override
    public void close() {
        node.close();
    }
}
