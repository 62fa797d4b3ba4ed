package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.DoubleTexting;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-session knowledge behind {@link SessionAdmission}: turns in flight in order, and sticky policies. */
class TenantCountsTest {

    private final TenantCounts counts = new TenantCounts(Duration.ofMinutes(3));

    @Test
    void theOldestTurnInFlightIsTheActiveOneUntilItCompletes() {
        long now = System.currentTimeMillis();
        counts.admitted("acme", "s1", "t1", now);
        counts.admitted("acme", "s1", "t2", now);
        counts.admitted("acme", "s1", "t1", now); // read back from the topic: counted once
        counts.admitted("acme", "s2", "u1", now);

        assertThat(counts.inFlight("acme", "s1")).isEqualTo(2);
        assertThat(counts.oldestInFlight("acme", "s1")).isEqualTo("t1");

        counts.completed("t1");
        assertThat(counts.oldestInFlight("acme", "s1")).isEqualTo("t2");
        counts.withdrawn("t2");
        assertThat(counts.oldestInFlight("acme", "s1")).isNull();
        assertThat(counts.inFlight("acme", "s1")).isZero();
        assertThat(counts.oldestInFlight("acme", "s2")).isEqualTo("u1");
        assertThat(counts.queuedTurns("acme")).isZero();
    }

    @Test
    void theLastStickyPolicyOfASessionCountsAndOnlyTheMostRecentSessionsAreRemembered() {
        counts.adopted("acme", "s1", DoubleTexting.REJECT);
        counts.adopted("acme", "s1", DoubleTexting.INTERRUPT);
        assertThat(counts.policy("acme", "s1")).isEqualTo(DoubleTexting.INTERRUPT);
        assertThat(counts.policy("acme", "s2")).isNull();

        counts.adopted("acme", "old", DoubleTexting.REJECT);
        for (int i = 0; i < TenantCounts.REMEMBERED_POLICIES; i++) {
            counts.adopted("acme", "n" + i, DoubleTexting.ROLLBACK);
        }
        assertThat(counts.policy("acme", "old")).isNull();
        assertThat(counts.policy("acme", "n0")).isEqualTo(DoubleTexting.ROLLBACK);
    }
}
