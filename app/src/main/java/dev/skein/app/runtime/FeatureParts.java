package dev.skein.app.runtime;

import dev.skein.adapters.MemoryInjection;
import dev.skein.app.config.SkeinConfig;
import dev.skein.ingress.A2aCardSigner;
import dev.skein.ingress.A2aFeatures;
import dev.skein.ingress.A2aPushSettings;
import dev.skein.ingress.KafkaA2aPushStore;
import dev.skein.memory.MemorySettings;
import dev.skein.memory.MemoryStore;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.topologies.context.ContextSettings;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The parts that configuration switches on beside a role's own: A2A's push configs and card
 * signing key, long-term memory, and the memories the agent runner recalls. Each part made is handed to {@code own}, so that the node
 * closes it.
 */
final class FeatureParts {

    private FeatureParts() {}

    /** Push notification configs on their compacted topic, and the card signing key, when A2A is served. */
    static A2aFeatures a2a(
            SkeinConfig config,
            boolean served,
            Map<String, Object> clients,
            SkeinTopics topics,
            EventProducer deadLetters,
            BiConsumer<String, AutoCloseable> own)
            throws Exception {
        A2aPushSettings push = config.a2aPush();
        if (!served) {
            return A2aFeatures.NONE;
        }
        KafkaA2aPushStore store = null;
        if (push.enabled()) {
            EventProducer producer = new EventProducer(clients, "a2a-push-configs");
            own.accept("the A2A push config producer", producer);
            store = new KafkaA2aPushStore(clients, topics, producer, deadLetters);
            // Not waited for: configs made before this start are delivered once read, and a topic this
            // node may not read must not stop the node (its reader logs the problem and retries).
            own.accept("the A2A push config view", store);
        }
        return new A2aFeatures(push, store, A2aCardSigner.fromKeyFile(config.a2aSigningKey()));
    }

    /**
     * What the agent runner adds from long-term memory: nothing when no agent keeps a share of its
     * budget for memories (or memory is off, which makes every share 0), else recall from the node's
     * memory index, which {@code memory} opens (shared with the node's worker and ingress).
     */
    static MemoryInjection memoryInjection(
            SkeinConfig config, Supplier<MemoryStore> memory, BiConsumer<String, AutoCloseable> own) {
        ContextSettings context = config.sessionTopology().context();
        boolean recalls = context.defaults().memoryTokens() > 0
                || context.byAgent().values().stream().anyMatch(budget -> budget.memoryTokens() > 0);
        MemoryStore store = recalls ? memory.get() : null;
        if (store == null) {
            return MemoryInjection.NONE;
        }
        RecalledMemories recalled = new RecalledMemories(store, config.memoryInjectionTimeout());
        own.accept("the memory recall of the agent runner", recalled);
        return recalled;
    }

    /**
     * Long-term memory, or null when skein.memory is off. Not waited for: its index rebuilds from
     * the topic in the background, and the tools and the API answer "not ready" until it has.
     */
    static MemoryStore memory(
            SkeinConfig config,
            Map<String, Object> clients,
            SkeinTopics topics,
            BiConsumer<String, AutoCloseable> own) {
        MemorySettings memory = config.memory();
        if (!memory.enabled()) {
            return null;
        }
        EventProducer writes = new EventProducer(clients, "memory");
        own.accept("the memory producer", writes);
        MemoryStore store = new MemoryStore(clients, topics, writes, memory.newEmbedder(), memory.writeTimeout());
        own.accept("the memory index", store);
        return store;
    }
}
