package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.answer;
import static dev.skein.topologies.session.SessionEvents.decision;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.CommandKind;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.tracing.TraceHeaders;
import dev.skein.topologies.tracing.TopologySpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The topology's side of a trace, through the production topology: each input record gets a pass
 * span, a child of the context in its headers; each record the pass emits carries the pass's
 * context; the completion names the trace; a cache hit and an approval are spans of their own.
 */
class TopologyTracingTest {

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private static final String ADDRESS = "acme/s1";
    private static final String CALC_ARGS = "{\"n\":3}";

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    private SessionTopologyFixture session;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, ToolRequest> toolRequests;
    private TestOutputTopic<String, TurnCompleted> responses;

    @BeforeEach
    void start() {
        SessionTopologyConfig config =
                TestSessionConfig.builder().turnTimeout(Duration.ofSeconds(30)).build();
        session = new SessionTopologyFixture(topics, "test", config, Instant.ofEpochMilli(START_MS));
        session.addTools(tool("calculator", 1, true, false), tool("deploy", 1, false, true));
        session.addWorker(worker("worker-1", "small", 2, START_MS));
        invocations = session.output(topics.agentRequests);
        toolRequests = session.output(topics.tools("small"));
        responses = session.output(topics.responses);
        otel.clearSpans();
    }

    @AfterEach
    void stop() {
        session.close();
    }

    @Test
    void everyHopOfAToolTurnContinuesTheTraceItsTurnCameWith() {
        Span client = span("client");
        pipe(topics.turns, turn("t1", "what is 3 squared?"), client);

        var invocation = invocations.readRecord();
        SpanData turnPass = pass("TurnRequested");
        assertThat(turnPass.getParentSpanId()).isEqualTo(client.getSpanContext().getSpanId());
        assertThat(turnPass.getTraceId()).isEqualTo(client.getSpanContext().getTraceId());
        assertThat(turnPass.getAttributes().get(TopologySpans.TURN)).isEqualTo("t1");
        assertThat(turnPass.getAttributes().get(TopologySpans.SESSION)).isEqualTo(ADDRESS);
        assertCarries(invocation.headers(), turnPass);

        Span runner = childOf(invocation.headers(), "runner");
        pipe(topics.agentSteps, toolCalls("t1", 0, new ToolCall("c1", "calculator", CALC_ARGS)), runner);
        var request = toolRequests.readRecord();
        SpanData stepPass = pass("AgentStep");
        assertThat(stepPass.getParentSpanId()).isEqualTo(runner.getSpanContext().getSpanId());
        assertCarries(request.headers(), stepPass);

        Span workerSpan = childOf(request.headers(), "worker");
        pipe(topics.toolResults, result("c1", "9"), workerSpan);
        var next = invocations.readRecord();
        SpanData resultPass = pass("ToolResult");
        assertThat(resultPass.getParentSpanId())
                .isEqualTo(workerSpan.getSpanContext().getSpanId());
        assertCarries(next.headers(), resultPass);

        Span finalStep = childOf(next.headers(), "runner");
        pipe(topics.agentSteps, answer("t1", 1, "9"), finalStep);
        var completion = responses.readRecord();
        assertThat(completion.value().getTraceId())
                .isEqualTo(client.getSpanContext().getTraceId());
        assertCarries(completion.headers(), pass("AgentStep", 1));
        assertThat(otel.getSpans())
                .allSatisfy(span -> assertThat(span.getTraceId())
                        .isEqualTo(client.getSpanContext().getTraceId()));
    }

    @Test
    void aTurnEndedByItsDeadlineNamesTheTraceItStartedIn() {
        Span client = span("client");
        pipe(topics.turns, turn("t1", "what is 3 squared?"), client);
        invocations.readRecord();

        session.driver.advanceWallClockTime(Duration.ofSeconds(31));

        var completion = responses.readRecord();
        assertThat(completion.value().getError()).contains("timed out");
        assertThat(completion.value().getTraceId())
                .as("the deadline's punctuation has no trace of its own")
                .isEqualTo(client.getSpanContext().getTraceId());
        SpanData deadline = otel.getSpans().stream()
                .filter(span -> span.getName().equals("turn deadline"))
                .findFirst()
                .orElseThrow();
        assertThat(deadline.getParentSpanId()).isEqualTo(pass("TurnRequested").getSpanId());
        assertThat(deadline.getAttributes().get(TopologySpans.TURN)).isEqualTo("t1");
    }

    @Test
    void aCallTheCacheAnswersIsAToolSpanOfThePassMarkedCached() {
        runToolTurn("t1");
        otel.clearSpans();
        Span client = span("client");
        pipe(topics.turns, turn("t2", "again"), client);
        Span runner = childOf(invocations.readRecord().headers(), "runner");
        pipe(topics.agentSteps, toolCalls("t2", 0, new ToolCall("c2", "calculator", CALC_ARGS)), runner);

        assertThat(toolRequests.isEmpty())
                .as("answered from the cache, not dispatched")
                .isTrue();
        SpanData cached = otel.getSpans().stream()
                .filter(span -> span.getName().equals("execute_tool calculator"))
                .findFirst()
                .orElseThrow();
        assertThat(cached.getAttributes().get(TopologySpans.CACHED)).isTrue();
        assertThat(cached.getAttributes().get(TopologySpans.CALL)).isEqualTo("c2");
        assertThat(cached.getParentSpanId()).isEqualTo(pass("AgentStep").getSpanId());
    }

