package dev.skein.workers.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.resources.Resources;
import dev.skein.topologies.routing.TierEnvelope;
import dev.skein.topologies.routing.TierRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The session topology's router and the workers' admission must agree: a call the router sends to
 * a tier is one a worker of that tier admits, and a call a tier's worker would admit is not
 * refused. Checked over needs, tier envelopes and worker capabilities drawn with a fixed seed,
 * with fractional cpus (sums such as 0.1 + 0.2) and capacities exactly at the needs.
 */
class RoutingAdmissionAgreementTest {

    private static final long MIB = 1L << 20;
    private static final long NOW = 1_000_000;
    private static final String TOOL = "work";
    private static final double[] CPUS = {0.01, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 4, 8};
    private static final long[] MEMORY = {MIB, 64 * MIB, 100 * MIB, 512 * MIB, 1024 * MIB, 3 * 1024 * MIB};

    private final Random random = new Random(20261201L);

    @Test
    void aRoutedCallIsAdmittedByAWorkerOfItsTierAndAnAdmittableOneIsRouted() {
        int routed = 0;
        int atTheEdge = 0;
        for (int i = 0; i < 20_000; i++) {
            Resources needs = draw();
            List<TierEnvelope> tiers = List.of(envelope("a", needs), envelope("b", needs));
            List<Resources> offered = new ArrayList<>();
            List<WorkerHeartbeat> workers = new ArrayList<>();
            int count = 1 + random.nextInt(3);
            for (int w = 0; w < count; w++) {
                Resources capacity = near(needs);
                offered.add(capacity);
                workers.add(heartbeat(
                        "w" + w, tiers.get(random.nextInt(tiers.size())).name(), capacity));
            }
            atTheEdge += offered.contains(needs) ? 1 : 0;
            TierRouter router = new TierRouter(tiers, Duration.ofSeconds(15));

            TierRouter.Route route = router.route(TOOL, needs.toSpec(), workers, NOW);

            String context = "needs " + needs + ", tiers " + tiers + ", workers " + offered;
            if (route instanceof TierRouter.Route.Tier tier) {
                routed++;
                assertThat(anyAdmits(tier.name(), needs, workers))
                        .as("routed to %s but no worker of it admits: %s", tier.name(), context)
                        .isTrue();
            } else {
                for (TierEnvelope tier : tiers) {
                    assertThat(tier.fits(needs.toSpec()) && anyAdmits(tier.name(), needs, workers))
                            .as("refused (%s) though a worker of %s admits: %s", route, tier.name(), context)
                            .isFalse();
                }
            }
        }
        // The draw must exercise both outcomes and the exact edge, or it proves nothing.
        assertThat(routed).isBetween(2_000, 18_000);
        assertThat(atTheEdge).isGreaterThan(1_000);
    }

    @Test
    void fractionalSumsAtTheEdgeAreRoutedAndAdmitted() {
        Resources needs =
                Resources.NONE.withCpus(0.1).plus(Resources.NONE.withCpus(0.2)).withMemoryBytes(MIB);
        Resources capacity = Resources.NONE.withCpus(0.3).withMemoryBytes(MIB);
        TierRouter router = new TierRouter(List.of(TierEnvelope.cpu("tenths", 0.3, MIB)), Duration.ofSeconds(15));

        TierRouter.Route route = router.route(TOOL, needs.toSpec(), List.of(heartbeat("w", "tenths", capacity)), NOW);

        assertThat(route).isEqualTo(new TierRouter.Route.Tier("tenths"));
        assertThat(new WorkerAdmission(capacity).tryAcquire(needs)).isNotNull();
    }

    private static boolean anyAdmits(String tier, Resources needs, List<WorkerHeartbeat> workers) {
        return workers.stream()
                .filter(w -> w.getTiers().contains(tier))
                .map(w -> new WorkerAdmission(
                        NodeCapabilities.of(Resources.of(w.getCapabilities())).resources()))
                .anyMatch(admission -> admission.whyNeverFits(needs) == null && admission.tryAcquire(needs) != null);
    }

    /** Needs as tools declare them: a sum of one to three fractional cpu amounts, some memory, maybe a GPU or a licence. */
    private Resources draw() {
        double cpus = 0;
        for (int k = 1 + random.nextInt(3); k > 0; k--) {
            cpus += CPUS[random.nextInt(CPUS.length)];
        }
        Resources needs =
                new Resources(cpus, random.nextInt(4) == 0 ? 1 : 0, MEMORY[random.nextInt(MEMORY.length)], Map.of());
        return random.nextInt(4) == 0 ? needs.with("license", random.nextInt(3) * 0.5) : needs;
    }

    /** A capacity exactly at {@code needs}, or the same sum added in another order, or a step above or below. */
    private Resources near(Resources needs) {
        return switch (random.nextInt(6)) {
            case 0 -> needs;
            case 1 -> needs.withCpus(sumInAnotherOrder(needs.cpus()));
            case 2 -> needs.withCpus(Math.max(0, needs.cpus() - CPUS[random.nextInt(CPUS.length)]));
            case 3 -> needs.withMemoryBytes(needs.memoryBytes() - 1);
            case 4 -> needs.withGpus(0).with("license", 0);
            default -> needs.plus(new Resources(CPUS[random.nextInt(CPUS.length)], 1, MIB, Map.of()));
        };
    }

    /** A tier bound at the needs, a little over, a little under, or far above. */
    private TierEnvelope envelope(String name, Resources needs) {
        double cpus = switch (random.nextInt(4)) {
            case 0 -> needs.cpus();
            case 1 -> sumInAnotherOrder(needs.cpus());
            case 2 -> Math.max(0.01, needs.cpus() - 0.1);
            default -> 64;
        };
        long memory = random.nextBoolean() ? needs.memoryBytes() : 64 * 1024 * MIB;
        int maxGpus = random.nextInt(3);
        return new TierEnvelope(name, cpus, Math.max(1, memory), 0, maxGpus, Map.of("license", 1.0));
    }

    // The same amount computed another way: in binary it may differ in its last bits, as 0.1 + 0.2
    // differs from 0.3.
    private static double sumInAnotherOrder(double cpus) {
        return (cpus + 0.1) - 0.1;
    }

    private static WorkerHeartbeat heartbeat(String id, String tier, Resources capacity) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("host")
                .setTiers(List.of(tier))
                .setCapabilities(NodeCapabilities.of(capacity).toSpec())
                .setTools(List.of(TOOL))
                .setStartedAtMs(NOW - 1000)
                .setTimestampMs(NOW)
                .build();
    }
}
