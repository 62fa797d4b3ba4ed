package dev.skein.integration.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/** The manifests of one overlay, read into their typed models. */
record Manifests(List<Map<String, Object>> documents) {

    /**
     * Each overlay rendered (with the base), where kustomize or kubectl is installed; else the
     * base's raw files, the only set that needs no rendering.
     */
    static void each(BiConsumer<String, Manifests> check) {
        var renderer = DeployFiles.renderer();
        if (renderer.isEmpty()) {
            List<Map<String, Object>> raw = new ArrayList<>();
            for (Path file : DeployFiles.resources(DeployFiles.deploy().resolve("base"))) {
                raw.addAll(DeployFiles.documents(file));
            }
            check.accept("base (raw files: no kustomize here)", new Manifests(raw));
            return;
        }
        for (String overlay : DeployManifestsIT.RENDERED) {
            try {
                String rendered =
                        DeployFiles.render(renderer.get(), DeployFiles.deploy().resolve(overlay));
                check.accept(overlay, new Manifests(DeployFiles.documents(rendered)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        String kind = type.getSimpleName();
        return documents.stream()
                .filter(d -> kind.equals(d.get("kind")))
                .map(d -> ManifestModel.read(d, type))
                .toList();
    }

    /** The pod template of every Deployment and StatefulSet, by "Kind name". */
    Map<String, PodSpec> pods() {
        Map<String, PodSpec> pods = new LinkedHashMap<>();
        all(StatefulSet.class)
                .forEach(s -> pods.put(
                        "StatefulSet " + s.getMetadata().getName(),
                        s.getSpec().getTemplate().getSpec()));
        all(Deployment.class)
                .forEach(d -> pods.put(
                        "Deployment " + d.getMetadata().getName(),
                        d.getSpec().getTemplate().getSpec()));
        return pods;
    }
}
