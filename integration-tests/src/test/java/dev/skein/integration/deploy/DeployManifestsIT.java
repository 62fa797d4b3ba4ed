package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every manifest of deploy/ reads into the typed Kubernetes model (fabric8) or, for a custom
 * resource, its CRD's schema, with no unknown kind or field: the raw files of the base, of each
 * component and of the Strimzi example, and what kustomize renders for the base and each overlay
 * (where kustomize or kubectl is installed; skipped with a message elsewhere).
 */
@Tag("deploy")
class DeployManifestsIT {

    static final List<String> RENDERED = List.of("base", "overlays/dev", "overlays/prod", "overlays/prod-hpa");

    @Test
    void everyRawManifestReadsIntoItsTypedModel() {
        List<Path> dirs = List.of(
                DeployFiles.deploy().resolve("base"),
                DeployFiles.deploy().resolve("components/keda"),
                DeployFiles.deploy().resolve("components/gpu"),
                DeployFiles.deploy().resolve("components/hpa"),
                DeployFiles.deploy().resolve("kafka/strimzi"));
        List<String> problems = new ArrayList<>();
        int documents = 0;
        for (Path dir : dirs) {
            for (Path file : DeployFiles.resources(dir)) {
                for (Map<String, Object> document : DeployFiles.documents(file)) {
                    documents++;
                    ManifestModel.problems(document).forEach(p -> problems.add(file.getFileName() + ": " + p));
                }
            }
        }
        assertThat(problems).isEmpty();
        // base 15 (a headless and a ClusterIP Service, four PDBs ...), 3 + 1 + 4 ScaledObjects and
        // HPAs with their rules, Strimzi: a pool, a Kafka, 16 topics, 3 users.
        assertThat(documents).isGreaterThanOrEqualTo(35);
    }

    @Test
    void everyRenderedOverlayReadsIntoItsTypedModel() throws Exception {
        var renderer = DeployFiles.renderer();
        Assumptions.assumeTrue(
                renderer.isPresent(),
                "neither kustomize nor kubectl is on the PATH: the overlays are not rendered here (the raw"
                        + " manifests are still checked by everyRawManifestReadsIntoItsTypedModel)");
        Map<String, List<String>> kindsByOverlay = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (String overlay : RENDERED) {
            String rendered =
                    DeployFiles.render(renderer.get(), DeployFiles.deploy().resolve(overlay));
            List<String> kinds = new ArrayList<>();
            for (Map<String, Object> document : DeployFiles.documents(rendered)) {
                kinds.add(String.valueOf(document.get("kind")));
                ManifestModel.problems(document).forEach(p -> problems.add(overlay + ": " + p));
            }
            kindsByOverlay.put(overlay, kinds);
        }
        assertThat(problems).isEmpty();
        assertThat(kindsByOverlay.get("base"))
                .contains("StatefulSet", "Deployment", "ConfigMap", "Secret", "Service", "Ingress")
                .contains("PodDisruptionBudget")
                .doesNotContain("ScaledObject", "HorizontalPodAutoscaler");
        assertThat(kindsByOverlay.get("overlays/prod"))
                .contains("ScaledObject")
                .doesNotContain("HorizontalPodAutoscaler")
                .as("production brings its own Secret, never the placeholder")
                .doesNotContain("Secret");
        assertThat(kindsByOverlay.get("overlays/dev")).contains("Secret");
        assertThat(kindsByOverlay.get("overlays/prod-hpa"))
                .contains("HorizontalPodAutoscaler")
                .doesNotContain("ScaledObject");
    }

    @Test
    void theCheckRejectsUnknownKindsFieldsAndTypes() {
        Map<String, Object> deployment = DeployFiles.documents(
                        DeployFiles.deploy().resolve("base/agents.yaml"))
                .getFirst();
        assertThat(ManifestModel.problems(deployment)).isEmpty();

        assertThat(ManifestModel.problems(DeployFiles.documents(
                                DeployFiles.read(DeployFiles.deploy().resolve("base/agents.yaml"))
                                        .replace("  replicas: 2", "  replicaz: 2"))
                        .getFirst()))
                .singleElement()
                .asString()
                .contains("unknown field(s) [replicaz]");
        assertThat(ManifestModel.problems(DeployFiles.documents(
                                DeployFiles.read(DeployFiles.deploy().resolve("base/agents.yaml"))
                                        .replace("periodSeconds: 5", "periodSecond: 5"))
                        .getFirst()))
                .anySatisfy(p -> assertThat(p).contains("readinessProbe: unknown field(s) [periodSecond]"));
        assertThat(ManifestModel.problems(DeployFiles.documents(
                                DeployFiles.read(DeployFiles.deploy().resolve("base/agents.yaml"))
                                        .replace("  replicas: 2", "  replicas: two"))
                        .getFirst()))
                .singleElement()
                .asString()
                .contains("does not read as Deployment");
        assertThat(ManifestModel.problems(Map.of("apiVersion", "apps/v1", "kind", "Deploymnt", "metadata", Map.of())))
                .singleElement()
                .asString()
                .contains("not a kind of the Kubernetes API");

        String scaledObjects = DeployFiles.read(DeployFiles.deploy().resolve("components/keda/scaledobjects.yaml"));
        assertThat(ManifestModel.problems(DeployFiles.documents(scaledObjects).getFirst()))
                .isEmpty();
        assertThat(ManifestModel.problems(
                        DeployFiles.documents(scaledObjects.replaceFirst("minReplicaCount", "minReplicas"))
                                .getFirst()))
                .isNotEmpty();
        String kafka = DeployFiles.read(DeployFiles.deploy().resolve("kafka/strimzi/kafka.yaml"));
        assertThat(ManifestModel.problems(DeployFiles.documents(kafka.replace("    listeners:", "    listener:"))
                        .get(1)))
                .isNotEmpty();
    }
}
