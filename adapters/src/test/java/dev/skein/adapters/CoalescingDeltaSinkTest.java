package dev.skein.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CoalescingDeltaSinkTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<String> sent = new CopyOnWriteArrayList<>();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    /** A sink whose window never ends on its own: the manual clock decides, the timer never fires in time. */
    private CoalescingDeltaSink manualSink() {
        return new CoalescingDeltaSink(sent::add, Duration.ofHours(1), timer, nanos::get);
    }

    @Test
    void theFirstPieceGoesOutAtOnceAndTheRestOfTheWindowAsOneRecordWhenTheStepEnds() {
        CoalescingDeltaSink sink = manualSink();

        sink.text("The ");
        assertThat(sent).containsExactly("The ");

        sink.text("answer ");
        sink.text("is ");
        sink.text("84.");
        assertThat(sent).containsExactly("The ");

        sink.finish();
        assertThat(sent).containsExactly("The ", "answer is 84.");
    }

    @Test
    void aPieceAfterTheWindowHasPassedGoesOutAtOnce() {
        CoalescingDeltaSink sink = new CoalescingDeltaSink(sent::add, Duration.ofMillis(20), timer, nanos::get);
        sink.text("a");
        nanos.addAndGet(Duration.ofMillis(25).toNanos());

        sink.text("b");

        assertThat(sent).containsExactly("a", "b");
    }

    @Test
    void heldTextIsSentByTheTimerWithoutWaitingForTheNextPiece() throws Exception {
        // The manual clock stands still, so b and c are within the window however slow this machine is.
        DeltaSink sink = new CoalescingDeltaSink(sent::add, Duration.ofMillis(30), timer, nanos::get);
        sink.text("a");
        sink.text("b");
        sink.text("c");

        // Eventually, not within a time: the assertion is that it comes without another piece or finish().
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sent.size() < 2 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertThat(sent).containsExactly("a", "bc");
    }

    @Test
    void heldTextOverTheLimitIsSentAtOnce() {
        CoalescingDeltaSink sink = manualSink();
        sink.text("first");
        String big = "x".repeat(CoalescingDeltaSink.MAX_HELD_CHARS);

        sink.text("y");
        sink.text(big);

        assertThat(sent).containsExactly("first", "y" + big);
    }

    @Test
    void afterFinishEveryPieceIsItsOwnRecordAndEmptyPiecesAreNoRecord() {
        CoalescingDeltaSink sink = manualSink();
        sink.text("a");
        sink.text("b");
        sink.finish();
        sink.finish();

        sink.text("");
        sink.text(null);
        sink.text("late");
        sink.text("r");

        assertThat(sent).containsExactly("a", "b", "late", "r");
    }

    @Test
    void aZeroWindowSendsEveryPiece() {
        DeltaSink sink = CoalescingDeltaSink.of(sent::add, Duration.ZERO, timer);
        sink.text("a");
        sink.text("b");
        CoalescingDeltaSink.finish(sink);

        assertThat(sent).containsExactly("a", "b");
        assertThat(sink).isNotInstanceOf(CoalescingDeltaSink.class);
    }

    @Test
    void piecesRacingTheTimerArriveWholeAndInOrder() throws Exception {
        DeltaSink sink = CoalescingDeltaSink.of(sent::add, Duration.ofNanos(200_000), timer);
        StringBuilder expected = new StringBuilder();
        Thread adapter = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 20_000; i++) {
                sink.text(i + ",");
            }
        });
        for (int i = 0; i < 20_000; i++) {
            expected.append(i).append(',');
        }
        adapter.join();
        CoalescingDeltaSink.finish(sink);

        assertThat(String.join("", sent)).isEqualTo(expected.toString());
        assertThat(sent.size()).isLessThan(20_000);
    }
}
