package dev.skein.ingress;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/** Where A2A push notification configs are kept: {@link KafkaA2aPushStore} in a node, in memory in tests. */
public interface A2aPushStore {

    /** Completes once the config is stored (and will be seen by every instance). */
    CompletableFuture<Void> put(A2aPushConfig config);

    /** Deletes a config; completes also when there was none. */
    CompletableFuture<Void> delete(String tenant, String taskId, String id);

    /** The configs of one task, by id. */
    List<A2aPushConfig> of(String tenant, String taskId);

    /** Every config this instance knows. */
    List<A2aPushConfig> all();

    /** Configs in this process only: lost on restart. For tests and a node without Kafka. */
    static A2aPushStore inMemory() {
        return new A2aPushStore() {
            private final Map<String, A2aPushConfig> configs = new ConcurrentSkipListMap<>();

            @Override
            public CompletableFuture<Void> put(A2aPushConfig config) {
                configs.put(config.key(), config);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletableFuture<Void> delete(String tenant, String taskId, String id) {
                configs.remove(tenant + "/" + taskId + "/" + id);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public List<A2aPushConfig> of(String tenant, String taskId) {
                return KafkaA2aPushStore.ofTask(configs, tenant, taskId);
            }

            @Override
            public List<A2aPushConfig> all() {
                return List.copyOf(configs.values());
            }
        };
    }
}
