package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeadlineAlarmTest {

    private static final long NOW = 1_000_000L;

    private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
    /** The deadline index, as the alarm sees it: the check removes what is due. */
    private final TreeSet<Long> deadlines = new TreeSet<>();

    private final List<Long> checks = new ArrayList<>();
    private DeadlineAlarm alarm;

    @BeforeEach
    void setUp() {
        context.setCurrentSystemTimeMs(NOW);
        alarm = new DeadlineAlarm(
                context,
                Duration.ofMillis(500),
                now -> {
                    checks.add(now);
                    deadlines.headSet(now, false).clear();
                },
                () -> deadlines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(deadlines.first()));
    }

    @Test
    void withNoDeadlinePendingNothingIsScheduled() {
        alarm.start();

        assertThat(context.scheduledPunctuators()).isEmpty();
        assertThat(alarm.armedForMs()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aTaskStartingWithDeadlinesInItsIndexIsArmedForTheEarliest() {
        deadlines.add(NOW + 7_000);
        deadlines.add(NOW + 3_000);

        alarm.start();

        assertThat(context.scheduledPunctuators()).singleElement().satisfies(p -> {
            assertThat(p.getType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
            assertThat(p.getInterval()).isEqualTo(Duration.ofMillis(3_001));
        });
    }

    @Test
    void aLaterDeadlineLeavesTheAlarmAsItIsAndAnEarlierOneReplacesIt() {
        deadlines.add(NOW + 30_000);
        alarm.arm(NOW + 30_000);
        alarm.arm(NOW + 45_000);

        assertThat(context.scheduledPunctuators()).hasSize(1);

        alarm.arm(NOW + 10_000);

        List<CapturedPunctuator> scheduled = context.scheduledPunctuators();
        assertThat(scheduled).hasSize(2);
        assertThat(scheduled.get(0).cancelled()).isTrue();
        assertThat(scheduled.get(1).cancelled()).isFalse();
        assertThat(scheduled.get(1).getInterval()).isEqualTo(Duration.ofMillis(10_001));
        assertThat(alarm.armedForMs()).isEqualTo(NOW + 10_001);
    }

    @Test
    void aDeadlineAlreadyPassedRingsAtOnce() {
        alarm.arm(NOW - 5_000);

        assertThat(context.scheduledPunctuators().getFirst().getInterval()).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void whenItRingsItChecksOnceAndArmsForTheNextDeadlineOnly() {
        deadlines.add(NOW + 1_000);
        deadlines.add(NOW + 20_000);
        alarm.start();

        ring(NOW + 1_001);

        assertThat(checks).containsExactly(NOW + 1_001);
        assertThat(deadlines).containsExactly(NOW + 20_000);
        CapturedPunctuator next = context.scheduledPunctuators().getLast();
        assertThat(context.scheduledPunctuators()).hasSize(2);
        assertThat(context.scheduledPunctuators().getFirst().cancelled()).isTrue();
        assertThat(next.getInterval()).isEqualTo(Duration.ofMillis(20_000 - 1_001 + 1));

        ring(NOW + 20_001);

        assertThat(checks).containsExactly(NOW + 1_001, NOW + 20_001);
        assertThat(deadlines).isEmpty();
        assertThat(next.cancelled()).isTrue();
        assertThat(context.scheduledPunctuators()).hasSize(2);
        assertThat(alarm.armedForMs()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void checksStayTheSpacingApartWhenDeadlinesFallDueTogether() {
        deadlines.add(NOW + 1_000);
        deadlines.add(NOW + 1_100);
        alarm.start();

        ring(NOW + 1_001);
        // The second deadline is 99 ms away, the spacing 500 ms: the next check waits for the spacing.
        assertThat(alarm.armedForMs()).isEqualTo(NOW + 1_001 + 500);

        alarm.arm(NOW + 1_050);
        assertThat(alarm.armedForMs()).isEqualTo(NOW + 1_001 + 500);
        assertThat(context.scheduledPunctuators()).hasSize(2);
    }

    @Test
    void aDeadlineIndexedDuringTheCheckIsArmedFor() {
        alarm = new DeadlineAlarm(
                context,
                Duration.ofMillis(500),
                now -> {
                    deadlines.headSet(now, false).clear();
                    // The check failed a turn and the session's next queued turn started.
                    deadlines.add(now + 30_000);
                },
                () -> deadlines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(deadlines.first()));
        deadlines.add(NOW + 1_000);
        alarm.start();

        ring(NOW + 1_001);

        assertThat(alarm.armedForMs()).isEqualTo(NOW + 1_001 + 30_000 + 1);
    }

    @Test
    void aCheckThatFailsStillLeavesTheAlarmArmedForWhatIsStillDue() {
        alarm = new DeadlineAlarm(
                context,
                Duration.ofMillis(500),
                now -> {
                    throw new IllegalStateException("a session that cannot be read");
                },
                () -> deadlines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(deadlines.first()));
        deadlines.add(NOW + 1_000);
        deadlines.add(NOW + 1_200);
        alarm.start();

        assertThatThrownBy(() -> ring(NOW + 1_300)).isInstanceOf(IllegalStateException.class);

        // Both turns are still due: the next check comes after the spacing.
        assertThat(alarm.armedForMs()).isEqualTo(NOW + 1_300 + 500);
    }

    @Test
    void aClosedAlarmNeitherChecksNorArmsAgain() {
        deadlines.add(NOW + 1_000);
        alarm.start();
        CapturedPunctuator armed = context.scheduledPunctuators().getLast();

        alarm.close();
        assertThat(armed.cancelled()).isTrue();
        // Kafka Streams may still hold and run the schedule of a task it revived.
        armed.getPunctuator().punctuate(NOW + 1_001);
        alarm.arm(NOW + 2_000);

        assertThat(checks).isEmpty();
        assertThat(context.scheduledPunctuators()).hasSize(1);
        assertThat(alarm.armedForMs()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aTurnWithNoDeadlineIsNotArmedFor() {
        alarm.arm(Long.MAX_VALUE);

        assertThat(context.scheduledPunctuators()).isEmpty();
    }

    /** What Kafka Streams does when the last armed punctuation is due. */
    private void ring(long nowMs) {
        context.setCurrentSystemTimeMs(nowMs);
        CapturedPunctuator armed = context.scheduledPunctuators().getLast();
        assertThat(armed.cancelled()).isFalse();
        armed.getPunctuator().punctuate(nowMs);
    }
}
