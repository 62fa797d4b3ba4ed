package dev.skein.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.junit.jupiter.api.Test;

/** The queue depth of one partition from what the broker reports (seen on a 4.4 broker in TierMetricsIT). */
class TierMetricsTest {

    @Test
    void theGroupsLagWinsOverItsStartOffset() {
        // All accepted, but the persisted start offset has not moved yet: only the lag knows.
        assertThat(TierMetrics.depth(4, 0, new SharePartitionOffsetInfo(0, Optional.of(0), Optional.of(0L))))
                .isZero();
        // Two of four accepted.
        assertThat(TierMetrics.depth(4, 0, new SharePartitionOffsetInfo(0, Optional.of(0), Optional.of(2L))))
                .isEqualTo(2);
    }

    @Test
    void withoutALagEverythingFromTheStartOffsetCounts() {
        assertThat(TierMetrics.depth(10, 0, new SharePartitionOffsetInfo(7, Optional.empty(), Optional.empty())))
                .isEqualTo(3);
        assertThat(TierMetrics.depth(10, 0, new SharePartitionOffsetInfo(12, Optional.empty(), Optional.empty())))
                .isZero();
    }

    @Test
    void aPartitionTheGroupHasNotStartedCountsFromItsEarliestRecord() {
        assertThat(TierMetrics.depth(4, 0, null)).isEqualTo(4);
        assertThat(TierMetrics.depth(10, 6, null))
                .as("records before the log start are gone")
                .isEqualTo(4);
        assertThat(TierMetrics.depth(10, 6, new SharePartitionOffsetInfo(-1, Optional.empty(), Optional.empty())))
                .isEqualTo(4);
        assertThat(TierMetrics.depth(10, 6, new SharePartitionOffsetInfo(2, Optional.empty(), Optional.empty())))
                .isEqualTo(4);
    }
}
