package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.MemoryRecallSlot;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.context.MemoryShare;
import dev.skein.topologies.context.SummarySettings;
import dev.skein.topologies.context.Tokenizer;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;

/**
 * The share of the budget kept for recalled memories, through the production topology: the
 * history window shrinks by it, the invocation names it (with the turn's user, for the runner's
 * recall), and an agent without a share is invoked as before.
 */
class MemoryReservationTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final ContextBudget PLAIN = new ContextBudget(1_000, 100, Tokenizer.CL100K_BASE, 200, "Be brief.");
    private static final ContextBudget SHARED =
            new ContextBudget(1_000, 100, Tokenizer.CL100K_BASE, 200, "Be brief.", new MemoryShare(0.3, 4));

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());

    @Test
    void theReservationShrinksTheHistoryWindowAndTheInvocationNamesIt() throws Exception {
        AgentInvocation plain = lastOf(40, PLAIN, "alice");
        AgentInvocation shared = lastOf(40, SHARED, "alice");

        int reserved = (int) Math.floor(0.3 * 900);
        assertThat(SHARED.memoryTokens()).isEqualTo(reserved);
        assertThat(plain.getMemoryRecall()).isNull();
        assertThat(plain.getContextTokens()).isLessThanOrEqualTo(900).isGreaterThan(900 - reserved);
        // The same history, a window smaller by the share: window and memories fit together.
        assertThat(shared.getContextTokens()).isLessThanOrEqualTo(900 - reserved);
        assertThat(shared.getMessages().size()).isLessThan(plain.getMessages().size());
        assertThat(shared.getMessages().getLast().getContent())
                .isEqualTo(plain.getMessages().getLast().getContent());

        MemoryRecallSlot slot = shared.getMemoryRecall();
        assertThat(slot.getTokens()).isEqualTo(reserved);
        assertThat(shared.getContextTokens() + slot.getTokens()).isLessThanOrEqualTo(SHARED.inputTokens());
        assertThat(slot.getLimit()).isEqualTo(4);
        assertThat(slot.getTokenizer()).isEqualTo("cl100k_base");
        assertThat(slot.getUserId()).isEqualTo("alice");
    }

    @Test
    void aTurnWithoutAUserAsksOnlyForTheTenantsSharedMemories() throws Exception {
        AgentInvocation invocation = lastOf(1, SHARED, null);
        assertThat(invocation.getMemoryRecall()).isNotNull();
        assertThat(invocation.getMemoryRecall().getUserId()).isNull();
    }

    @Test
    void aWindowWhoseNeverCutPartTakesTheShareLeavesTheMemoriesOnlyWhatIsLeft() throws Exception {
        // A latest user message of about 800 tokens: over the history's 630, within the 900 of input.
        AgentInvocation invocation = lastOf(1, SHARED, "alice", "word ".repeat(800));
        MemoryRecallSlot slot = invocation.getMemoryRecall();
        assertThat(slot).isNotNull();
        assertThat(slot.getTokens()).isLessThan(SHARED.memoryTokens());
        assertThat(invocation.getContextTokens() + slot.getTokens()).isEqualTo(SHARED.inputTokens());
        // Past the whole input: nothing is left, and nothing is asked for.
        assertThat(lastOf(1, SHARED, "alice", "word ".repeat(1_200)).getMemoryRecall())
                .isNull();
    }

    private AgentInvocation lastOf(int turnsCount, ContextBudget budget, String user) throws Exception {
        return lastOf(turnsCount, budget, user, null);
    }

    /** Runs {@code turnsCount} turns of about 40 tokens each and returns the last turn's invocation. */
    private AgentInvocation lastOf(int turnsCount, ContextBudget budget, String user, String lastMessage)
            throws Exception {
        SessionTopologyConfig config = TestSessionConfig.builder()
                .context(new ContextSettings(budget, Map.of("demo", budget), SummarySettings.OFF))
                .build();
        try (SessionTopologyFixture session = new SessionTopologyFixture(topics, "test", config, START)) {
            TestInputTopic<String, TurnRequested> turns = session.input(topics.turns);
            TestInputTopic<String, dev.skein.events.AgentStep> steps = session.input(topics.agentSteps);
            TestOutputTopic<String, AgentInvocation> invocations = session.output(topics.agentRequests);
            AgentInvocation last = null;
            for (int i = 1; i <= turnsCount; i++) {
                String message = i == turnsCount && lastMessage != null
                        ? lastMessage
                        : "turn " + i + ": tell me about the number " + i + " and why it matters to anyone";
                TurnRequested requested = turn("t" + i, message);
                requested.setUserId(user);
                turns.pipeInput(ADDRESS, requested);
                last = invocations.readValue();
                steps.pipeInput(ADDRESS, answer("t" + i, 0, "the number " + i + " is fine, and so is " + (i + 1)));
            }
            return last;
        }
    }
}
