package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentDelta;
import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.DeadLetter;
import dev.skein.events.DeltaKind;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.StepKind;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TraceEntry;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.events.WorkerHeartbeat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Memory extraction after each turn through the production topology: the extraction request in
 * the pass that completes the turn, its answer as remember calls with ids derived from the turn,
 * the same answer twice written once, turns that go on while an extraction is outstanding, and
 * failures that are counted and dead-lettered, never retried forever.
 */
class ExtractionTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final String TWO_FACTS = """
            Here you are: ```json
            {"memories": [{"text": "The user's name is Alice", "kind": "fact", "entity": "Alice"},
                          {"text": "Alice prefers green tea"}, {"kind": "dream"}]}
            ```""";

    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .extraction(new ExtractionSettings("extractor", Set.of(), 10, TIMEOUT))
            .build();
    private final CompletionLedger ledger = new CompletionLedger();
    private SessionTopologyFixture session;
    private CompletionLedger.TurnsInput turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestInputTopic<String, ToolResult> results;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private TestOutputTopic<String, DeadLetter> deadLetters;
    private TestOutputTopic<String, AgentDelta> deltas;
    private CompletionLedger.ResponsesOutput responses;

    @BeforeEach
    void start() {
        session = new SessionTopologyFixture(config, START);
        turns = ledger.turns(session.input(session.topics.turns));
        steps = session.input(session.topics.agentSteps);
        results = session.input(session.topics.toolResults);
        invocations = session.output(session.topics.agentRequests);
        toolRequests = session.output(session.topics.tools("small"));
        deadLetters = session.output(session.topics.deadLetters);
        deltas = session.output(session.topics.deltas);
        responses = ledger.responses(session.output(session.topics.responses));
        session.addTools(rememberTool());
        session.addWorker(memoryWorker());
    }

    @AfterEach
    void stop() {
        session.closeAfterChecking(ledger);
    }

    @Test
    void aCompletedTurnAsksTheExtractorAndItsMemoriesBecomeRememberCallsOfTheUser() {
        completeTurn("t1", "Hi! My name is Alice and I prefer green tea.", "alice");

        AgentInvocation extraction = invocations.readValue();
        assertThat(extraction.getPurpose()).isEqualTo(InvocationPurpose.EXTRACT);
        assertThat(extraction.getTurnId()).isEqualTo("extract~t1");
        assertThat(extraction.getAgent()).isEqualTo("extractor");
        assertThat(extraction.getTools()).isEmpty();
        assertThat(extraction.getMessages()).hasSize(1);
        assertThat(extraction.getMessages().getFirst().getRole()).isEqualTo(Role.USER);
        assertThat(extraction.getMessages().getFirst().getContent())
                .startsWith("Extract what is worth remembering")
                .contains("user: Hi! My name is Alice and I prefer green tea.\nassistant: noted t1\n");
        // No turn: no start marker on the session's stream.
        assertThat(deltas.readValuesToList())
                .filteredOn(d -> d.getKind() == DeltaKind.TURN_STARTED)
                .extracting(AgentDelta::getTurnId)
                .containsExactly("t1");

        steps.pipeInput(ADDRESS, extractorAnswer("t1", TWO_FACTS));
        List<ToolRequest> calls = toolRequests.readValuesToList();
        assertThat(calls).extracting(ToolRequest::getCallId).containsExactly("extract~s1~t1~1", "extract~s1~t1~2");
        assertThat(calls).allSatisfy(call -> {
            assertThat(call.getTool()).isEqualTo("remember");
            assertThat(call.getTurnId()).isEqualTo("extract~t1");
            assertThat(call.getUserId()).isEqualTo("alice");
            assertThat(call.getTier()).isEqualTo("small");
        });
        assertThat(calls.getFirst().getArgumentsJson())
                .isEqualTo("{\"text\":\"The user's name is Alice\",\"kind\":\"fact\",\"entity\":\"Alice\"}");
        assertThat(pending()).hasSize(1);

        calls.forEach(call -> results.pipeInput(ADDRESS, remembered(call, ToolStatus.OK)));
        assertThat(pending()).isEmpty();
        assertThat(count("requested")).isEqualTo(1);
        assertThat(count("written")).isEqualTo(2);
        assertThat(count("failed")).isZero();
        assertThat(traceOf("t1"))
                .extracting(TraceEntry::getOutcome)
                .containsExactly("requested", "answered", "written", "written");
        assertThat(traceOf("t1").get(1).getDecision()).contains("2 memories sent", "1 malformed ones skipped");
        assertThat(traceOf("t1").get(2).getDetail()).containsEntry("memoryId", "extract~s1~t1~1");
        assertThat(traceOf("t1")).allSatisfy(e -> assertThat(e.getCallId()).isNull());
        // Nothing of the extraction is in the history, and no completion came of it.
        assertThat(meta().getNextSequence()).isEqualTo(2);
        assertThat(responses.isEmpty()).isTrue();
    }

    @Test
    void theSameAnswerTwiceAndTheSameResultTwiceWriteEachMemoryOnce() {
        completeTurn("t1", "remember that I live in Lyon", "alice");
        invocations.readValue();
        Map<String, String> memoriesById = new LinkedHashMap<>();

        AgentStep step = extractorAnswer("t1", TWO_FACTS);
        steps.pipeInput(ADDRESS, step);
        steps.pipeInput(ADDRESS, step); // redelivered by the runner
        List<ToolRequest> calls = toolRequests.readValuesToList();
        for (ToolRequest call : calls) {
            assertThat(memoriesById.put(call.getCallId(), call.getArgumentsJson()))
                    .as("memory %s written twice", call.getCallId())
                    .isNull();
        }
        assertThat(memoriesById).hasSize(2);

        results.pipeInput(ADDRESS, remembered(calls.getFirst(), ToolStatus.OK));
        results.pipeInput(ADDRESS, remembered(calls.getFirst(), ToolStatus.OK)); // a redelivered call's second result
        results.pipeInput(ADDRESS, remembered(calls.get(1), ToolStatus.OK));
        steps.pipeInput(ADDRESS, step); // after it is done
        assertThat(toolRequests.isEmpty()).isTrue();
        assertThat(count("written")).isEqualTo(2);
        assertThat(meta().getEventsDropped()).isEqualTo(3);
        assertThat(pending()).isEmpty();
    }

    @Test
    void turnsGoOnWhileExtractionsAreOutstanding() {
        completeTurn("t1", "remember that I like jazz", "alice");
        assertThat(invocations.readValue().getTurnId()).isEqualTo("extract~t1");

        // The next turn is invoked at once, with a window of the turns alone.
        turns.pipeInput(ADDRESS, turn("t2", "and what about blues?", "alice"));
        AgentInvocation second = invocations.readValue();
        assertThat(second.getTurnId()).isEqualTo("t2");
        assertThat(second.getPurpose()).isNotEqualTo(InvocationPurpose.EXTRACT);
        assertThat(second.getMessages()).extracting(m -> m.getContent()).doesNotContain("extract~t1");
        steps.pipeInput(ADDRESS, answer("t2", 0, "noted t2"));
        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(invocations.readValue().getTurnId()).isEqualTo("extract~t2");
        assertThat(pending()).extracting(p -> p.getTurnId()).containsExactly("t1", "t2");

        // Answers in any order: each extraction's calls are its own.
        steps.pipeInput(ADDRESS, extractorAnswer("t2", "{\"memories\": [\"Alice likes blues\"]}"));
        steps.pipeInput(ADDRESS, extractorAnswer("t1", "{\"memories\": []}"));
        assertThat(toolRequests.readValuesToList())
                .extracting(ToolRequest::getCallId)
                .containsExactly("extract~s1~t2~1");
        assertThat(pending()).extracting(p -> p.getTurnId()).containsExactly("t2");
        assertThat(traceOf("t1")).extracting(TraceEntry::getOutcome).containsExactly("requested", "nothing");
    }

    @Test
    void failedExtractionsAreRetriedAFewTimesThenCountedAndDeadLettered() {
        completeTurn("t1", "remember that I am allergic to nuts", "alice");
        assertThat(invocations.readValue().getAttempt()).isEqualTo(1);
        steps.pipeInput(ADDRESS, extractorError("t1", "model overloaded", true));
        assertThat(invocations.readValue().getAttempt()).isEqualTo(2);
        steps.pipeInput(ADDRESS, extractorError("t1", "model overloaded", true));
        assertThat(invocations.readValue().getAttempt()).isEqualTo(3);
        steps.pipeInput(ADDRESS, extractorError("t1", "model overloaded", true));
        assertThat(invocations.isEmpty())
                .as("not asked past max-agent-attempts")
                .isTrue();
        assertThat(deadLetters.readValue().getCause()).contains("extractor 'extractor' failed: model overloaded");

        completeTurn("t2", "remember that I am vegan", "alice");
        invocations.readValue();
        steps.pipeInput(ADDRESS, extractorAnswer("t2", "I think the user is vegan."));
        DeadLetter notJson = deadLetters.readValue();
        assertThat(notJson.getCause()).contains("answered no memories JSON", "not JSON");
        assertThat(notJson.getTopic()).isEqualTo(session.topics.agentSteps.name());
        assertThat(toolRequests.isEmpty()).isTrue();

        // Unanswered within the timeout: given up when the session next takes an event.
        completeTurn("t3", "remember that I run marathons", "alice");
        invocations.readValue();
        session.driver.advanceWallClockTime(TIMEOUT.plusSeconds(1));
        completeTurn("t4", "what's new?", "alice");
        invocations.readValue();
        assertThat(pending()).extracting(p -> p.getTurnId()).containsExactly("t4");
        assertThat(count("failed")).isEqualTo(3);
        assertThat(count("requested")).isEqualTo(4);
        assertThat(traceOf("t3")).extracting(TraceEntry::getOutcome).containsExactly("requested", "failed");
    }

    @Test
    void hostileAnswersAreBoundedSkippedOrDeadLetteredAndTheSessionGoesOn() {
        List<String> refused = List.of(
                "[".repeat(5_000) + "]".repeat(5_000),
                "{\"memories\": \"everything\"}",
                "{\"memories\": [1, 2",
                "",
                "null");
        int turn = 0;
        for (String answer : refused) {
            completeTurn("r" + ++turn, "remember that case " + turn + " is hostile", "alice");
            invocations.readValue();
            steps.pipeInput(ADDRESS, extractorAnswer("r" + turn, answer));
            assertThat(deadLetters.readValue().getCause())
                    .as(answer.length() > 40 ? "deep nesting" : answer)
                    .contains("answered no memories JSON");
        }
        assertThat(toolRequests.isEmpty()).isTrue();

        // Many memories: at most max-memories are written; one too long for the tool's schema, and
        // ones that are not memories, are skipped.
        StringBuilder many = new StringBuilder(
                "{\"memories\": [{\"text\": \"" + "x".repeat(2_001) + "\"}, 7, null, {\"text\": [\"a\"]}");
        for (int i = 0; i < 200; i++) {
            many.append(", \"fact ").append(i).append('"');
        }
        completeTurn("m1", "remember that there is a lot", "alice");
        invocations.readValue();
        steps.pipeInput(ADDRESS, extractorAnswer("m1", many.append("]}").toString()));
        List<ToolRequest> calls = toolRequests.readValuesToList();
        assertThat(calls).hasSize(9);
        assertThat(calls.getFirst().getCallId()).isEqualTo("extract~s1~m1~2");
        assertThat(traceOf("m1").get(1).getDecision())
                .contains("9 memories sent", "4 malformed ones skipped", "191 over max-memories left out");
        assertThat(count("failed")).isEqualTo(refused.size());

        // The session still takes turns.
        completeTurn("after", "hello", "alice");
    }

    @Test
    void clearingTheHistoryDropsItsOutstandingExtractions() {
        completeTurn("t1", "remember that I live in Lyon", "alice");
        invocations.readValue();
        session.input(session.topics.sessionCommands)
                .pipeInput(ADDRESS, SessionEvents.command(dev.skein.events.CommandKind.CLEAR_HISTORY));
        steps.pipeInput(ADDRESS, extractorAnswer("t1", TWO_FACTS));
        assertThat(toolRequests.isEmpty()).isTrue();
        assertThat(pending()).isEmpty();
    }

    @Test
    void aTurnWithoutAUserIsNotExtractedFrom() {
        completeTurn("t1", "remember that the office opens at nine", null);
        assertThat(invocations.isEmpty()).isTrue();
        assertThat(pending()).isEmpty();
    }

    private void completeTurn(String turnId, String message, String user) {
        turns.pipeInput(ADDRESS, turn(turnId, message, user));
        AgentInvocation asked = invocations.readValue();
        assertThat(asked.getTurnId()).isEqualTo(turnId);
        steps.pipeInput(ADDRESS, answer(turnId, 0, "noted " + turnId));
        TurnCompleted completed = responses.readValue();
        assertThat(completed.getTurnId()).isEqualTo(turnId);
        assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
    }

    private static TurnRequested turn(String turnId, String message, String user) {
        TurnRequested turn = SessionEvents.turn(turnId, message);
        turn.setUserId(user);
        return turn;
    }

    private static AgentStep extractorAnswer(String turnId, String content) {
        return SessionEvents.step("extract~" + turnId, 0, StepKind.FINAL)
                .setAgent("extractor")
                .setContent(content)
                .build();
    }

    private static AgentStep extractorError(String turnId, String why, boolean retryable) {
        AgentStep step = error("extract~" + turnId, 0, why, retryable);
        step.setAgent("extractor");
        return step;
    }

    private static ToolResult remembered(ToolRequest call, ToolStatus status) {
        return ToolResult.newBuilder(SessionEvents.result(
                        call.getTurnId(), 0, call.getCallId(), "{\"remembered\":\"" + call.getCallId() + "\"}"))
                .setTool("remember")
                .setStatus(status)
                .build();
    }

    private static ToolDefinition rememberTool() {
        return ToolDefinition.newBuilder()
                .setName("remember")
                .setDescription("remember")
                .setParametersSchema("""
                        {"type":"object","properties":{"text":{"type":"string","minLength":1,"maxLength":2000},\
                        "kind":{"type":"string","enum":["fact","entity","episode"]},"entity":{"type":"string"},\
                        "relations":{"type":"array","items":{"type":"string"}}},\
                        "required":["text"],"additionalProperties":false}""")
                .setResources(ResourceSpec.newBuilder()
                        .setCpus(1)
                        .setMemoryBytes(512L << 20)
                        .build())
                .setRetry(RetryPolicy.newBuilder().build())
                .setCacheable(false)
                .setRequiresApproval(false)
                .build();
    }

    private static WorkerHeartbeat memoryWorker() {
        WorkerHeartbeat worker = SessionEvents.worker("worker-1", "small", 2, START.toEpochMilli());
        worker.setTools(List.of("remember", "recall", "forget"));
        return worker;
    }

    private List<dev.skein.events.PendingExtraction> pending() {
        return meta().getPendingExtractions();
    }

    private SessionMeta meta() {
        return session.meta(ADDRESS);
    }

    private List<TraceEntry> traceOf(String turnId) {
        return new ArrayList<>(session.trace(ADDRESS, turnId).getEntries())
                .stream()
                        .filter(e -> Extractions.TRACE_KIND.equals(e.getKind()))
                        .toList();
    }

    private double count(String outcome) {
        return session.metricTotal(ExtractionCounts.NAME, "outcome", outcome);
    }
}
