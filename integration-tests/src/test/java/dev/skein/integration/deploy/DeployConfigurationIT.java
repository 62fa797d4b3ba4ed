package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import dev.skein.app.config.SkeinConfig;
import dev.skein.ingress.ProbeServer;
import dev.skein.schemas.resources.ByteSize;
import dev.skein.topologies.routing.TierEnvelope;
import dev.skein.workers.WorkerOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the manifests set agrees with Skein: every key of the ConfigMap's file and every
 * environment variable exists in reference.conf, each tier's pods request exactly its envelope,
 * probes name the endpoints Skein serves on the ports it serves them on, pods outlast the drain,
 * and each core advertises the name its headless Service gives it. Checked on every rendered
 * overlay where kustomize or kubectl is installed, else on the base's raw files.
 */
@Tag("deploy")
class DeployConfigurationIT {

    /** Variables Skein (or its adapters) reads besides SKEIN_*: reference.conf names each. */
    static final Set<String> OTHER_VARIABLES = Set.of("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL");

    static final Path CONFIG_FILE = DeployFiles.deploy().resolve("base/skein.conf");

    @Test
    void everyKeyOfTheConfigMapsFileExistsInReferenceConf() {
        Config reference = ConfigFactory.parseResources("reference.conf");
        Config file = ConfigFactory.parseFile(CONFIG_FILE.toFile());
        assertThat(file.entrySet()).isNotEmpty();
        List<String> unknown = file.entrySet().stream()
                .map(Map.Entry::getKey)
                .filter(key -> !reference.hasPathOrNull(key) && !underAnOpenObject(reference, key))
                .toList();
        assertThat(unknown)
                .as("keys of %s that reference.conf does not have", CONFIG_FILE)
                .isEmpty();
        // And it loads: SkeinConfig validates every value at start.
        assertThat(SkeinConfig.load(Optional.of(CONFIG_FILE), Map.of(), Map.of())
                        .replicationFactor())
                .isEqualTo((short) 3);
    }

    @Test
    void everyEnvironmentVariableOfTheManifestsAndComposeNamesAKey() {
        Set<String> known = environmentVariablesOfReferenceConf();
        assertThat(known).contains("SKEIN_HTTP_PROBE_PORT", "SKEIN_CLUSTER_ADVERTISED_HOST", "SKEIN_WORKER_TIERS");
        String referenceText = DeployFiles.read(DeployFiles.root().resolve("app/src/main/resources/reference.conf"));
        OTHER_VARIABLES.forEach(v ->
                assertThat(referenceText).as("reference.conf mentions %s", v).contains(v));

        Map<String, Set<String>> setBy = new LinkedHashMap<>();
        Manifests.each((overlay, manifests) -> {
            for (PodSpec pod : manifests.pods().values()) {
                for (Container container : pod.getContainers()) {
                    for (EnvVar env : container.getEnv()) {
                        boolean fromPod =
                                env.getValueFrom() != null && env.getValueFrom().getFieldRef() != null;
                        // POD_NAME and the like only feed other variables ($(POD_NAME)).
                        if (!fromPod) {
                            setBy.computeIfAbsent(env.getName(), n -> new HashSet<>())
                                    .add(overlay + " " + container.getName());
                        }
                    }
                }
            }
            for (Secret secret : manifests.all(Secret.class)) {
                secret.getStringData()
                        .keySet()
                        .forEach(k -> setBy.computeIfAbsent(k, n -> new HashSet<>())
                                .add(overlay + " secret " + secret.getMetadata().getName()));
            }
        });
        ComposeFile.skeinServices()
                .forEach((service, definition) -> ComposeFile.environment(definition)
                        .keySet()
                        .forEach(k ->
                                setBy.computeIfAbsent(k, n -> new HashSet<>()).add("compose " + service)));

        assertThat(setBy).containsKeys("SKEIN_KAFKA_BOOTSTRAP_SERVERS", "SKEIN_CLUSTER_SECRET", "SKEIN_WORKER_CPUS");
        Map<String, Set<String>> unknown = new LinkedHashMap<>(setBy);
        unknown.keySet().removeIf(name -> known.contains(name) || OTHER_VARIABLES.contains(name));
        assertThat(unknown)
                .as("variables that name no key of reference.conf (and where they are set)")
                .isEmpty();
    }

