package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.schemas.SessionAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The hand-off between a replay and the live events: no gap, no duplicate, in order. */
class StreamSubscriberTest {

    private static final SessionAddress ACME = new SessionAddress("acme", "s1");

    private final List<Long> seen = new CopyOnWriteArrayList<>();
    private final List<String> stopped = new CopyOnWriteArrayList<>();
    private final AtomicBoolean unregistered = new AtomicBoolean();

    private StreamSubscriber subscriber(StreamStart start, int maxHeld) {
        return new StreamSubscriber(
                ACME,
                start,
                new SessionListener() {
                    @Override
                    public void onEvent(StreamEvent event) {
                        seen.add(event.position().offset());
                    }

                    @Override
                    public void onStopped(String reason) {
                        stopped.add(reason);
                    }
                },
                maxHeld,
                () -> unregistered.set(true));
    }

    @Test
    void liveEventsDuringTheReplayAreHeldThenDeliveredAfterItWithoutTheOverlap() {
        StreamSubscriber subscriber = subscriber(StreamStart.after(new StreamPosition(0, 4)), 100);
        assertThat(subscriber.started()).isNotDone();

        subscriber.live(event(8)); // the tail is ahead of the replay's end
        subscriber.live(event(9));
        subscriber.begin();
        for (long offset = 5; offset <= 9; offset++) { // the replay reads past its end: 8 and 9 twice
            subscriber.replayed(event(offset));
        }
        subscriber.live(event(10));
        subscriber.replayDone();
        subscriber.live(event(9)); // a lagging tail repeats what was replayed
        subscriber.live(event(11));

        assertThat(subscriber.started()).isCompleted();
        assertThat(seen).containsExactly(5L, 6L, 7L, 8L, 9L, 10L, 11L);
    }

    @Test
    void withoutAPositionEventsGoStraightThroughFromNow() {
        StreamSubscriber subscriber = subscriber(StreamStart.NOW, 100);

        subscriber.live(event(3));
        subscriber.live(event(3));
        subscriber.live(event(4));

        assertThat(subscriber.started()).isCompleted();
        assertThat(seen).containsExactly(3L, 4L);
    }

    @Test
    void tooManyLiveEventsDuringAReplayStopTheStreamWithAReason() {
        StreamSubscriber subscriber = subscriber(StreamStart.after(new StreamPosition(0, 0)), 2);
        subscriber.begin();

        subscriber.live(event(5));
        subscriber.live(event(6));
        subscriber.live(event(7));

        assertThat(stopped)
                .singleElement()
                .asString()
                .contains("more than 2 live events")
                .contains("0-0");
        assertThat(unregistered).isTrue();
        assertThat(subscriber.replayed(event(1))).isFalse();
        subscriber.replayDone();
        assertThat(seen).isEmpty();
    }

    @Test
    void aRefusedStartFailsTheFutureWithTheAnswerAndUnregisters() {
        StreamSubscriber subscriber = subscriber(StreamStart.after(new StreamPosition(3, 0)), 10);

        subscriber.refuse(HttpFailure.badRequest("not this session's partition"));

        assertThat(subscriber.started()).isCompletedExceptionally();
        assertThat(unregistered).isTrue();
    }

    /** The tail and the replay on two threads, racing: every offset once, in order, whatever the interleaving. */
    @RepeatedTest(20)
    void aConcurrentTailAndReplayDeliverEveryOffsetOnceInOrder() throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long after = random.nextLong(0, 50);
        long replayEnd = after + 1 + random.nextLong(0, 200); // exclusive: what the replay reads up to
        long tailFrom = random.nextLong(after + 1, replayEnd + 1); // the tail's first live event
        long last = replayEnd + 300;
        StreamSubscriber subscriber = subscriber(StreamStart.after(new StreamPosition(0, after)), 10_000);
        CountDownLatch go = new CountDownLatch(1);
        Thread tail = Thread.ofPlatform().start(() -> {
            await(go);
            for (long offset = tailFrom; offset <= last; offset++) {
                subscriber.live(event(offset));
            }
        });
        Thread replay = Thread.ofPlatform().start(() -> {
            await(go);
            subscriber.begin();
            for (long offset = after + 1; offset < replayEnd + random.nextLong(0, 5); offset++) {
                subscriber.replayed(event(offset));
            }
            subscriber.replayDone();
        });
        go.countDown();
        tail.join(10_000);
        replay.join(10_000);

        List<Long> expected = new ArrayList<>();
        for (long offset = after + 1; offset <= last; offset++) {
            expected.add(offset);
        }
        assertThat(seen).containsExactlyElementsOf(expected);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static StreamEvent event(long offset) {
        return new StreamEvent(
                new StreamPosition(0, offset),
                AgentDelta.newBuilder()
                        .setTenant("acme")
                        .setSessionId("s1")
                        .setTurnId("t1")
                        .setStep(0)
                        .setKind(DeltaKind.TEXT)
                        .setText("x" + offset)
                        .setTimestampMs(offset)
                        .build());
    }
}
