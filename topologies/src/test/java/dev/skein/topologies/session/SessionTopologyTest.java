package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.DeadLetter;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.Role;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnOutcome;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The session state machine, driven event by event through the production topology. */
class SessionTopologyTest {

    private static final String ADDRESS = "acme/s1";
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    private final SessionTopologyConfig config = TestSessionConfig.builder()
            .turnTimeout(Duration.ofSeconds(30))
            .maxQueuedTurns(2)
            .build();
    private SessionTopologyFixture session;
    private final CompletionLedger ledger = new CompletionLedger();
    private CompletionLedger.TurnsInput turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestInputTopic<String, ToolResult> results;
    private TestInputTopic<String, SessionCommand> commands;
    private TestInputTopic<String, ToolDefinition> catalog;
    private TestInputTopic<String, WorkerHeartbeat> heartbeats;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private CompletionLedger.ResponsesOutput responses;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() {
        session = new SessionTopologyFixture(topics, "test", config, START);
        catalog = session.input(topics.toolCatalog, START);
        turns = ledger.turns(session.input(topics.turns, START));
        steps = session.input(topics.agentSteps, START);
        results = session.input(topics.toolResults, START);
        commands = session.input(topics.sessionCommands, START);
        invocations = session.output(topics.agentRequests);
        toolRequests = session.output(topics.tools("small"));
        responses = ledger.responses(session.output(topics.responses));
        deadLetters = session.output(topics.deadLetters);
        heartbeats = session.input(topics.workers, START);
        catalog.pipeInput("calculator", calculator());
        heartbeats.pipeInput("worker-1", worker("worker-1", List.of("small"), 2, 4, 0));
    }

    @AfterEach
    void stop() {
        // Whatever path a test took, every turn it sent ends with exactly one completion.
        session.closeAfterChecking(ledger);
    }

    @Test
    void simpleTurnInvokesTheAgentAndCompletesWithItsAnswer() {
        turns.pipeInput(ADDRESS, turn("t1", "hello"));

        AgentInvocation invocation = invocations.readValue();
        assertThat(invocation.getTurnId()).isEqualTo("t1");
        assertThat(invocation.getStep()).isZero();
        assertThat(invocation.getAgent()).isEqualTo("demo");
        assertThat(invocation.getMessages()).extracting(ChatMessage::getContent).containsExactly("hello");
        assertThat(invocation.getTools()).extracting(ToolDefinition::getName).containsExactly("calculator");

        steps.pipeInput(ADDRESS, answer("t1", 0, "hi there"));

        TurnCompleted completed = responses.readValue();
        assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(completed.getAnswer()).isEqualTo("hi there");
        assertThat(history()).extracting(ChatMessage::getRole).containsExactly(Role.USER, Role.ASSISTANT);
        assertThat(meta().getStatus()).isEqualTo(SessionStatus.IDLE);
    }