    @Test
    void anApprovedCallContinuesTheTurnsTraceNotTheCommands() {
        Span client = span("client");
        pipe(topics.turns, turn("t1", "deploy it"), client);
        Span runner = childOf(invocations.readRecord().headers(), "runner");
        pipe(topics.agentSteps, toolCalls("t1", 0, new ToolCall("d1", "deploy", CALC_ARGS)), runner);
        assertThat(toolRequests.isEmpty()).as("held").isTrue();
        SpanData holdingPass = pass("AgentStep");

        Span person = span("approver"); // another request, another trace
        pipe(topics.sessionCommands, decision(CommandKind.APPROVE_TOOL_CALL, "d1", null), person);

        var request = toolRequests.readRecord();
        SpanData approval = otel.getSpans().stream()
                .filter(span -> span.getName().equals("approval deploy"))
                .findFirst()
                .orElseThrow();
        assertThat(approval.getParentSpanId()).isEqualTo(holdingPass.getSpanId());
        assertThat(approval.getTraceId()).isEqualTo(client.getSpanContext().getTraceId());
        assertThat(approval.getAttributes().get(TopologySpans.DECISION)).isEqualTo("approved");
        assertThat(approval.getLinks())
                .extracting(link -> link.getSpanContext().getTraceId())
                .containsExactly(person.getSpanContext().getTraceId());
        assertCarries(request.headers(), approval);
    }

    @Test
    void aRecordWithoutContextStartsATraceOfItsOwn() {
        input(topics.turns).pipeInput(ADDRESS, turn("t1", "hello"));

        SpanData turnPass = pass("TurnRequested");
        assertThat(turnPass.getParentSpanContext().isValid()).isFalse();
        assertThat(carried(invocations.readRecord().headers()).getTraceId()).isEqualTo(turnPass.getTraceId());
    }

    private void runToolTurn(String turnId) {
        pipe(topics.turns, turn(turnId, "what is 3 squared?"), span("client"));
        Span runner = childOf(invocations.readRecord().headers(), "runner");
        pipe(topics.agentSteps, toolCalls(turnId, 0, new ToolCall("c1", "calculator", CALC_ARGS)), runner);
        Span worker = childOf(toolRequests.readRecord().headers(), "worker");
        pipe(topics.toolResults, result("c1", "9"), worker);
        pipe(
                topics.agentSteps,
                answer(turnId, 1, "9"),
                childOf(invocations.readRecord().headers(), "runner"));
        responses.readRecord();
    }

    private static ToolResult result(String callId, String output) {
        ToolResult result = SessionEvents.result("t1", 0, callId, output);
        result.setStatus(ToolStatus.OK);
        return result;
    }

    /** The pass span of the {@code index}th input of type {@code event} since the last clear. */
    private static SpanData pass(String event, int index) {
        return otel.getSpans().stream()
                .filter(span -> span.getName().equals("topology " + event))
                .toList()
                .get(index);
    }

    private static SpanData pass(String event) {
        List<SpanData> passes = otel.getSpans().stream()
                .filter(span -> span.getName().equals("topology " + event))
                .toList();
        return passes.getLast();
    }

    /** The record's headers name {@code span}: the next hop continues it. */
    private static void assertCarries(Headers headers, SpanData span) {
        SpanContext carried = carried(headers);
        assertThat(carried.getTraceId()).isEqualTo(span.getTraceId());
        assertThat(carried.getSpanId()).isEqualTo(span.getSpanId());
    }

    private static SpanContext carried(Headers headers) {
        return Span.fromContext(TraceHeaders.extract(headers)).getSpanContext();
    }

    /** A span of another process that continued {@code headers}, ended, as the runner or worker would. */
    private static Span childOf(Headers headers, String name) {
        Span span = otel.getOpenTelemetry()
                .getTracer("test")
                .spanBuilder(name)
                .setParent(TraceHeaders.extract(headers))
                .startSpan();
        span.end();
        return span;
    }

    private static Span span(String name) {
        Span span = otel.getOpenTelemetry().getTracer("test").spanBuilder(name).startSpan();
        span.end();
        return span;
    }

    private <V> void pipe(Topic<String, V> topic, V value, Span parent) {
        Headers headers = TraceHeaders.of(Context.root().with(parent));
        input(topic).pipeInput(new TestRecord<>(ADDRESS, value, headers, Instant.ofEpochMilli(START_MS)));
    }

    private <V> TestInputTopic<String, V> input(Topic<String, V> topic) {
        return session.input(topic);
    }
}
