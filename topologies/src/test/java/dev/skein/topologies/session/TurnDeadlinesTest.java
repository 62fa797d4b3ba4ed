package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.ADDRESS;
import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link TurnDeadlines}: turns past their deadline fail, saying what they waited for. */
class TurnDeadlinesTest {

    private static final long TIMEOUT_MS = 30_000;

    private final SessionFixture fixture = new SessionFixture(TestSessionConfig.builder()
            .turnTimeout(Duration.ofMillis(TIMEOUT_MS))
            .build());

    @Test
    void nothingHappensBeforeTheDeadline() {
        fixture.turns.request(ADDRESS, turn("t1", "hello"));

        fixture.turnDeadlines.expire(START_MS + TIMEOUT_MS);

        assertThat(fixture.output.completions).isEmpty();
        assertThat(fixture.deadlineEntries()).hasSize(1);
    }

    @Test
    void aTurnWaitingForItsAgentFailsOnceItsDeadlineHasPassedAndTheNextTurnStarts() {
        fixture.turns.request(ADDRESS, turn("t1", "hello"));
        fixture.turns.request(ADDRESS, turn("t2", "next"));
        fixture.nowMs = START_MS + TIMEOUT_MS + 1;

        fixture.turnDeadlines.expire(fixture.nowMs);

        TurnCompleted failed = fixture.output.lastCompletion();
        assertThat(failed.getTurnId()).isEqualTo("t1");
        assertThat(failed.getStatus()).isEqualTo(TurnStatus.FAILED);
        assertThat(failed.getError())
                .isEqualTo("turn timed out after 30000 ms while waiting for agent 'demo' (step 0)");
        assertThat(fixture.meta().getTurnsFailed()).isEqualTo(1);
        assertThat(fixture.meta().getActiveTurn().getTurnId()).isEqualTo("t2");
        assertThat(fixture.deadlineEntries()).extracting(kv -> kv.value).containsExactly("t2");
    }

    @Test
    void aTurnWaitingForToolsNamesTheUnansweredCallsAndRecordsAnErrorForEach() {
        fixture.addTool(tool("deploy", 0.5, false, true));
        fixture.addTool(tool("calculator", 0.5, false, false));
        fixture.addWorker(worker("worker-1", "small", 1, START_MS));
        fixture.turns.request(ADDRESS, turn("t1", "deploy"));
        fixture.steps.onStep(
                ADDRESS,
                toolCalls(
                        "t1",
                        0,
                        new ToolCall("a", "deploy", "{\"n\":1}"),
                        new ToolCall("b", "calculator", "{\"n\":2}")));
        fixture.nowMs = START_MS + TIMEOUT_MS + 1;

        fixture.turnDeadlines.expire(fixture.nowMs);

        assertThat(fixture.output.lastCompletion().getError())
                .isEqualTo("turn timed out after 30000 ms while waiting for tool results (deploy a awaiting"
                        + " approval, calculator b)");
        assertThat(fixture.history())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .extracting(ChatMessage::getToolStatus)
                .containsExactly(ToolStatus.ERROR, ToolStatus.ERROR);
    }

    @Test
    void anEntryForATurnThatIsNoLongerActiveIsRemovedWithoutEffect() {
        fixture.turns.request(ADDRESS, turn("t1", "hello"));
        fixture.deadlines.put(SessionStores.deadlineKey(START_MS + 10, ADDRESS.toString()), "t0");
        fixture.nowMs = START_MS + 20;

        fixture.turnDeadlines.expire(fixture.nowMs);

        assertThat(fixture.output.completions).isEmpty();
        assertThat(fixture.deadlineEntries()).extracting(kv -> kv.value).containsExactly("t1");
        assertThat(fixture.meta().getActiveTurn().getTurnId()).isEqualTo("t1");
    }
}
