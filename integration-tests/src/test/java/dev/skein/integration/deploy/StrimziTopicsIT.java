package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.app.config.SkeinConfig;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.topologies.routing.TierEnvelope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Strimzi example declares exactly the topics Skein creates for deploy/base/skein.conf
 * (TopicSetup: every session-keyed topic and tier topic with skein.topics.partitions partitions,
 * the compacted catalogs, the dead letters, the schemas topic), each with the configured
 * replication; and its users hold the ACLs of the roles' principals.
 */
@Tag("deploy")
class StrimziTopicsIT {

    @Test
    void theKafkaTopicsAreTheTopicsSkeinCreates() {
        SkeinConfig config = SkeinConfig.load(Optional.of(DeployConfigurationIT.CONFIG_FILE), Map.of(), Map.of());
        SkeinTopics topics = new SkeinTopics(config.topicPrefix(), new InMemorySchemaRegistry());
        Map<String, Integer> expected = new LinkedHashMap<>();
        topics.sessionKeyed().forEach(t -> expected.put(t.name(), config.partitions()));
        for (TierEnvelope tier : config.tiers()) {
            expected.put(topics.tools(tier.name()).name(), config.partitions());
        }
        for (String single : List.of(
                topics.toolCatalog.name(),
                topics.workers.name(),
                topics.resultCache.name(),
                topics.a2aPushConfigs.name(),
                topics.deadLetters.name(),
                EmbeddedSchemaRegistry.defaultTopic(config.topicPrefix()))) {
            expected.put(single, 1);
        }

        Map<String, Integer> declared = new LinkedHashMap<>();
        for (Map<String, Object> topic :
                DeployFiles.documents(DeployFiles.deploy().resolve("kafka/strimzi/topics.yaml"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) topic.get("spec");
            declared.put((String) spec.get("topicName"), (Integer) spec.get("partitions"));
            assertThat(spec.get("replicas")).as("%s", spec.get("topicName")).isEqualTo((int)
                    config.replicationFactor());
            @SuppressWarnings("unchecked")
            Map<String, Object> topicConfig = (Map<String, Object>) spec.get("config");
            assertThat(topicConfig.get("min.insync.replicas"))
                    .isEqualTo(config.minInsyncReplicas().getAsInt());
        }
        assertThat(declared).isEqualTo(expected);
    }

    @Test
    void everyRoleHasAUserAndTheCoreMayReadTheBacklogsItExports() {
        Map<String, String> acls = new LinkedHashMap<>();
        for (Map<String, Object> user :
                DeployFiles.documents(DeployFiles.deploy().resolve("kafka/strimzi/users.yaml"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> metadata = (Map<String, Object>) user.get("metadata");
            acls.put((String) metadata.get("name"), String.valueOf(user.get("spec")));
        }
        assertThat(acls).containsOnlyKeys("skein-core", "skein-agents", "skein-workers");
        assertThat(acls.get("skein-core"))
                .contains("name=skein-workers-, patternType=prefix}, operations=[Describe]")
                .contains("name=skein-agents, patternType=literal}, operations=[Describe]")
                .contains("name=skein-sessions-, patternType=prefix}, operations=[Write]");
        assertThat(acls.get("skein-agents"))
                .contains("name=skein-agents, patternType=literal}, operations=[Read, AlterConfigs]");
        assertThat(acls.get("skein-workers"))
                .contains("name=skein-workers-, patternType=prefix}, operations=[Read, AlterConfigs]");
    }
}
