package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.DoubleTexting;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
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

    @Test
    void turnsOlderThanTheLookbackAreForgottenInWhateverOrderTheyArrived() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        TenantCounts clocked = new TenantCounts(Duration.ofMinutes(3), now::get);
        long minute = Duration.ofMinutes(1).toMillis();
        clocked.admitted("acme", "s1", "new", now.get());
        // Read back from the topic after a newer one: older than the lookback, so never in flight.
        clocked.admitted("acme", "s1", "old", now.get() - 4 * minute);
        assertThat(clocked.inFlight("acme", "s1")).isEqualTo(1);
        assertThat(clocked.oldestInFlight("acme", "s1")).isEqualTo("new");

        // Its id was forgotten with it: met again at a recent time, it counts.
        clocked.admitted("acme", "s1", "old", now.get());
        assertThat(clocked.inFlight("acme", "s1")).isEqualTo(2);

        now.addAndGet(3 * minute + 1);
        assertThat(clocked.turnsInLastMinute("acme")).isZero();
        assertThat(clocked.inFlight("acme", "s1")).isZero();
        assertThat(clocked.activeTurns("acme")).isZero();
    }

    @Test
    void aTurnCountedAgainAfterItsWithdrawalExpiresFromItsNewTimeNotItsFirst() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        TenantCounts clocked = new TenantCounts(Duration.ofMinutes(3), now::get);
        long minute = Duration.ofMinutes(1).toMillis();
        clocked.admitted("acme", "s1", "t1", now.get() - 2 * minute);
        clocked.withdrawn("t1"); // its write failed
        clocked.admitted("acme", "s1", "t1", now.get()); // the retry

        // Past the first admission's lookback, within the second's.
        now.addAndGet(2 * minute);
        clocked.admitted("acme", "s2", "u1", now.get());
        assertThat(clocked.oldestInFlight("acme", "s1")).isEqualTo("t1");
        clocked.admitted("acme", "s1", "t1", now.get()); // read back from the topic: still counted once
        assertThat(clocked.inFlight("acme", "s1")).isEqualTo(1);

        clocked.completed("t1");
        assertThat(clocked.inFlight("acme", "s1")).isZero();
    }
}
