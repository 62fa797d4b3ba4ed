package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.ADDRESS;
import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ActiveTurn;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionStatus;
import dev.skein.schemas.SessionAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Session} and {@link Sessions}: one session's state and its rows in the stores. */
class SessionTest {

    private final SessionFixture fixture =
            new SessionFixture(TestSessionConfig.builder().rememberedTurnIds(2).build());

    @Test
    void aNewSessionIsIdleAndNamedByItsAddressButNotStoredUntilSaved() {
        assertThat(fixture.sessions.find(ADDRESS)).isEmpty();

        Session session = fixture.sessions.open(ADDRESS);

        assertThat(session.meta().getTenant()).isEqualTo("acme");
        assertThat(session.meta().getSessionId()).isEqualTo("s1");
        assertThat(session.meta().getStatus()).isEqualTo(SessionStatus.IDLE);
        assertThat(session.meta().getCreatedAtMs()).isEqualTo(START_MS);
        assertThat(fixture.meta()).isNull();

        fixture.nowMs = START_MS + 5;
        session.save();

        assertThat(fixture.meta().getUpdatedAtMs()).isEqualTo(START_MS + 5);
        assertThat(fixture.sessions.find(ADDRESS)).isPresent();
        assertThat(fixture.sessions.find(new SessionAddress("acme", "s2"))).isEmpty();
    }

    @Test
    void messagesAreNumberedFromTheNextSequenceAndStoredUnderTheDocumentedKey() {
        Session session = fixture.sessions.open(ADDRESS);

        session.append(Session.message(Role.USER, "t1", "demo", START_MS).setContent("hello"));
        session.append(Session.message(Role.ASSISTANT, "t1", "demo", START_MS).setContent("hi"));

        assertThat(session.meta().getNextSequence()).isEqualTo(2);
        ChatMessage second = fixture.messages.get(SessionStores.messageKey("acme/s1", 1));
        assertThat(second.getSequence()).isEqualTo(1);
        assertThat(second.getContent()).isEqualTo("hi");
        try (var newestFirst = session.newestFirst(-1)) {
            assertThat(newestFirst.next().value.getContent()).isEqualTo("hi");
        }
    }

    @Test
    void clearingTheHistoryDeletesEveryMessageAndNeverReusesASequence() {
        Session session = fixture.sessions.open(ADDRESS);
        session.append(Session.message(Role.USER, "t1", "demo", START_MS).setContent("one"));
        session.append(Session.message(Role.USER, "t2", "demo", START_MS).setContent("two"));

        session.clearHistory();
        session.append(Session.message(Role.USER, "t3", "demo", START_MS).setContent("three"));
        session.save();

        assertThat(fixture.messages.get(SessionStores.messageKey("acme/s1", 0))).isNull();
        assertThat(fixture.messages.get(SessionStores.messageKey("acme/s1", 1))).isNull();
        assertThat(fixture.history()).extracting(ChatMessage::getSequence).containsExactly(2L);
    }

    @Test
    void onlyTheLastRememberedTurnIdsAreKept() {
        Session session = fixture.sessions.open(ADDRESS);

        session.rememberTurn("t1");
        session.rememberTurn("t2");
        session.rememberTurn("t3");

        assertThat(session.meta().getRecentTurnIds()).containsExactly("t2", "t3");
        assertThat(session.hasSeen("t1")).isFalse();
        assertThat(session.hasSeen("t3")).isTrue();
    }

    @Test
    void theRememberedTurnIdsOfAStoredSessionAreTrimmedToo() {
        // Read back from the store, the list is Avro's GenericData.Array: trimmed by index.
        fixture.sessions.open(ADDRESS).save();
        for (String turnId : List.of("t1", "t2", "t3")) {
            Session stored = fixture.sessions.find(ADDRESS).orElseThrow();
            stored.rememberTurn(turnId);
            stored.save();
        }

        assertThat(fixture.meta().getRecentTurnIds()).containsExactly("t2", "t3");
    }

    @Test
    void aStoredSessionsListsCanBeChangedLikeANewOnes() {
        Session session = fixture.sessions.open(ADDRESS);
        session.meta().setActiveTurn(active("t1", START_MS + 1000));
        session.meta().getQueuedTurns().add(turn("t2", "next"));
        session.meta().getQueuedTurns().add(turn("t3", "later"));
        session.rememberTurn("t0");
        session.save();

        Session stored = fixture.sessions.find(ADDRESS).orElseThrow();
        stored.meta().getQueuedTurns().removeIf(t -> t.getTurnId().equals("t2"));
        stored.meta().getRecentTurnIds().removeIf("t0"::equals);
        stored.active().getPendingCalls().removeIf(p -> true);

        assertThat(stored.meta().getQueuedTurns())
                .extracting(t -> t.getTurnId())
                .containsExactly("t3");
        assertThat(stored.meta().getRecentTurnIds()).isEmpty();
    }

    @Test
    void theActiveAndTheQueuedTurnsCountAsSeen() {
        Session session = fixture.sessions.open(ADDRESS);
        session.meta().setActiveTurn(active("t1", START_MS + 1000));
        session.meta().getQueuedTurns().add(turn("t2", "next"));

        assertThat(session.hasSeen("t1")).isTrue();
        assertThat(session.hasSeen("t2")).isTrue();
        assertThat(session.hasSeen("t3")).isFalse();
    }

    @Test
    void droppedEventsAreCounted() {
        Session session = fixture.sessions.open(ADDRESS);

        session.drop("stale step");
        session.drop("duplicate result");

        assertThat(session.meta().getEventsDropped()).isEqualTo(2);
    }

    @Test
    void theActiveTurnsDeadlineIsIndexedUntilCancelledAndIsDueOnceItHasPassed() {
        Session session = fixture.sessions.open(ADDRESS);
        session.meta().setActiveTurn(active("t1", START_MS + 1000));

        session.scheduleDeadline();

        assertThat(fixture.sessions.due(START_MS + 1000)).isEmpty();
        assertThat(fixture.sessions.due(START_MS + 1001)).singleElement().satisfies(due -> {
            assertThat(due.address()).isEqualTo(ADDRESS);
            assertThat(due.turnId()).isEqualTo("t1");
            assertThat(due.key()).isEqualTo(SessionStores.deadlineKey(START_MS + 1000, "acme/s1"));
        });

        session.cancelDeadline();
        assertThat(fixture.deadlineEntries()).isEmpty();
    }

    @Test
    void aReleasedDeadlineLeavesTheIndex() {
        Session session = fixture.sessions.open(ADDRESS);
        session.meta().setActiveTurn(active("t1", START_MS));
        session.scheduleDeadline();

        fixture.sessions.release(fixture.sessions.due(START_MS + 1).getFirst());

        assertThat(fixture.deadlineEntries()).isEmpty();
    }

    private static ActiveTurn active(String turnId, long deadlineMs) {
        return ActiveTurn.newBuilder()
                .setTurnId(turnId)
                .setAgent("demo")
                .setStep(0)
                .setRequestedAtMs(START_MS)
                .setStartedAtMs(START_MS)
                .setDeadlineMs(deadlineMs)
                .setPendingCalls(new ArrayList<>())
                .build();
    }
}
