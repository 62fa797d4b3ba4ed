package dev.skein.adapters.langgraph;

import static dev.skein.adapters.langgraph.FakeAgentServer.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.MemoryMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LangGraphAgentTest {

    // The thread of agent "weather" in session acme/s-42: persisted on the server, so it must never change.
    private static final String THREAD = "96abdc14-9795-35f7-941f-39bd1a6b1318";
    private static final String SYSTEM_PROMPT = "You are a concise weather assistant.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private FakeAgentServer server;
    private final List<String> deltas = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = new FakeAgentServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void threadIdIsDerivedFromAgentAndSession() {
        assertThat(LangGraphAgent.threadId("weather", "acme/s-42")).isEqualTo(THREAD);
    }

    @Test
    void answersWithTheGraphsFinalMessage() throws Exception {
        server.respond(200, fixture("thread-created.json"))
                .respond(200, fixture("run-answer-output.json"))
                .respond(200, fixture("state-answered.json"));

        AgentReply reply = agent(Map.of())
                .decide(invocation("t-6", 1, List.of(user(11, "t-6", "Hello! Who are you?"))), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Answer(
                        "I am a weather assistant: ask me about the weather anywhere.",
                        new AgentReply.Usage(87L, 14L)));
        assertThat(deltas).containsExactly("I am a weather assistant: ask me about the weather anywhere.");
        List<FakeAgentServer.Request> requests = server.requests();
        assertThat(requests)
                .extracting(r -> r.method() + " " + r.path())
                .containsExactly(
                        "POST /threads", "POST /threads/" + THREAD + "/runs/wait", "GET /threads/" + THREAD + "/state");
        assertThat(json(requests.get(0).body())).isEqualTo(json(fixture("request-thread.json")));
        assertThat(json(requests.get(1).body())).isEqualTo(json(fixture("request-start-answer.json")));
        assertThat(requests.get(1).headers())
                .containsEntry("x-api-key", "lsv2_test_key")
                .containsEntry("content-type", "application/json");
        assertThat(requests.get(2).headers()).containsEntry("x-api-key", "lsv2_test_key");
    }

    @Test
    void recalledMemoriesReachTheGraphAsOneSystemMessageWithAFixedId() throws Exception {
        server.respond(200, fixture("thread-created.json"))
                .respond(200, fixture("run-answer-output.json"))
                .respond(200, fixture("state-answered.json"));
        // As the runner adds them (RecalledMemories): a system message after the summary, before the question.
        ChatMessage memories = ChatMessage.newBuilder()
                .setSequence(-1)
                .setRole(Role.SYSTEM)
                .setContent("[long-term memory: ...]\n- the user lives in Lyon")
                .setToolCalls(List.of())
                .setTurnId(MemoryMessage.TURN_ID)
                .setTimestampMs(0)
                .build();

        agent(Map.of())
                .decide(invocation("t-6", 1, List.of(memories, user(11, "t-6", "Hello! Who are you?"))), deltas::add);

        JsonNode sent = json(server.requests().get(1).body()).path("input").path("messages");
        // The system prompt, the memories, the question.
        assertThat(sent).hasSize(3);
        assertThat(sent.get(0).path("id").asText()).isEqualTo(LangGraphAgent.SYSTEM_MESSAGE_ID);
        assertThat(sent.get(1).path("role").asText()).isEqualTo("system");
        assertThat(sent.get(1).path("id").asText()).isEqualTo(LangGraphAgent.MEMORIES_MESSAGE_ID);
        assertThat(sent.get(1).path("content").asText()).isEqualTo(memories.getContent());
        assertThat(sent.get(2).path("content").asText()).isEqualTo("Hello! Who are you?");
    }

    @Test
    void parallelToolCallsFromAnInterruptAreRunBySkeinAndResumeTheRun() throws Exception {
        AgentAdapter agent = agent(Map.of());
        server.respond(200, fixture("thread-created.json"))
                .respond(200, fixture("run-interrupted-output.json"))
                .respond(200, fixture("state-interrupted.json"));

        ChatMessage question = user(21, "t-7", "Compare the weather in Paris and Berlin.");
        AgentReply first = agent.decide(invocation("t-7", 1, List.of(question)), deltas::add);

        assertThat(first)
                .isEqualTo(new AgentReply.ToolCalls(
                        null,
                        List.of(
                                new AgentReply.Call("call_Xk2pParis", "get_weather", "{\"city\":\"Paris\"}"),
                                new AgentReply.Call("call_Q9vBerlin", "get_weather", "{\"city\":\"Berlin\"}")),
                        new AgentReply.Usage(112L, 46L)));
        assertThat(json(server.requests().get(1).body())).isEqualTo(json(fixture("request-start-tools.json")));

        server.respond(200, fixture("state-interrupted.json"))
                .respond(200, fixture("run-resumed-output.json"))
                .respond(200, fixture("state-resumed.json"));
        List<ChatMessage> history = List.of(
                question,
                assistantCalling(
                        22,
                        "t-7",
                        new ToolCall("call_Xk2pParis", "get_weather", "{\"city\":\"Paris\"}"),
                        new ToolCall("call_Q9vBerlin", "get_weather", "{\"city\":\"Berlin\"}")),
                toolResult(23, "t-7", "call_Xk2pParis", ToolStatus.OK, "{\"temperature_c\": 18, \"sky\": \"sunny\"}"),
                toolResult(24, "t-7", "call_Q9vBerlin", ToolStatus.TIMEOUT, "weather service timed out after 10 s"));
        AgentReply second = agent.decide(invocation("t-7", 2, history), deltas::add);

        assertThat(second)
                .isEqualTo(new AgentReply.Answer(
                        "Paris: 18°C and sunny. Berlin: the weather service timed out, try again later.",
                        new AgentReply.Usage(171L, 23L)));
        List<FakeAgentServer.Request> resumed = server.requests().subList(3, 6);
        assertThat(resumed)
                .extracting(r -> r.method() + " " + r.path())
                .containsExactly(
                        "GET /threads/" + THREAD + "/state",
                        "POST /threads/" + THREAD + "/runs/wait",
                        "GET /threads/" + THREAD + "/state");
        assertThat(json(resumed.get(1).body())).isEqualTo(json(fixture("request-resume.json")));
    }

    @Test
    void theResumeValueIsAnObjectWithToolResultsByDefault() throws Exception {
        JsonNode resume = resumeSentWith(Map.of());

        assertThat(resume)
                .isEqualTo(json(fixture("request-resume.json")).path("command").path("resume"));
    }

    @Test
    void theResumeValueIsAListOfToolMessagesWhenTheAgentAsksForIt() throws Exception {
        JsonNode resume = resumeSentWith(Map.of("resume-format", "tool-messages-list"));

        assertThat(resume)
                .isEqualTo(json(fixture("request-resume.json"))
                        .path("command")
                        .path("resume")
                        .path("tool_results"));
        assertThat(resume.isArray()).isTrue();
    }

    @Test
    void anUnknownResumeFormatIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> agent(Map.of("resume-format", "messages")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.weather.resume-format")
                .hasMessageContaining("tool-results-object")
                .hasMessageContaining("tool-messages-list");
    }

    /** The {@code command.resume} of the run that answers the two weather calls, for an agent with these options. */
    private JsonNode resumeSentWith(Map<String, String> options) throws Exception {
        server.respond(200, fixture("state-interrupted.json"))
                .respond(200, fixture("run-resumed-output.json"))
                .respond(200, fixture("state-resumed.json"));
        List<ChatMessage> history = List.of(
                user(21, "t-7", "Compare the weather in Paris and Berlin."),
                assistantCalling(
                        22,
                        "t-7",
                        new ToolCall("call_Xk2pParis", "get_weather", "{\"city\":\"Paris\"}"),
                        new ToolCall("call_Q9vBerlin", "get_weather", "{\"city\":\"Berlin\"}")),
                toolResult(23, "t-7", "call_Xk2pParis", ToolStatus.OK, "{\"temperature_c\": 18, \"sky\": \"sunny\"}"),
                toolResult(24, "t-7", "call_Q9vBerlin", ToolStatus.TIMEOUT, "weather service timed out after 10 s"));

        AgentReply reply = agent(options).decide(invocation("t-7", 2, history), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Answer.class);
        assertThat(server.requests().get(1).path()).isEqualTo("/threads/" + THREAD + "/runs/wait");
        return json(server.requests().get(1).body()).path("command").path("resume");
    }

    @Test
    void aRedeliveredStepWhoseResultsTheThreadHoldsIsAnsweredFromTheState() throws Exception {
        server.respond(200, fixture("state-resumed.json"));
        List<ChatMessage> history = List.of(
                user(21, "t-7", "Compare the weather in Paris and Berlin."),
                assistantCalling(
                        22,
                        "t-7",
                        new ToolCall("call_Xk2pParis", "get_weather", "{\"city\":\"Paris\"}"),
                        new ToolCall("call_Q9vBerlin", "get_weather", "{\"city\":\"Berlin\"}")),
                toolResult(23, "t-7", "call_Xk2pParis", ToolStatus.OK, "18"),
                toolResult(24, "t-7", "call_Q9vBerlin", ToolStatus.OK, "12"));

        AgentReply reply = agent(Map.of()).decide(invocation("t-7", 2, history), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Answer.class);
        assertThat(server.requests())
                .extracting(r -> r.method() + " " + r.path())
                .containsExactly("GET /threads/" + THREAD + "/state");
    }

    @Test
    void aSingleTransferCallToAConfiguredAgentIsAHandoff() throws Exception {
        server.respond(200, fixture("thread-created.json"))
                .respond(200, "{\"messages\": []}")
                .respond(200, fixture("state-interrupted-handoff.json"));
        AgentSpec spec = new AgentSpec(
                "weather", "langgraph", options(Map.of()), SYSTEM_PROMPT, Duration.ofSeconds(5), List.of("billing"));

        AgentReply reply =
                create(spec).decide(invocation("t-8", 1, List.of(user(31, "t-8", "I was charged twice"))), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Handoff(
                        "call_toBilling", "billing", "Let me get billing for you.", new AgentReply.Usage(95L, 12L)));
    }

    @Test
    void authenticationErrorsFailTheTurnWithTheServersDetail() throws Exception {
        server.respond(401, fixture("error-401.json"));

        AgentReply reply = agent(Map.of()).decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "LangGraph Agent Server answered 401 to POST /threads: "
                                + "Invalid API key provided. Check your LangSmith API key.",
                        false));
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void anUnknownAssistantIsNotRetryable() throws Exception {
        server.respond(200, fixture("thread-created.json")).respond(404, fixture("error-404-assistant.json"));

        AgentReply reply = agent(Map.of()).decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "LangGraph Agent Server answered 404 to POST /threads/" + THREAD
                                + "/runs/wait: Assistant 'weather-agnet' not found",
                        false));
    }

    @Test
    void rateLimitsAreRetriedThenReportedAsFinal() throws Exception {
        server.respond(200, fixture("thread-created.json"))
                .respond(429, fixture("error-429.json"), Map.of("Retry-After", "0"))
                .respond(429, fixture("error-429.json"), Map.of("Retry-After", "0"));

        AgentReply reply = agent(Map.of("max-retries", "1"))
                .decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "LangGraph Agent Server answered 429 to POST /threads/" + THREAD
                                + "/runs/wait: Too many requests: rate limit of 60 runs per minute exceeded"
                                + " (2 requests)",
                        false));
        assertThat(server.requests())
                .extracting(FakeAgentServer.Request::path)
                .containsExactly("/threads", "/threads/" + THREAD + "/runs/wait", "/threads/" + THREAD + "/runs/wait");
    }

    @Test
    void aServerThatIsAlwaysUnavailableGetsTheRetriesOfOneBudgetNotOfTwo() throws Exception {
        server.respond(200, fixture("thread-created.json"))
                .otherwise(503, fixture("error-429.json"), Map.of("Retry-After", "0"));
        AgentAdapter agent = agent(Map.of("max-retries", "2"));

        AgentReply last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            last = agent.decide(invocation("t-6", 1, attempt, List.of(user(11, "t-6", "hi"))), deltas::add);
            if (!((AgentReply.Failure) last).retryable()) {
                break;
            }
        }

        // max-retries 2: three runs for the step, however many attempts the session allows.
        assertThat(server.requests())
                .filteredOn(r -> r.path().endsWith("/runs/wait"))
                .hasSize(3);
        assertThat(last)
                .isEqualTo(new AgentReply.Failure(
                        "LangGraph Agent Server answered 503 to POST /threads/" + THREAD
                                + "/runs/wait: Too many requests: rate limit of 60 runs per minute exceeded (3 requests)",
                        false));
    }

    @Test
    void aServerErrorAskedAgainBySessionCountsTheRequestsOfAllAttempts() throws Exception {
        server.respond(200, fixture("thread-created.json")).respond(500, fixture("error-500.html"));

        AgentReply reply = agent(Map.of()).decide(invocation("t-6", 1, 3, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(((AgentReply.Failure) reply).retryable()).isTrue();
        assertThat(((AgentReply.Failure) reply).message()).endsWith("(3 requests in 3 attempts)");
    }

    @Test
    void aServerErrorOnARunIsRetryableButNotSentAgain() throws Exception {
        server.respond(200, fixture("thread-created.json")).respond(500, fixture("error-500.html"));

        AgentReply reply = agent(Map.of()).decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Failure.class);
        assertThat(((AgentReply.Failure) reply).retryable()).isTrue();
        assertThat(((AgentReply.Failure) reply).message())
                .startsWith("LangGraph Agent Server answered 500 to POST")
                .contains("Internal Server Error");
        assertThat(server.requests()).hasSize(2);
    }

    @Test
    void anUnreachableServerIsRetriedByTheClientOnly() throws Exception {
        server.close();

        AgentReply reply = agent(Map.of("max-retries", "0"))
                .decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Failure.class);
        assertThat(((AgentReply.Failure) reply).retryable()).isFalse();
        assertThat(((AgentReply.Failure) reply).message())
                .startsWith("cannot connect to the LangGraph Agent Server at ");
    }

    @Test
    void aGraphThatRaisedFailsTheTurnWithItsError() throws Exception {
        server.respond(200, fixture("thread-created.json")).respond(200, fixture("run-error-output.json"));

        AgentReply reply = agent(Map.of()).decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Failure.class);
        assertThat(((AgentReply.Failure) reply).message())
                .startsWith("the graph run failed: AuthenticationError: Error code: 401");
        assertThat(((AgentReply.Failure) reply).retryable()).isFalse();
        assertThat(server.requests()).hasSize(2);
    }

    @Test
    void aReplyThatIsNotJsonIsAFailureNotAnException() throws Exception {
        server.respond(200, fixture("thread-created.json")).respond(200, "<html>upstream proxy says hello</html>");

        AgentReply reply = agent(Map.of()).decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "LangGraph Agent Server answered POST /threads/" + THREAD
                                + "/runs/wait with something that is not JSON: <html>upstream proxy says hello</html>",
                        false));
    }

    @Test
    void anInterruptWithoutToolCallsSaysWhatTheGraphSent() throws Exception {
        server.respond(200, fixture("thread-created.json"))
                .respond(200, "{\"messages\": []}")
                .respond(200, fixture("state-interrupted-question.json"));

        AgentReply reply =
                agent(Map.of()).decide(invocation("t-9", 1, List.of(user(41, "t-9", "email everyone"))), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Failure.class);
        assertThat(((AgentReply.Failure) reply).message())
                .contains("\"Approve sending the email to the whole company?\"")
                .contains("{\"tool_calls\": [{\"id\", \"name\", \"args\"}]}");
        assertThat(((AgentReply.Failure) reply).retryable()).isFalse();
    }

    @Test
    void theFactoryIsFoundByKindAndNamesMissingOptions() {
        AgentAdapterFactory factory = ServiceLoader.load(AgentAdapterFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(f -> f.kind().equals("langgraph"))
                .findFirst()
                .orElseThrow();
        AgentSpec missing = new AgentSpec(
                "weather",
                "langgraph",
                Map.of("base-url", server.url().toString()),
                "",
                Duration.ofSeconds(5),
                List.of());

        assertThatThrownBy(() -> factory.create(missing, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.weather.assistant-id");
        assertThat(factory.create(spec(Map.of()), Map.of()).name()).isEqualTo("weather");
        assertThatThrownBy(() -> factory.create(spec(Map.of("api-key-env", "MY_LANGGRAPH_KEY")), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MY_LANGGRAPH_KEY");
    }

    @Test
    void aLocalServerWithoutAKeyGetsNoKeyHeader() throws Exception {
        server.respond(401, fixture("error-401.json"));

        new LangGraphAgentFactory()
                .create(spec(Map.of()), Map.of())
                .decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(server.requests().getFirst().headers()).doesNotContainKey("x-api-key");
    }

    @Test
    void aBusyThreadIsRetryable() throws Exception {
        server.respond(200, fixture("thread-created.json"))
                .respond(409, "{\"detail\":\"Thread is busy with another run\"}");

        AgentReply reply = agent(Map.of()).decide(invocation("t-6", 1, List.of(user(11, "t-6", "hi"))), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "LangGraph Agent Server answered 409 to POST /threads/" + THREAD
                                + "/runs/wait: Thread is busy with another run",
                        true));
    }

    private AgentAdapter agent(Map<String, String> extra) {
        return create(spec(extra));
    }

    private static AgentAdapter create(AgentSpec spec) {
        return new LangGraphAgentFactory().create(spec, Map.of("LANGSMITH_API_KEY", "lsv2_test_key"));
    }

    private AgentSpec spec(Map<String, String> extra) {
        return new AgentSpec("weather", "langgraph", options(extra), SYSTEM_PROMPT, Duration.ofSeconds(5), List.of());
    }

    private Map<String, String> options(Map<String, String> extra) {
        Map<String, String> options =
                new HashMap<>(Map.of("base-url", server.url().toString(), "assistant-id", "weather-agent"));
        options.putAll(extra);
        return options;
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    private static AgentInvocation invocation(String turnId, int step, List<ChatMessage> messages) {
        return invocation(turnId, step, 1, messages);
    }

    private static AgentInvocation invocation(String turnId, int step, int attempt, List<ChatMessage> messages) {
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s-42")
                .setTurnId(turnId)
                .setStep(step)
                .setAttempt(attempt)
                .setAgent("weather")
                .setMessages(messages)
                .setTools(List.of(ToolDefinition.newBuilder()
                        .setName("get_weather")
                        .setDescription("Current weather in a city")
                        .setParametersSchema(
                                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\","
                                        + "\"description\":\"City name\"}},\"required\":[\"city\"],\"additionalProperties\":false}")
                        .setResources(ResourceSpec.newBuilder()
                                .setCpus(0)
                                .setMemoryBytes(0)
                                .build())
                        .setRetry(RetryPolicy.newBuilder().build())
                        .build()))
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();
    }

    // Lists are set explicitly: the builder's default for them needs Avro's class trust, which
    // only the serdes configure.
    private static ChatMessage user(long sequence, String turnId, String text) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(Role.USER)
                .setContent(text)
                .setToolCalls(List.of())
                .setTurnId(turnId)
                .setTimestampMs(0)
                .build();
    }

    private static ChatMessage assistantCalling(long sequence, String turnId, ToolCall... calls) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(Role.ASSISTANT)
                .setToolCalls(List.of(calls))
                .setTurnId(turnId)
                .setAgent("weather")
                .setTimestampMs(0)
                .build();
    }

    private static ChatMessage toolResult(
            long sequence, String turnId, String callId, ToolStatus status, String output) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(Role.TOOL)
                .setContent(output)
                .setToolCalls(List.of())
                .setToolCallId(callId)
                .setToolName("get_weather")
                .setToolStatus(status)
                .setTurnId(turnId)
                .setTimestampMs(0)
                .build();
    }
}
