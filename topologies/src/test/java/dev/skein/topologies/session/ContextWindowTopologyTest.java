package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.error;
import static dev.skein.topologies.session.SessionEvents.result;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.Role;
import dev.skein.events.SessionSummary;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.context.MessageTokens;
import dev.skein.topologies.context.SummaryPrompt;
import dev.skein.topologies.context.SummarySettings;
import dev.skein.topologies.context.Tokenizer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A long session through the production topology with a small token budget: every invocation
 * stays within it, the rolling summary keeps what the window has long dropped, and summaries
 * that fail or are slow never hold up a turn.
 */
class ContextWindowTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final String SYSTEM_PROMPT = "You are a helpful assistant who answers briefly.";
    private static final ContextBudget BUDGET = new ContextBudget(600, 100, Tokenizer.CL100K_BASE, 60, SYSTEM_PROMPT);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    private static final Pattern FACT = Pattern.compile("FACT: [^\\n]*");
    private static final Pattern CODE_WORD = Pattern.compile("code word is (\\w+)");

    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .context(new ContextSettings(
                    BUDGET, Map.of("demo", BUDGET), new SummarySettings(true, "", 20, RETRY_AFTER, Set.of())))
            .build();
    private final CompletionLedger ledger = new CompletionLedger();
    private SessionTopologyFixture session;
    private CompletionLedger.TurnsInput turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestInputTopic<String, ToolResult> results;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private CompletionLedger.ResponsesOutput responses;
    private TestOutputTopic<String, dev.skein.events.AgentDelta> deltas;
    private long nowMs = START.toEpochMilli();
    private int summaryInvocations;

    @BeforeEach
    void start() {
        session = new SessionTopologyFixture(config, START);
        turns = ledger.turns(session.input(session.topics.turns));
        steps = session.input(session.topics.agentSteps);
        results = session.input(session.topics.toolResults);
        invocations = session.output(session.topics.agentRequests);
        toolRequests = session.output(session.topics.tools("small"));
        responses = ledger.responses(session.output(session.topics.responses));
        deltas = session.output(session.topics.deltas);
        session.addTools(SessionEvents.tool("calculator", 0.5, false, false));
        heartbeat();
    }

    @AfterEach
    void stop() {
        session.closeAfterChecking(ledger);
    }

    @Test
    void twoThousandTurnsStayWithinTheBudgetAndTheSummaryRemembersTheFirst() {
        AgentInvocation slow = null;
        int rollsAt600 = 0;
        int asksAt600 = 0;
        for (int i = 1; i <= 2_000; i++) {
            String message = i == 1
                    ? "Remember this. FACT: the code word is heliotrope"
                    : "turn " + i + ": tell me something about the number " + i + ", please";
            List<AgentInvocation> summaries = new ArrayList<>();
            AgentInvocation asked = startTurn("t" + i, message, summaries);
            if (i % 97 == 0) {
                // A tool step with a long result: truncated in the window, paired with its call.
                steps.pipeInput(ADDRESS, toolCalls("t" + i, 0, new ToolCall("c" + i, "calculator", "{\"n\":1}")));
                toolRequests.readValue();
                results.pipeInput(ADDRESS, result("t" + i, 0, "c" + i, "digit ".repeat(400)));
                asked = nextTurnInvocation(summaries);
                assertThat(asked.getMessages().getLast().getContent()).contains("[truncated: 60 of ");
                assertThat(asked.getMessages()
                                .get(asked.getMessages().size() - 2)
                                .getToolCalls())
                        .extracting(ToolCall::getCallId)
                        .containsExactly("c" + i);
            }
            steps.pipeInput(ADDRESS, answer("t" + i, asked.getStep(), "noted, turn " + i));
            TurnCompleted completed = responses.readValue();
            assertThat(completed.getTurnId()).isEqualTo("t" + i);
            assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
            for (AgentInvocation summary : summaries) {
                if (i > 600 && i < 700) {
                    // Summaries fail for a while: turns go on with the summary they have.
                    steps.pipeInput(ADDRESS, error(summary.getTurnId(), 0, "model overloaded", true));
                } else if (i >= 1_200 && i < 1_300 && slow == null) {
                    slow = summary; // answered much later, after it was asked again
                } else {
                    steps.pipeInput(ADDRESS, summarize(summary));
                }
            }
            if (i == 600) {
                rollsAt600 = summary().getRolls();
                asksAt600 = summaryInvocations;
            } else if (i == 700) {
                // Failed summaries were asked again every retry-after (30 turns here), not at every turn.
                assertThat(summary().getRolls()).isEqualTo(rollsAt600);
                assertThat(summaryInvocations - asksAt600).isBetween(2, 5);
            }
            // A second passes between turns, as on a busy session.
            advance(Duration.ofSeconds(1));
            if (i % 500 == 0) {
                HistoryInvariant.assertWellFormed(session.driver);
            }
        }
        // The slow summarizer's answer comes at last: its request was asked again since, so it is dropped.
        int rollsBefore = summary().getRolls();
        steps.pipeInput(ADDRESS, summarize(slow));
        assertThat(summary().getRolls()).isEqualTo(rollsBefore);

        List<AgentInvocation> summaries = new ArrayList<>();
        AgentInvocation question = startTurn("q", "What is the code word?", summaries);
        assertThat(question.getMessages())
                .noneMatch(m -> m.getRole() == Role.USER && m.getContent().contains("heliotrope"));
        assertThat(question.getMessages().getFirst().getRole()).isEqualTo(Role.SYSTEM);
        steps.pipeInput(ADDRESS, answer("q", 0, scriptedAnswer(question)));
        assertThat(responses.readValue().getAnswer()).isEqualTo("heliotrope");

        SessionSummary summary = summary();
        assertThat(summary.getRolls()).isGreaterThan(rollsAt600 + 50);
        assertThat(summary.getContent()).contains("FACT: the code word is heliotrope");
        assertThat(summaryInvocations).isGreaterThan(summary.getRolls());
        // A session's stream shows its turns only: no marker of a summary's invocation.
        assertThat(deltas.readValuesToList())
                .isNotEmpty()
                .noneMatch(d -> d.getTurnId().startsWith(SummaryPrompt.TURN_PREFIX));
        // The history keeps every message: 2,001 turns, each a user message and an answer, and 20 tool steps.
        assertThat(SessionHistory.all(session.driver.getKeyValueStore(SessionStores.MESSAGES), ADDRESS, meta()))
                .hasSize(2 * 2_001 + 2 * 20);
    }

    @Test
    void aPendingSummaryIsAskedAgainOnlyAfterRetryAfter() {
        List<AgentInvocation> summaries = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            AgentInvocation asked =
                    startTurn("t" + i, "turn " + i + " with a few more words to fill the window", summaries);
            steps.pipeInput(ADDRESS, answer("t" + i, asked.getStep(), "answer " + i));
            responses.readValue();
        }
        // Never answered: asked once, then no more until retry-after has passed.
        assertThat(summaries).hasSize(1);
        advance(RETRY_AFTER.plusSeconds(1));
        AgentInvocation asked = startTurn("again", "one more turn", summaries);
        steps.pipeInput(ADDRESS, answer("again", asked.getStep(), "ok"));
        responses.readValue();
        assertThat(summaries).hasSize(2);
        assertThat(summaries.get(1).getAttempt()).isEqualTo(2);
        assertThat(summaries.get(1).getTurnId()).isNotEqualTo(summaries.get(0).getTurnId());
        assertThat(session.driver.getKeyValueStore(SessionStores.SUMMARIES).get(ADDRESS))
                .isNull();
    }

    /** Pipes a turn and returns its first invocation; summary invocations emitted alongside go to {@code summaries}. */
    private AgentInvocation startTurn(String turnId, String message, List<AgentInvocation> summaries) {
        turns.pipeInput(ADDRESS, turn(turnId, message));
        return nextTurnInvocation(summaries);
    }

    private AgentInvocation nextTurnInvocation(List<AgentInvocation> summaries) {
        AgentInvocation found = null;
        while (!invocations.isEmpty()) {
            AgentInvocation invocation = invocations.readValue();
            assertWithinBudget(invocation);
            if (invocation.getPurpose() == InvocationPurpose.SUMMARY) {
                summaryInvocations++;
                assertThat(invocation.getTurnId()).startsWith(SummaryPrompt.TURN_PREFIX);
                assertThat(invocation.getTools()).isEmpty();
                summaries.add(invocation);
            } else {
                assertThat(found).as("one turn invocation at a time").isNull();
                found = invocation;
            }
        }
        assertThat(found).as("the turn's invocation, whatever the summaries do").isNotNull();
        return found;
    }

    /** What the invocation sends, counted with jtokkit, is within the agent's budget, and is what it says. */
    private static void assertWithinBudget(AgentInvocation invocation) {
        Tokenizer tokenizer = BUDGET.tokenizer();
        int counted = MessageTokens.systemPrompt(SYSTEM_PROMPT, tokenizer)
                + MessageTokens.tools(invocation.getTools(), tokenizer)
                + invocation.getMessages().stream()
                        .mapToInt(m -> MessageTokens.count(m, tokenizer))
                        .sum();
        assertThat(invocation.getContextTokens()).isEqualTo(counted);
        assertThat(counted)
                .as("tokens of %s step %d", invocation.getTurnId(), invocation.getStep())
                .isLessThanOrEqualTo(BUDGET.inputTokens());
        assertThat(invocation.getMessages()).isNotEmpty();
        assertThat(invocation.getMessages().getFirst().getRole()).isNotEqualTo(Role.TOOL);
    }

    /** The scripted summarizer: it keeps every FACT line of the previous summary and the transcript. */
    private static AgentStep summarize(AgentInvocation invocation) {
        String request = invocation.getMessages().getLast().getContent();
        Set<String> facts = new LinkedHashSet<>();
        Matcher matcher = FACT.matcher(request);
        while (matcher.find()) {
            facts.add(matcher.group());
        }
        String summary = facts.isEmpty() ? "nothing to remember" : String.join("\n", facts);
        return SessionEvents.step(invocation.getTurnId(), 0, StepKind.FINAL)
                .setAgent(invocation.getAgent())
                .setContent(summary)
                .build();
    }

    /** The scripted agent: the code word wherever its window holds it. */
    private static String scriptedAnswer(AgentInvocation invocation) {
        for (ChatMessage message : invocation.getMessages()) {
            Matcher matcher = CODE_WORD.matcher(message.getContent() == null ? "" : message.getContent());
            if (matcher.find()) {
                return matcher.group(1);
            }
        }
        return "I do not know";
    }

    private SessionSummary summary() {
        KeyValueStore<String, SessionSummary> store = session.driver.getKeyValueStore(SessionStores.SUMMARIES);
        return store.get(ADDRESS);
    }

    private dev.skein.events.SessionMeta meta() {
        return session.meta(ADDRESS);
    }

    private void advance(Duration duration) {
        session.driver.advanceWallClockTime(duration);
        nowMs += duration.toMillis();
        heartbeat();
    }

    private void heartbeat() {
        session.addWorker(SessionEvents.worker("worker-1", "small", 2, nowMs));
    }
}