    @Test
    void eachTiersWorkersRequestAndOfferExactlyItsEnvelope() {
        Manifests.each((overlay, manifests) -> {
            SkeinConfig config = SkeinConfig.load(Optional.of(CONFIG_FILE), Map.of(), Map.of());
            Map<String, Deployment> byTier = new LinkedHashMap<>();
            for (Deployment deployment : manifests.all(Deployment.class)) {
                String tier = deployment.getMetadata().getLabels().get("skein.dev/tier");
                if (tier != null) {
                    byTier.put(tier, deployment);
                }
            }
            assertThat(byTier.keySet())
                    .as("%s: a worker Deployment for each tier", overlay)
                    .containsExactlyInAnyOrderElementsOf(
                            config.tiers().stream().map(TierEnvelope::name).toList());
            for (TierEnvelope tier : config.tiers()) {
                Container worker = byTier.get(tier.name())
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .getFirst();
                Map<String, Quantity> requests = worker.getResources().getRequests();
                String what = overlay + " tier " + tier.name();
                assertThat(Quantity.getAmountInBytes(requests.get("cpu")).doubleValue())
                        .as("%s cpu", what)
                        .isEqualTo(tier.maxCpus());
                assertThat(Quantity.getAmountInBytes(requests.get("memory")).longValue())
                        .as("%s memory", what)
                        .isEqualTo(tier.maxMemoryBytes());
                Quantity gpus = requests.get("nvidia.com/gpu");
                assertThat(gpus == null ? 0 : Quantity.getAmountInBytes(gpus).intValue())
                        .as("%s GPUs", what)
                        .isEqualTo(tier.maxGpus());
                assertThat(worker.getResources().getLimits())
                        .as("%s limits", what)
                        .isEqualTo(requests.entrySet().stream()
                                .filter(e -> !e.getKey().equals("cpu"))
                                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
                Map<String, String> env = env(worker);
                assertThat(env).as(what).containsEntry("SKEIN_WORKER_TIERS", "[" + tier.name() + "]");
                assertThat(Double.parseDouble(env.get("SKEIN_WORKER_CPUS")))
                        .as(what)
                        .isEqualTo(tier.maxCpus());
                assertThat(ByteSize.parse(env.get("SKEIN_WORKER_MEMORY")))
                        .as(what)
                        .isEqualTo(tier.maxMemoryBytes());
                assertThat(Integer.parseInt(env.get("SKEIN_WORKER_GPUS")))
                        .as(what)
                        .isEqualTo(tier.maxGpus());
                PodSpec pod = byTier.get(tier.name()).getSpec().getTemplate().getSpec();
                if (tier.minGpus() > 0) {
                    assertThat(pod.getNodeSelector())
                            .as("%s runs on GPU nodes", what)
                            .isNotEmpty();
                    assertThat(pod.getTolerations())
                            .anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
                }
            }
        });
        SkeinConfig config = SkeinConfig.load(Optional.of(CONFIG_FILE), Map.of(), Map.of());
        ComposeFile.skeinServices().forEach((service, definition) -> {
            Optional<String> tier = ComposeFile.tierOf(definition);
            if (tier.isEmpty()) {
                return;
            }
            TierEnvelope envelope = config.tiers().stream()
                    .filter(t -> t.name().equals(tier.get()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(service + " serves tier " + tier.get() + ", not configured"));
            Map<String, String> env = ComposeFile.environment(definition);
            assertThat(Double.parseDouble(env.get("SKEIN_WORKER_CPUS")))
                    .as(service)
                    .isEqualTo(envelope.maxCpus());
            assertThat(ByteSize.parse(env.get("SKEIN_WORKER_MEMORY")))
                    .as(service)
                    .isEqualTo(envelope.maxMemoryBytes());
            Map<String, Object> limits = ComposeFile.limits(definition);
            assertThat(Double.parseDouble(String.valueOf(limits.get("cpus"))))
                    .as(service)
                    .isEqualTo(envelope.maxCpus());
            assertThat(ByteSize.parse(limits.get("memory") + "iB")).as(service).isEqualTo(envelope.maxMemoryBytes());
        });
    }

    @Test
    void probesNameTheEndpointsSkeinServesOnThePortsItServesThemOn() {
        SkeinConfig config = SkeinConfig.load(Optional.of(CONFIG_FILE), Map.of(), Map.of());
        int apiPort = config.httpPort();
        int probePort = config.probePort().orElseThrow();
        Manifests.each((overlay, manifests) -> manifests.pods().forEach((owner, pod) -> {
            Container container = pod.getContainers().getFirst();
            boolean core = container.getArgs().getFirst().equals("core");
            int expected = core ? apiPort : probePort;
            List<Probe> probes = new ArrayList<>();
            probes.add(container.getReadinessProbe());
            probes.add(container.getLivenessProbe());
            if (container.getStartupProbe() != null) {
                probes.add(container.getStartupProbe());
            }
            for (Probe probe : probes) {
                assertThat(probe)
                        .as("%s %s has readiness and liveness probes", overlay, owner)
                        .isNotNull();
                assertThat(probe.getHttpGet().getPath()).as(owner).isEqualTo(ProbeServer.HEALTH_PATH);
                String port = probe.getHttpGet().getPort().getStrVal();
                assertThat(container.getPorts())
                        .as("%s %s: the probe's port %s is the container's %d", overlay, owner, port, expected)
                        .anySatisfy(p -> {
                            assertThat(p.getName()).isEqualTo(port);
                            assertThat(p.getContainerPort()).isEqualTo(expected);
                        });
            }
            assertThat(pod.getTerminationGracePeriodSeconds())
                    .as("%s %s outlasts the worker's drain and an agent step", overlay, owner)
                    .isGreaterThan(Math.max(
                            WorkerOptions.DEFAULT_DRAIN_TIMEOUT.toSeconds(),
                            config.agentTimeout().toSeconds()));
            assertThat(container.getArgs()).as(owner).containsSequence("--config", "/etc/skein/skein.conf");
        }));
        ComposeFile.skeinServices().forEach((service, definition) -> {
            String command = ComposeFile.command(definition).getFirst();
            int expected = command.equals("core") ? apiPort : probePort;
            assertThat(ComposeFile.healthcheck(definition))
                    .as(service)
                    .contains("http://localhost:" + expected + ProbeServer.HEALTH_PATH);
        });
    }

    @Test
    void eachCoreAdvertisesTheNameItsHeadlessServiceGivesIt() {
        Manifests.each((overlay, manifests) -> {
            StatefulSet core = manifests.all(StatefulSet.class).getFirst();
            Service headless = manifests.all(Service.class).stream()
                    .filter(s -> s.getMetadata().getName().equals(core.getSpec().getServiceName()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(
                            overlay + ": no Service " + core.getSpec().getServiceName()));
            assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
            assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
            assertThat(headless.getSpec().getSelector())
                    .isEqualTo(core.getSpec().getTemplate().getMetadata().getLabels().entrySet().stream()
                            .filter(e -> headless.getSpec().getSelector().containsKey(e.getKey()))
                            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
            Map<String, String> env =
                    env(core.getSpec().getTemplate().getSpec().getContainers().getFirst());
            assertThat(env.get("SKEIN_CLUSTER_ADVERTISED_HOST"))
                    .isEqualTo(
                            "$(POD_NAME)." + headless.getMetadata().getName() + ".$(POD_NAMESPACE).svc.cluster.local");
            assertThat(core.getSpec().getVolumeClaimTemplates())
                    .singleElement()
                    .satisfies(
                            claim -> assertThat(claim.getMetadata().getName()).isEqualTo("data"));
        });
    }

    private static Map<String, String> env(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        container.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }

    private static boolean underAnOpenObject(Config reference, String key) {
        // skein.streams.properties {} and the like take any key.
        for (String path = parent(key); path != null; path = parent(path)) {
            if (reference.hasPath(path)
                    && reference.getValue(path) instanceof ConfigObject object
                    && object.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private static String parent(String key) {
        int dot = key.lastIndexOf('.');
        return dot < 0 ? null : key.substring(0, dot);
    }

    /** The variable of every key and of every object (an object can be set whole). */
    static Set<String> environmentVariablesOfReferenceConf() {
        Set<String> names = new HashSet<>();
        collect("skein", ConfigFactory.parseResources("reference.conf").getObject("skein"), names);
        return names;
    }

    private static void collect(String path, ConfigObject object, Set<String> names) {
        names.add(SkeinConfig.environmentVariableOf(path));
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String key = path + "." + entry.getKey();
            if (entry.getValue() instanceof ConfigObject child) {
                collect(key, child, names);
            } else {
                names.add(SkeinConfig.environmentVariableOf(key));
            }
        }
    }
}