    @Test
    void toolTurnDispatchesTheCallAndFeedsTheResultBack() {
        turns.pipeInput(ADDRESS, turn("t1", "what is 12*7?"));
        invocations.readValue();
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("c1", "calculator", "{\"expression\":\"12*7\"}")));

        var request = toolRequests.readKeyValue();
        assertThat(request.key).isEqualTo("c1");
        assertThat(request.value.getTool()).isEqualTo("calculator");
        assertThat(request.value.getTier()).isEqualTo("small");
        assertThat(invocations.isEmpty()).isTrue();
        assertThat(meta().getStatus()).isEqualTo(SessionStatus.AWAITING_TOOLS);

        results.pipeInput(ADDRESS, result("t1", 0, "c1", ToolStatus.OK, "84"));
        AgentInvocation next = invocations.readValue();
        assertThat(next.getStep()).isEqualTo(1);
        assertThat(next.getMessages())
                .extracting(ChatMessage::getRole)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL);

        steps.pipeInput(ADDRESS, answer("t1", 1, "12*7 = 84"));
        TurnCompleted completed = responses.readValue();
        assertThat(completed.getAnswer()).isEqualTo("12*7 = 84");
        assertThat(completed.getSteps()).isEqualTo(2);
        assertThat(completed.getToolCalls()).isEqualTo(1);
        List<ChatMessage> history = history();
        assertThat(history)
                .extracting(ChatMessage::getRole)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(history).extracting(ChatMessage::getSequence).containsExactly(0L, 1L, 2L, 3L);
        assertThat(history.get(1).getToolCalls())
                .extracting(ToolCall::getCallId)
                .containsExactly("c1");
        assertThat(history.get(2).getToolCallId()).isEqualTo("c1");
        assertThat(history.get(2).getContent()).isEqualTo("84");
        assertThat(history.get(2).getWorker()).isEqualTo("worker-1");
    }

    @Test
    void parallelCallsAreAnsweredInCallOrderWhateverOrderResultsArrive() {
        turns.pipeInput(ADDRESS, turn("t1", "two sums"));
        steps.pipeInput(
                ADDRESS,
                toolCalls(
                        "t1",
                        0,
                        new ToolCall("a", "calculator", "{\"expression\":\"1+1\"}"),
                        new ToolCall("b", "calculator", "{\"expression\":\"2+2\"}")));
        assertThat(toolRequests.readKeyValuesToList().stream().map(kv -> kv.key).toList())
                .containsExactly("a", "b");

        results.pipeInput(ADDRESS, result("t1", 0, "b", ToolStatus.OK, "4"));
        assertThat(invocations.readValuesToList()).hasSize(1); // step 0 only: still waiting for "a"
        results.pipeInput(ADDRESS, result("t1", 0, "a", ToolStatus.OK, "2"));

        AgentInvocation next = invocations.readValue();
        assertThat(next.getMessages().subList(2, 4))
                .extracting(ChatMessage::getToolCallId)
                .containsExactly("a", "b");
    }

    @Test
    void duplicateTurnIdsAreDroppedWhileActiveAndAfterCompletion() {
        turns.pipeInput(ADDRESS, turn("t1", "hello"));
        turns.pipeInput(ADDRESS, turn("t1", "hello"));
        assertThat(invocations.readValuesToList()).hasSize(1);

        steps.pipeInput(ADDRESS, answer("t1", 0, "hi"));
        turns.pipeInput(ADDRESS, turn("t1", "hello"));

        assertThat(invocations.isEmpty()).isTrue();
        assertThat(responses.readValuesToList()).hasSize(1);
        assertThat(history()).hasSize(2);
        assertThat(meta().getEventsDropped()).isEqualTo(2);
    }

    @Test
    void staleStepsAndDuplicateToolResultsAreDropped() {
        turns.pipeInput(ADDRESS, turn("t1", "what is 1+1"));
        invocations.readValue();
        steps.pipeInput(ADDRESS, answer("other-turn", 0, "wrong turn"));
        steps.pipeInput(ADDRESS, answer("t1", 3, "wrong step"));
        assertThat(responses.isEmpty()).isTrue();

        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("c1", "calculator", "{\"expression\":\"1+1\"}")));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("c9", "calculator", "{\"expression\":\"9\"}")));
        assertThat(toolRequests.readKeyValuesToList().stream().map(kv -> kv.key).toList())
                .containsExactly("c1");

        results.pipeInput(ADDRESS, result("t1", 0, "c1", ToolStatus.OK, "2"));
        results.pipeInput(ADDRESS, result("t1", 0, "c1", ToolStatus.OK, "2 (redelivered)"));
        results.pipeInput(ADDRESS, result("t1", 0, "unknown-call", ToolStatus.OK, "?"));

        assertThat(invocations.readValuesToList()).hasSize(1);
        assertThat(history())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .extracting(ChatMessage::getContent)
                .containsExactly("2");
        assertThat(meta().getEventsDropped()).isEqualTo(5);
    }

    @Test
    void turnsQueueWhileTheSessionIsBusyAndRunInOrder() {
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));
        turns.pipeInput(ADDRESS, turn("t3", "third"));
        turns.pipeInput(ADDRESS, turn("t4", "fourth: over the limit of 2"));

        assertThat(invocations.readValuesToList())
                .extracting(AgentInvocation::getTurnId)
                .containsExactly("t1");
        TurnCompleted rejected = responses.readValue();
        assertThat(rejected.getTurnId()).isEqualTo("t4");
        assertThat(rejected.getStatus()).isEqualTo(TurnStatus.REJECTED);
        assertThat(rejected.getError()).contains("busy").contains("limit 2");

        steps.pipeInput(ADDRESS, answer("t1", 0, "one"));
        assertThat(invocations.readValue().getTurnId()).isEqualTo("t2");
        steps.pipeInput(ADDRESS, answer("t2", 0, "two"));
        assertThat(invocations.readValue().getTurnId()).isEqualTo("t3");
        steps.pipeInput(ADDRESS, answer("t3", 0, "three"));

        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId)
                .containsExactly("t1", "t2", "t3");
        assertThat(history())
                .extracting(ChatMessage::getContent)
                .containsExactly("first", "one", "second", "two", "third", "three");
    }

    @Test
    void aTurnPastItsDeadlineFailsClearlyAndLateEventsAreDropped() {
        turns.pipeInput(ADDRESS, turn("t1", "what is 2*2"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("c1", "calculator", "{\"expression\":\"2*2\"}")));
        session.driver.advanceWallClockTime(Duration.ofSeconds(29));
        assertThat(responses.isEmpty()).isTrue();

        session.driver.advanceWallClockTime(Duration.ofSeconds(2));

        TurnCompleted failed = responses.readValue();
        assertThat(failed.getStatus()).isEqualTo(TurnStatus.FAILED);
        assertThat(failed.getError()).contains("timed out after 30000 ms").contains("calculator c1");
        // The failed turn's tool call is answered, and an assistant marker closes the turn.
        assertThat(history())
                .extracting(ChatMessage::getRole)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(history().get(2).getToolStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(history().get(3).getOutcome()).isEqualTo(TurnOutcome.FAILED);
        assertThat(history().get(3).getContent()).startsWith("[turn failed: turn timed out after 30000 ms");

        results.pipeInput(ADDRESS, result("t1", 0, "c1", ToolStatus.OK, "4"));
        assertThat(invocations.readValuesToList()).hasSize(1);
        assertThat(responses.isEmpty()).isTrue();
        assertThat(meta().getStatus()).isEqualTo(SessionStatus.IDLE);
    }

    @Test
    void aTurnMayBringItsOwnDeadlineAndTheNextQueuedTurnStartsAfterATimeout() {
        TurnRequested quick = turn("t1", "hurry");
        quick.setTimeoutMs(1000L);
        turns.pipeInput(ADDRESS, quick);
        turns.pipeInput(ADDRESS, turn("t2", "next"));

        session.driver.advanceWallClockTime(Duration.ofMillis(1500));

        assertThat(responses.readValue().getError())
                .contains("timed out after 1000 ms")
                .contains("agent 'demo'");
        assertThat(invocations.readValuesToList())
                .extracting(AgentInvocation::getTurnId)
                .containsExactly("t1", "t2");
    }

    @Test
    void unknownToolsAndInvalidArgumentsGetAnErrorResultWithoutDispatch() {
        turns.pipeInput(ADDRESS, turn("t1", "do things"));
        invocations.readValue();
        steps.pipeInput(
                ADDRESS,
                toolCalls("t1", 0, new ToolCall("c1", "teleport", "{}"), new ToolCall("c2", "calculator", "[1,2]")));

        assertThat(toolRequests.isEmpty()).isTrue();
        AgentInvocation next = invocations.readValue();
        assertThat(next.getStep()).isEqualTo(1);
        List<ChatMessage> toolMessages = next.getMessages().subList(2, 4);
        assertThat(toolMessages).extracting(ChatMessage::getToolStatus).containsOnly(ToolStatus.ERROR);
        assertThat(toolMessages.get(0).getContent())
                .contains("unknown tool 'teleport'")
                .contains("calculator");
        assertThat(toolMessages.get(1).getContent()).contains("must be a JSON object");
    }

    @Test
    void callsGoToTheSmallestTierThatFitsAndHasALiveWorkerThatFits() {
        heartbeats.pipeInput("big", worker("big", List.of("large"), 16, 64, 0));
        heartbeats.pipeInput("gpu", worker("gpu", List.of("gpu"), 8, 32, 1));
        catalog.pipeInput("embed", tool("embed", needs(2, 16, 0), false, false));
        catalog.pipeInput("vision", tool("vision", needs(1, 8, 1), false, false));
        catalog.pipeInput("tiny", tool("tiny", needs(0.5, 0, 0), false, false));
        TestOutputTopic<String, ToolRequest> large = toolTopic("large");
        TestOutputTopic<String, ToolRequest> gpu = toolTopic("gpu");

        turns.pipeInput(ADDRESS, turn("t1", "three tools"));
        steps.pipeInput(
                ADDRESS,
                toolCalls(
                        "t1",
                        0,
                        new ToolCall("a", "embed", "{\"n\":1}"),
                        new ToolCall("b", "vision", "{\"n\":2}"),
                        new ToolCall("c", "tiny", "{\"n\":3}")));

        assertThat(large.readValuesToList()).extracting(ToolRequest::getCallId).containsExactly("a");
        assertThat(gpu.readValuesToList()).extracting(ToolRequest::getCallId).containsExactly("b");
        assertThat(toolRequests.readValuesToList())
                .extracting(ToolRequest::getCallId)
                .containsExactly("c");
    }

    @Test
    void aCallNoLiveWorkerCanRunGetsAnErrorThatNamesTheMissingResource() {
        catalog.pipeInput("vision", tool("vision", needs(1, 8, 1), false, false));
        catalog.pipeInput("huge", tool("huge", needs(1, 1024, 0), false, false));
        heartbeats.pipeInput("gpu", worker("gpu", List.of("gpu"), 8, 32, 1));
        session.driver.advanceWallClockTime(Duration.ofSeconds(20)); // the gpu worker's heartbeat is now too old
        heartbeats.pipeInput("worker-1", worker("worker-1", List.of("small"), 2, 4, 0, START.plusSeconds(20)));

        turns.pipeInput(ADDRESS, turn("t1", "look at this"));
        steps.pipeInput(
                ADDRESS,
                toolCalls("t1", 0, new ToolCall("a", "vision", "{\"n\":1}"), new ToolCall("b", "huge", "{\"n\":1}")));

        assertThat(toolTopic("gpu").isEmpty()).isTrue();
        AgentInvocation next = invocations.readValuesToList().getLast();
        assertThat(next.getStep()).isEqualTo(1);
        List<ChatMessage> results = next.getMessages().subList(2, 4);
        assertThat(results.get(0).getContent()).contains("no live worker with tool vision serves tier gpu");
        assertThat(results.get(1).getContent()).contains("no tier can run huge").contains("memory=1024 GiB");
    }

    @Test
    void aLiveWorkerTooSmallForTheCallIsNamedByWhatItLacks() {
        heartbeats.pipeInput("worker-1", worker("worker-1", List.of("small", "large"), 2, 4, 0));
        catalog.pipeInput("embed", tool("embed", needs(2, 16, 0), false, false));
        turns.pipeInput(ADDRESS, turn("t1", "embed"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("a", "embed", "{\"n\":1}")));

        assertThat(invocations.readValuesToList().getLast().getMessages().get(2).getContent())
                .contains("no live worker offers memory=16 GiB");
    }

    @Test
    void argumentsThatBreakTheToolsSchemaAreRefusedWithTheReason() {
        catalog.pipeInput("tiny", tool("tiny", needs(0.5, 0, 0), false, false));
        turns.pipeInput(ADDRESS, turn("t1", "x"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("a", "tiny", "{\"n\":\"three\",\"m\":1}")));

        assertThat(toolRequests.isEmpty()).isTrue();
        String error =
                invocations.readValuesToList().getLast().getMessages().get(2).getContent();
        assertThat(error)
                .contains("invalid arguments for tiny")
                .contains("integer")
                .contains("m");
    }

    @Test
    void aCacheableToolsResultIsReusedForEqualArgumentsWithoutDispatching() {
        catalog.pipeInput("square", tool("square", needs(0.5, 0, 0), true, false));
        turns.pipeInput(ADDRESS, turn("t1", "square 3"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("a", "square", "{\"n\": 3}")));
        assertThat(toolRequests.readValuesToList()).hasSize(1);
        results.pipeInput(ADDRESS, result("t1", 0, "a", ToolStatus.OK, "9"));
        steps.pipeInput(ADDRESS, answer("t1", 1, "9"));

        turns.pipeInput(ADDRESS, turn("t2", "square 3 again"));
        steps.pipeInput(ADDRESS, toolCalls("t2", 0, new ToolCall("b", "square", "{\"n\":3}")));

        assertThat(toolRequests.isEmpty()).isTrue();
        ChatMessage cached = history().getLast();
        assertThat(cached.getRole()).isEqualTo(Role.TOOL);
        assertThat(cached.getToolCallId()).isEqualTo("b");
        assertThat(cached.getContent()).isEqualTo("9");
        assertThat(cached.getCached()).isTrue();
        assertThat(history().get(2).getCached()).isFalse();

        steps.pipeInput(ADDRESS, answer("t2", 1, "9"));
        session.driver.advanceWallClockTime(Duration.ofMinutes(11)); // past the 10-minute default time to live
        heartbeats.pipeInput("worker-1", worker("worker-1", List.of("small"), 2, 4, 0, START.plusSeconds(660)));
        turns.pipeInput(ADDRESS, turn("t3", "square 3 once more"));
        steps.pipeInput(ADDRESS, toolCalls("t3", 0, new ToolCall("c", "square", "{\"n\":3}")));
        assertThat(toolRequests.readValuesToList()).hasSize(1);
    }

    @Test
    void aCacheableResultIsPublishedToTheSharedCacheTopicKeyedByCallAndStampedWhenStored() {
        TestOutputTopic<String, ToolResult> cacheTopic = session.output(topics.resultCache);
        catalog.pipeInput("square", tool("square", needs(0.5, 0, 0), true, false));
        turns.pipeInput(ADDRESS, turn("t1", "square 3"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("a", "square", "{\"n\": 3}")));
        session.driver.advanceWallClockTime(Duration.ofSeconds(2));
        results.pipeInput(ADDRESS, result("t1", 0, "a", ToolStatus.OK, "9"));
        steps.pipeInput(ADDRESS, answer("t1", 1, "9"));

        // Every task's store is fed from this topic, whatever partition the session is on.
        var entry = cacheTopic.readRecord();
        assertThat(entry.key()).matches("square@1#[0-9a-f]{64}");
        assertThat(entry.value().getOutput()).isEqualTo("9");
        assertThat(entry.timestamp()).isEqualTo(START.plusSeconds(2).toEpochMilli());
        assertThat(cacheTopic.isEmpty()).isTrue();
    }

    @Test
    void aToolThatRequiresApprovalRunsOnlyOnceApprovedAndADenialIsAnErrorTheAgentReads() {
        catalog.pipeInput("deploy", tool("deploy", needs(0.5, 0, 0), false, true));
        turns.pipeInput(ADDRESS, turn("t1", "deploy twice"));
        steps.pipeInput(
                ADDRESS,
                toolCalls("t1", 0, new ToolCall("a", "deploy", "{\"n\":1}"), new ToolCall("b", "deploy", "{\"n\":2}")));
        assertThat(toolRequests.isEmpty()).isTrue();

        commands.pipeInput(ADDRESS, command(CommandKind.APPROVE_TOOL_CALL, "a", null));
        assertThat(toolRequests.readValuesToList())
                .extracting(ToolRequest::getCallId)
                .containsExactly("a");
        commands.pipeInput(ADDRESS, command(CommandKind.DENY_TOOL_CALL, "b", "not on a Friday"));
        results.pipeInput(ADDRESS, result("t1", 0, "a", ToolStatus.OK, "deployed"));

        AgentInvocation next = invocations.readValuesToList().getLast();
        assertThat(next.getStep()).isEqualTo(1);
        assertThat(next.getMessages().get(3).getContent()).isEqualTo("a person denied this call: not on a Friday");
        assertThat(toolRequests.isEmpty()).isTrue();
    }

    @Test
    void retryableAgentErrorsAreRetriedThenTheTurnFailsWithTheReason() {
        turns.pipeInput(ADDRESS, turn("t1", "hello"));
        for (int i = 0; i < 3; i++) {
            steps.pipeInput(ADDRESS, error("t1", 0, "rate limited", true));
        }
        assertThat(invocations.readValuesToList())
                .extracting(AgentInvocation::getAttempt)
                .containsExactly(1, 2, 3);
        TurnCompleted failed = responses.readValue();
        assertThat(failed.getStatus()).isEqualTo(TurnStatus.FAILED);
        assertThat(failed.getError()).contains("rate limited").contains("after 3 attempts");

        turns.pipeInput(ADDRESS, turn("t2", "again"));
        steps.pipeInput(ADDRESS, error("t2", 0, "invalid api key", false));
        assertThat(responses.readValue().getError()).isEqualTo("agent 'demo' failed: invalid api key");
    }

    @Test
    void aFailedTurnIsClosedInTheHistorySoTheNextTurnsContextAlternates() {
        turns.pipeInput(ADDRESS, turn("t1", "book the 09:55"));
        steps.pipeInput(ADDRESS, error("t1", 0, "invalid api key", false));
        assertThat(responses.readValue().getStatus()).isEqualTo(TurnStatus.FAILED);

        turns.pipeInput(ADDRESS, turn("t2", "and now?"));

        AgentInvocation next = invocations.readValuesToList().getLast();
        assertThat(next.getMessages())
                .extracting(ChatMessage::getRole, ChatMessage::getContent, ChatMessage::getOutcome)
                .containsExactly(
                        tuple(Role.USER, "book the 09:55", null),
                        tuple(
                                Role.ASSISTANT,
                                "[turn failed: agent 'demo' failed: invalid api key]",
                                TurnOutcome.FAILED),
                        tuple(Role.USER, "and now?", null));
    }

    @Test
    void anAnswerThatAsksForInputSaysSoInTheCompletionAndKeepsItsContinuation() {
        turns.pipeInput(ADDRESS, turn("t1", "a train to Berlin"));
        steps.pipeInput(
                ADDRESS,
                step("t1", 0, StepKind.FINAL)
                        .setContent("Which Friday?")
                        .setContinuation("task-7")
                        .setAwaitingInput(true)
                        .build());

        TurnCompleted completed = responses.readValue();
        assertThat(completed.getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(completed.getAwaitingInput()).isTrue();
        assertThat(history().getLast().getContinuation()).isEqualTo("task-7");
        assertThat(history().getLast().getAwaitingInput()).isTrue();
    }

    @Test
    void aHandoffRecordsTheTransferAndTheNextStepAndLaterTurnsGoToTheNewAgent() {
        turns.pipeInput(ADDRESS, turn("t1", "I want a refund"));
        steps.pipeInput(
                ADDRESS,
                step("t1", 0, StepKind.HANDOFF)
                        .setHandoffTo("refunds")
                        .setToolCalls(List.of(new ToolCall("h1", "transfer_to_refunds", "{}")))
                        .build());

        AgentInvocation next = invocations.readValuesToList().getLast();
        assertThat(next.getAgent()).isEqualTo("refunds");
        assertThat(next.getStep()).isEqualTo(1);
        steps.pipeInput(
                ADDRESS,
                step("t1", 1, StepKind.FINAL)
                        .setAgent("refunds")
                        .setContent("Refund issued.")
                        .build());

        TurnCompleted done = responses.readValue();
        assertThat(done.getAgent()).isEqualTo("refunds");
        assertThat(done.getAnswer()).isEqualTo("Refund issued.");
        List<ChatMessage> history = history();
        assertThat(history)
                .extracting(ChatMessage::getRole)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(history).extracting(ChatMessage::getAgent).containsExactly("demo", "demo", "demo", "refunds");
        assertThat(history.get(1).getToolCalls()).extracting(ToolCall::getName).containsExactly("transfer_to_refunds");
        assertThat(history.get(2).getToolCallId()).isEqualTo("h1");

        turns.pipeInput(ADDRESS, turn("t2", "and another one"));
        assertThat(invocations.readValuesToList().getLast().getAgent()).isEqualTo("refunds");
    }

    @Test
    void clearingHistoryCancelsTheActiveTurnAndStartsAfresh() {
        turns.pipeInput(ADDRESS, turn("t1", "hello"));
        steps.pipeInput(ADDRESS, answer("t1", 0, "hi"));
        turns.pipeInput(ADDRESS, turn("t2", "still there?"));
        commands.pipeInput(
                ADDRESS,
                SessionCommand.newBuilder()
                        .setTenant("acme")
                        .setSessionId("s1")
                        .setCommandId("cmd1")
                        .setKind(CommandKind.CLEAR_HISTORY)
                        .setIssuedAtMs(0)
                        .build());

        List<TurnCompleted> done = responses.readValuesToList();
        assertThat(done)
                .extracting(TurnCompleted::getStatus)
                .containsExactly(TurnStatus.COMPLETED, TurnStatus.CANCELLED);
        assertThat(history()).isEmpty();

        turns.pipeInput(ADDRESS, turn("t3", "fresh start"));
        assertThat(history()).extracting(ChatMessage::getContent).containsExactly("fresh start");
        assertThat(invocations.readValuesToList().getLast().getMessages()).hasSize(1);
    }

    @Test
    void cancellingAQueuedTurnEndsItAndTheQueueGoesOnWithoutIt() {
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));
        turns.pipeInput(ADDRESS, turn("t3", "third"));
        commands.pipeInput(
                ADDRESS,
                SessionCommand.newBuilder()
                        .setTenant("acme")
                        .setSessionId("s1")
                        .setCommandId("cmd1")
                        .setKind(CommandKind.CANCEL_TURN)
                        .setTurnId("t2")
                        .setIssuedAtMs(0)
                        .build());

        assertThat(deadLetters.isEmpty()).isTrue();
        TurnCompleted cancelled = responses.readValue();
        assertThat(cancelled.getTurnId()).isEqualTo("t2");
        assertThat(cancelled.getStatus()).isEqualTo(TurnStatus.CANCELLED);
        assertThat(cancelled.getError()).isEqualTo("cancelled on request");
        assertThat(meta().getQueuedTurns()).extracting(TurnRequested::getTurnId).containsExactly("t3");

        steps.pipeInput(ADDRESS, answer("t1", 0, "one"));
        steps.pipeInput(ADDRESS, answer("t3", 0, "three"));

        assertThat(invocations.readValuesToList())
                .extracting(AgentInvocation::getTurnId)
                .containsExactly("t1", "t3");
        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId)
                .containsExactly("t1", "t3");
        assertThat(history()).extracting(ChatMessage::getContent).containsExactly("first", "one", "third", "three");
    }

    @Test
    void aTurnThatUsesAllItsStepsFailsOnceAndTheNextQueuedTurnRuns() {
        turns.pipeInput(ADDRESS, turn("t1", "loop"));
        turns.pipeInput(ADDRESS, turn("t2", "after the loop"));
        for (int step = 0; step < config.maxSteps(); step++) {
            String callId = "c" + step;
            steps.pipeInput(
                    ADDRESS, toolCalls("t1", step, new ToolCall(callId, "calculator", "{\"expression\":\"1\"}")));
            results.pipeInput(ADDRESS, result("t1", step, callId, ToolStatus.OK, "1"));
        }

        TurnCompleted failed = responses.readValue();
        assertThat(failed.getTurnId()).isEqualTo("t1");
        assertThat(failed.getStatus()).isEqualTo(TurnStatus.FAILED);
        assertThat(failed.getError()).contains("within " + config.maxSteps() + " steps");
        assertThat(invocations.readValuesToList().getLast().getTurnId()).isEqualTo("t2");
    }

    @Test
    void cancellingTheActiveTurnEndsItOnceAndStartsTheNextQueuedTurn() {
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));
        steps.pipeInput(ADDRESS, toolCalls("t1", 0, new ToolCall("c1", "calculator", "{\"expression\":\"1\"}")));
        commands.pipeInput(ADDRESS, cancel("cmd1", null));
        commands.pipeInput(ADDRESS, cancel("cmd2", "t1"));
        results.pipeInput(ADDRESS, result("t1", 0, "c1", ToolStatus.OK, "1"));
        steps.pipeInput(ADDRESS, answer("t1", 0, "late"));

        TurnCompleted cancelled = responses.readValue();
        assertThat(cancelled.getTurnId()).isEqualTo("t1");
        assertThat(cancelled.getStatus()).isEqualTo(TurnStatus.CANCELLED);
        assertThat(responses.isEmpty()).isTrue();
        assertThat(invocations.readValuesToList().getLast().getTurnId()).isEqualTo("t2");
    }

    @Test
    void clearingHistoryCancelsTheActiveAndEveryQueuedTurnOnce() {
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));
        turns.pipeInput(ADDRESS, turn("t3", "third"));
        commands.pipeInput(ADDRESS, clear("cmd1"));
        commands.pipeInput(ADDRESS, clear("cmd2"));
        turns.pipeInput(ADDRESS, turn("t2", "second, sent again"));

        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus)
                .containsExactly(
                        org.assertj.core.api.Assertions.tuple("t1", TurnStatus.CANCELLED),
                        org.assertj.core.api.Assertions.tuple("t2", TurnStatus.CANCELLED),
                        org.assertj.core.api.Assertions.tuple("t3", TurnStatus.CANCELLED));
        assertThat(meta().getStatus()).isEqualTo(SessionStatus.IDLE);
    }

    @Test
    void aTurnIdSentAgainWhileQueuedAfterRejectionOrAfterCancellationIsNotRunTwice() {
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));
        turns.pipeInput(ADDRESS, turn("t2", "second again, while queued"));
        turns.pipeInput(ADDRESS, turn("t3", "third"));
        turns.pipeInput(ADDRESS, turn("t4", "rejected"));
        turns.pipeInput(ADDRESS, turn("t4", "rejected, sent again"));
        commands.pipeInput(ADDRESS, cancel("cmd1", "t3"));
        turns.pipeInput(ADDRESS, turn("t3", "cancelled, sent again"));
        steps.pipeInput(ADDRESS, answer("t1", 0, "one"));
        steps.pipeInput(ADDRESS, answer("t2", 0, "two"));
        turns.pipeInput(ADDRESS, turn("t1", "done, sent again"));

        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId)
                .containsExactly("t4", "t3", "t1", "t2");
        assertThat(invocations.readValuesToList())
                .extracting(AgentInvocation::getTurnId)
                .containsExactly("t1", "t2");
    }

    @Test
    void aTurnWhoseAgentFailsWhileTurnsAreQueuedEndsOnceAndTheQueueGoesOn() {
        turns.pipeInput(ADDRESS, turn("t1", "first"));
        turns.pipeInput(ADDRESS, turn("t2", "second"));
        steps.pipeInput(ADDRESS, error("t1", 0, "invalid api key", false));
        steps.pipeInput(ADDRESS, error("t1", 0, "invalid api key (redelivered)", false));
        steps.pipeInput(
                ADDRESS,
                step("t2", 0, StepKind.TOOL_CALLS).setToolCalls(List.of()).build());
        steps.pipeInput(ADDRESS, answer("t2", 0, "too late"));

        assertThat(responses.readValuesToList())
                .extracting(TurnCompleted::getTurnId, TurnCompleted::getStatus)
                .containsExactly(
                        org.assertj.core.api.Assertions.tuple("t1", TurnStatus.FAILED),
                        org.assertj.core.api.Assertions.tuple("t2", TurnStatus.FAILED));
    }

    @Test
    void eventsWhoseKeyNamesAnotherSessionGoToTheDeadLetterTopic() {
        turns.pipeInput("acme/other", turn("t1", "hello"));
        turns.pipeInput("not-an-address", turn("t2", "hello"));

        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).hasSize(2);
        assertThat(letters.get(0).getCause()).contains("does not match");
        assertThat(letters.get(1).getCause()).contains("invalid session address");
        assertThat(invocations.isEmpty()).isTrue();
    }

    @Test
    void eachInputHasARerouteSinkBackToItsOwnTopic() {
        // The test session.driver delivers every record on partition 0, so it cannot put one on a partition that
        // does not own its session (SessionProcessorTest does, with MockProcessorContext): here, the wiring.
        var description =
                SessionTopology.build(topics, config, new SessionPartitions(4)).describe();
        Map<String, String> sinks = new java.util.TreeMap<>();
        description
                .subtopologies()
                .forEach(sub -> sub.nodes().stream()
                        .filter(node -> node instanceof org.apache.kafka.streams.TopologyDescription.Sink)
                        .map(node -> (org.apache.kafka.streams.TopologyDescription.Sink) node)
                        .filter(sink -> sink.name().endsWith("-reroute"))
                        .forEach(sink -> sinks.put(sink.name(), sink.topic())));

        assertThat(sinks)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        SessionTopology.TURNS_REROUTE, topics.turns.name(),
                        SessionTopology.SESSION_COMMANDS_REROUTE, topics.sessionCommands.name(),
                        SessionTopology.AGENT_STEPS_REROUTE, topics.agentSteps.name(),
                        SessionTopology.TOOL_RESULTS_REROUTE, topics.toolResults.name()));
        assertThat(description.subtopologies()).hasSize(1);
    }

    @Test
    void unreadableRecordsAreSkippedAndProcessingGoesOn() {
        TestInputTopic<String, byte[]> raw = session.driver.createInputTopic(
                topics.turns.name(), Serdes.String().serializer(), new ByteArraySerializer(), START, Duration.ZERO);
        raw.pipeInput(ADDRESS, new byte[] {1, 2, 3});
        turns.pipeInput(ADDRESS, turn("t1", "hello"));

        // The dead letter itself is asserted in DeadLetterHandlerTest: the test session.driver does not
        // deliver records a handler returns.
        assertThat(invocations.readValue().getTurnId()).isEqualTo("t1");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private TestOutputTopic<String, ToolRequest> toolTopic(String tier) {
        return session.output(topics.tools(tier));
    }

    private static ResourceSpec needs(double cpus, long memoryGib, int gpus) {
        return ResourceSpec.newBuilder()
                .setCpus(cpus)
                .setMemoryBytes(Math.max(memoryGib << 30, 1L << 28))
                .setGpus(gpus)
                .build();
    }

    private static SessionCommand command(CommandKind kind, String callId, String reason) {
        return SessionCommand.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setCommandId("cmd-" + callId)
                .setKind(kind)
                .setCallId(callId)
                .setReason(reason)
                .setIssuedAtMs(0)
                .build();
    }

    private static SessionCommand cancel(String commandId, String turnId) {
        return SessionCommand.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setCommandId(commandId)
                .setKind(CommandKind.CANCEL_TURN)
                .setTurnId(turnId)
                .setIssuedAtMs(0)
                .build();
    }

    private static SessionCommand clear(String commandId) {
        return SessionCommand.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setCommandId(commandId)
                .setKind(CommandKind.CLEAR_HISTORY)
                .setIssuedAtMs(0)
                .build();
    }

    private List<ChatMessage> history() {
        return session.history(ADDRESS);
    }

    private SessionMeta meta() {
        return session.meta(ADDRESS);
    }

    private static TurnRequested turn(String turnId, String message) {
        return TurnRequested.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setMessage(message)
                .setRequestedAtMs(START.toEpochMilli())
                .build();
    }

    private static AgentStep.Builder step(String turnId, int step, StepKind kind) {
        return AgentStep.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setStep(step)
                .setAgent("demo")
                .setKind(kind)
                .setProducedAtMs(0);
    }

    private static AgentStep answer(String turnId, int step, String content) {
        return step(turnId, step, StepKind.FINAL).setContent(content).build();
    }

    private static AgentStep toolCalls(String turnId, int step, ToolCall... calls) {
        return step(turnId, step, StepKind.TOOL_CALLS)
                .setToolCalls(List.of(calls))
                .build();
    }

    private static AgentStep error(String turnId, int step, String error, boolean retryable) {
        return step(turnId, step, StepKind.ERROR)
                .setError(error)
                .setRetryable(retryable)
                .build();
    }

    private static ToolResult result(String turnId, int step, String callId, ToolStatus status, String output) {
        return ToolResult.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setStep(step)
                .setCallId(callId)
                .setTool("calculator")
                .setStatus(status)
                .setOutput(output)
                .setWorker("worker-1")
                .setCompletedAtMs(0)
                .build();
    }

    private static ToolDefinition calculator() {
        return ToolDefinition.newBuilder()
                .setName("calculator")
                .setDescription("arithmetic")
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .build();
    }

    private static ToolDefinition tool(String name, ResourceSpec needs, boolean cacheable, boolean approval) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription(name)
                .setParametersSchema("{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
                        + "\"required\":[\"n\"],\"additionalProperties\":false}")
                .setResources(needs)
                .setRetry(RetryPolicy.newBuilder().build())
                .setCacheable(cacheable)
                .setRequiresApproval(approval)
                .build();
    }

    private static WorkerHeartbeat worker(String id, List<String> tiers, double cpus, long memoryGib, int gpus) {
        return worker(id, tiers, cpus, memoryGib, gpus, START);
    }

    private static WorkerHeartbeat worker(
            String id, List<String> tiers, double cpus, long memoryGib, int gpus, Instant at) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(id)
                .setHost("test")
                .setTiers(tiers)
                .setCapabilities(ResourceSpec.newBuilder()
                        .setCpus(cpus)
                        .setMemoryBytes(memoryGib << 30)
                        .setGpus(gpus)
                        .build())
                .setTools(List.of("calculator", "embed", "vision", "tiny", "huge", "square", "deploy"))
                .setStartedAtMs(START.toEpochMilli())
                .setTimestampMs(at.toEpochMilli())
                .build();
    }
}
