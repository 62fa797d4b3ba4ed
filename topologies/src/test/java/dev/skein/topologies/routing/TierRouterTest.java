package dev.skein.topologies.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ResourceSpec;
import dev.skein.events.WorkerHeartbeat;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TierRouterTest {

    private static final long GIB = 1L << 30;
    private static final long NOW = 1_000_000;

    private final TierRouter router = new TierRouter(
            List.of(
                    TierEnvelope.cpu("small", 1, GIB),
                    TierEnvelope.cpu("large", 8, 32 * GIB),
                    new TierEnvelope("gpu", 32, 512 * GIB, 1, 8, Map.of())),
            Duration.ofSeconds(15));

    @Test
    void sendsACallToTheSmallestTierWithAWorkerThatCoversIt() {
        List<WorkerHeartbeat> workers =
                List.of(worker("big", List.of("large"), 8, 32, 0), worker("tiny", List.of("small"), 1, 1, 0));

        assertThat(router.route("calc", needs(0.5, GIB / 2, 0), workers, NOW))
                .isEqualTo(new TierRouter.Route.Tier("small"));
        assertThat(router.route("calc", needs(2, GIB, 0), workers, NOW)).isEqualTo(new TierRouter.Route.Tier("large"));
    }

    @Test
    void goesUpATierWhenTheSmallerTiersWorkersAreTooSmall() {
        List<WorkerHeartbeat> workers =
                List.of(worker("half", List.of("small"), 0.5, 1, 0), worker("big", List.of("large"), 8, 32, 0));

        assertThat(router.route("calc", needs(1, GIB, 0), workers, NOW)).isEqualTo(new TierRouter.Route.Tier("large"));
    }

    @Test
    void fractionalNeedsFitAWorkerOfExactlyThatSize() {
        ResourceSpec needs = needs(0.1 + 0.2, GIB, 0);

        assertThat(router.route("calc", needs, List.of(worker("w", List.of("small"), 0.3, 1, 0)), NOW))
                .isEqualTo(new TierRouter.Route.Tier("small"));
        TierRouter exactTier = new TierRouter(List.of(TierEnvelope.cpu("tenth", 0.3, GIB)), Duration.ofSeconds(15));
        assertThat(exactTier.route("calc", needs, List.of(worker("w", List.of("tenth"), 0.3, 1, 0)), NOW))
                .isEqualTo(new TierRouter.Route.Tier("tenth"));
    }

    @Test
    void aCallNoTierFitsIsRefusedWithTheTiers() {
        TierRouter.Route route = router.route("huge", needs(1, 1024 * GIB, 0), List.of(), NOW);

        assertThat(route).isInstanceOf(TierRouter.Route.Refused.class);
        assertThat(((TierRouter.Route.Refused) route).reason())
                .isEqualTo("no tier can run huge, which needs cpus=1, memory=1024 GiB; tiers: small (cpus<=1,"
                        + " memory<=1 GiB), large (cpus<=8, memory<=32 GiB), gpu (cpus<=32, memory<=512 GiB, gpus"
                        + " 1..8)");
    }

    @Test
    void aCallWithoutALiveWorkerSaysWhichWorkerToStart() {
        List<WorkerHeartbeat> workers = List.of(
                heartbeat("old", List.of("gpu"), 8, 32, 1)
                        .setTimestampMs(NOW - 20_000)
                        .build(),
                heartbeat("leaving", List.of("gpu"), 8, 32, 1).setStopping(true).build(),
                heartbeat("no-tool", List.of("gpu"), 8, 32, 1)
                        .setTools(List.of("other"))
                        .build());

        assertThat(reason(router.route("vision", needs(1, 8 * GIB, 1), workers, NOW)))
                .isEqualTo("no live worker with tool vision serves tier gpu, where vision (needs cpus=1, gpus=1,"
                        + " memory=8 GiB) would run; start one with `skein worker --tier gpu`");
    }

    @Test
    void aCallTooLargeForEveryLiveWorkerNamesWhatTheyAllLack() {
        List<WorkerHeartbeat> workers =
                List.of(worker("a", List.of("small", "large"), 2, 4, 0), worker("b", List.of("large"), 4, 8, 0));

        assertThat(reason(router.route("embed", needs(2, 16 * GIB, 0), workers, NOW)))
                .isEqualTo("no live worker offers memory=16 GiB (needed by embed in tier large)");
    }

    @Test
    void needsNoSingleWorkerHasTogetherAreNamedTogether() {
        List<WorkerHeartbeat> workers =
                List.of(worker("cores", List.of("large"), 8, 4, 0), worker("memory", List.of("large"), 2, 32, 0));

        assertThat(reason(router.route("embed", needs(4, 16 * GIB, 0), workers, NOW)))
                .isEqualTo("no live worker offers cpus=4 and memory=16 GiB together (needed by embed in tier large)");
    }

    @Test
    void aGpuTierTakesOnlyGpuWork() {
        List<WorkerHeartbeat> workers = List.of(worker("gpu", List.of("gpu"), 32, 512, 8));

        assertThat(router.route("train", needs(16, 64 * GIB, 1), workers, NOW))
                .isEqualTo(new TierRouter.Route.Tier("gpu"));
        assertThat(router.route("calc", needs(16, 64 * GIB, 0), workers, NOW))
                .isInstanceOf(TierRouter.Route.Refused.class);
    }

    @Test
    void customResourcesMustBeWithinTheTierAndOffered() {
        TierRouter licensed = new TierRouter(
                List.of(new TierEnvelope("licensed", 4, 8 * GIB, 0, 0, Map.of("license", 2.0))),
                Duration.ofSeconds(15));
        ResourceSpec oneLicense = ResourceSpec.newBuilder(needs(1, GIB, 0))
                .setCustom(Map.of("license", 1.0))
                .build();
        WorkerHeartbeat withLicense = heartbeat("w", List.of("licensed"), 4, 8, 0)
                .setCapabilities(ResourceSpec.newBuilder(capabilities(4, 8, 0))
                        .setCustom(Map.of("license", 1.0))
                        .build())
                .build();

        assertThat(licensed.route("cad", oneLicense, List.of(withLicense), NOW))
                .isEqualTo(new TierRouter.Route.Tier("licensed"));
        assertThat(reason(licensed.route("cad", oneLicense, List.of(worker("w", List.of("licensed"), 4, 8, 0)), NOW)))
                .isEqualTo("no live worker offers license=1 (needed by cad in tier licensed)");
        assertThat(router.route("cad", oneLicense, List.of(withLicense), NOW))
                .isInstanceOf(TierRouter.Route.Refused.class);
    }

    @Test
    void needsNoWorkerCanOfferAreRefusedNotThrown() {
        ResourceSpec negative = needs(-1, GIB, 0);

        assertThat(reason(router.route("odd", negative, List.of(worker("w", List.of("small"), 1, 1, 0)), NOW)))
                .startsWith("tool odd declares resources no worker can offer: cpus must be");
    }

    @Test
    void needsAtLeastOneTier() {
        assertThatThrownBy(() -> new TierRouter(List.of(), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("at least one tier must be configured");
    }

    @Test
    void anEnvelopeFitsUpToItsMaximumAndFromItsMinimumGpus() {
        TierEnvelope gpu = new TierEnvelope("gpu", 32, 512 * GIB, 1, 8, Map.of());

        assertThat(gpu.fits(needs(32, 512 * GIB, 8))).isTrue();
        assertThat(gpu.fits(needs(32, 512 * GIB + 1, 8))).isFalse();
        assertThat(gpu.fits(needs(1, GIB, 0))).isFalse();
        assertThat(gpu.fits(needs(1, GIB, 9))).isFalse();
        assertThat(gpu.describe()).isEqualTo("gpu (cpus<=32, memory<=512 GiB, gpus 1..8)");
    }

    private static String reason(TierRouter.Route route) {
        assertThat(route).isInstanceOf(TierRouter.Route.Refused.class);
        return ((TierRouter.Route.Refused) route).reason();
    }

    private static ResourceSpec needs(double cpus, long memoryBytes, int gpus) {
        return ResourceSpec.newBuilder()
                .setCpus(cpus)
                .setGpus(gpus)
                .setMemoryBytes(memoryBytes)
                .build();
    }

    private static ResourceSpec capabilities(double cpus, long memoryGib, int gpus) {
        return needs(cpus, memoryGib * GIB, gpus);
    }

    private static WorkerHeartbeat worker(String id, List<String> tiers, double cpus, long memoryGib, int gpus) {
        return heartbeat(id, tiers, cpus, memoryGib, gpus).build();
    }

    private static WorkerHeartbeat.Builder heartbeat(
            String id, List<String> tiers, double cpus, long memoryGib, int gpus) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("host")
                .setTiers(tiers)
                .setCapabilities(capabilities(cpus, memoryGib, gpus))
                .setTools(List.of("calc", "embed", "vision", "train", "cad", "huge", "odd"))
                .setStartedAtMs(NOW - 60_000)
                .setTimestampMs(NOW);
    }
}
