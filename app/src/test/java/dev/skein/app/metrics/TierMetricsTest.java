package dev.skein.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ResourceSpec;
import dev.skein.events.WorkerHeartbeat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.junit.jupiter.api.Test;

/** The queue depth of one partition from what the broker reports (seen on a 4.4 broker in TierMetricsIT). */
class TierMetricsTest {

    @Test
    void theGroupsLagWinsOverItsStartOffset() {
        // All accepted, but the persisted start offset has not moved yet: only the lag knows.
        assertThat(ShareBacklog.depth(4, 0, new SharePartitionOffsetInfo(0, Optional.of(0), Optional.of(0L))))
                .isZero();
        // Two of four accepted.
        assertThat(ShareBacklog.depth(4, 0, new SharePartitionOffsetInfo(0, Optional.of(0), Optional.of(2L))))
                .isEqualTo(2);
    }

    @Test
    void withoutALagEverythingFromTheStartOffsetCounts() {
        assertThat(ShareBacklog.depth(10, 0, new SharePartitionOffsetInfo(7, Optional.empty(), Optional.empty())))
                .isEqualTo(3);
        assertThat(ShareBacklog.depth(10, 0, new SharePartitionOffsetInfo(12, Optional.empty(), Optional.empty())))
                .isZero();
    }

    @Test
    void aPartitionTheGroupHasNotStartedCountsFromItsEarliestRecord() {
        assertThat(ShareBacklog.depth(4, 0, null)).isEqualTo(4);
        assertThat(ShareBacklog.depth(10, 6, null))
                .as("records before the log start are gone")
                .isEqualTo(4);
        assertThat(ShareBacklog.depth(10, 6, new SharePartitionOffsetInfo(-1, Optional.empty(), Optional.empty())))
                .isEqualTo(4);
        assertThat(ShareBacklog.depth(10, 6, new SharePartitionOffsetInfo(2, Optional.empty(), Optional.empty())))
                .isEqualTo(4);
    }

    @Test
    void aWorkerServingSeveralTiersCountsEachCallForTheTierItCameFrom() {
        WorkerHeartbeat worker = heartbeat(List.of("small", "large", "highmem"), 28)
                .setAdmittedByTier(Map.of("small", 28L, "large", 0L, "highmem", 0L))
                .build();

        assertThat(TierMetrics.ofTier(worker, "small", worker.getAdmittedByTier(), worker.getAdmitted()))
                .isEqualTo(28);
        assertThat(TierMetrics.ofTier(worker, "large", worker.getAdmittedByTier(), worker.getAdmitted()))
                .isZero();
        assertThat(TierMetrics.ofTier(worker, "highmem", worker.getAdmittedByTier(), worker.getAdmitted()))
                .isZero();
    }

    @Test
    void anOlderWorkersTotalsCountOnlyForItsOneTier() {
        WorkerHeartbeat single = heartbeat(List.of("small"), 5).build();
        WorkerHeartbeat several = heartbeat(List.of("small", "large"), 5).build();

        assertThat(TierMetrics.ofTier(single, "small", single.getAdmittedByTier(), single.getAdmitted()))
                .isEqualTo(5);
        assertThat(TierMetrics.ofTier(several, "large", several.getAdmittedByTier(), several.getAdmitted()))
                .isZero();
    }

    private static WorkerHeartbeat.Builder heartbeat(List<String> tiers, long admitted) {
        ResourceSpec capabilities = ResourceSpec.newBuilder()
                .setCpus(2)
                .setGpus(0)
                .setMemoryBytes(1L << 30)
                .setCustom(Map.of())
                .build();
        return WorkerHeartbeat.newBuilder()
                .setWorkerId("w1")
                .setHost("h")
                .setTiers(tiers)
                .setCapabilities(capabilities)
                .setTools(List.of("calculator"))
                .setAdmitted(admitted)
                .setStartedAtMs(0)
                .setTimestampMs(0);
    }
}
