package dev.skein.adapters.a2a;

import static dev.skein.adapters.a2a.FakeA2aServer.fixture;
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
import dev.skein.events.Role;
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

class A2aAgentTest {

    // Derived from agent "travel" and session acme/s-42 (and message 5): the remote agent keeps
    // its history under them, so they must never change.
    private static final String CONTEXT = "e57c84e4-4594-3ca4-8aee-b871c796da69";
    private static final String MESSAGE = "cf322baf-872e-3488-bb8a-45c1c9da30f3";
    private static final String ITINERARY =
            "Take the ICE 9553 at 09:55 from Paris Est: Berlin Hbf at 17:58, 8 h 03 min, from 59 EUR.";
    private static final ObjectMapper JSON = new ObjectMapper();
    // The id the agent gave the task of the fixtures.
    private static final String TASK = "b7a3c2e1-5d4f-4e6a-9b8c-0d1e2f3a4b5c";

    private FakeA2aServer server;
    private final List<String> deltas = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = new FakeA2aServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void idsAreDerivedFromAgentSessionAndMessage() {
        assertThat(A2aAgent.contextId("travel", "acme/s-42")).isEqualTo(CONTEXT);
        assertThat(A2aAgent.messageId("travel", "acme/s-42", 5)).isEqualTo(MESSAGE);
    }

    @Test
    void discoversTheCardAndAnswersFromACompletedTasksArtifacts() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-completed.json"));
        AgentAdapter agent = agent(Map.of());

        AgentReply reply = agent.decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        assertThat(deltas).containsExactly(ITINERARY);
        List<FakeA2aServer.Request> requests = server.requests();
        assertThat(requests)
                .extracting(r -> r.method() + " " + r.path())
                .containsExactly("GET /.well-known/agent-card.json", "POST /a2a/v1");
        assertThat(requests.get(0).headers()).containsEntry("authorization", "Bearer a2a-test-token");
        assertThat(requests.get(1).headers())
                .containsEntry("authorization", "Bearer a2a-test-token")
                .containsEntry("content-type", "application/json");
        assertThat(json(requests.get(1).body())).isEqualTo(json(fixture("request-send.json")));

        // The card is read once per adapter.
        server.json(200, fixture("response-completed.json"));
        agent.decide(invocation(), deltas::add);
        assertThat(server.requests())
                .extracting(r -> r.method() + " " + r.path())
                .containsExactly("GET /.well-known/agent-card.json", "POST /a2a/v1", "POST /a2a/v1");
    }

    @Test
    void recalledMemoriesTravelInTheMessagesMetadata() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-completed.json"));
        String recalled = "[long-term memory: ...]\n- the user prefers trains";
        List<ChatMessage> messages = new ArrayList<>(invocation().getMessages());
        // As the runner adds them (RecalledMemories): a system message before the question.
        ChatMessage memories = message(-1, Role.SYSTEM, recalled);
        memories.setTurnId(MemoryMessage.TURN_ID);
        messages.add(messages.size() - 1, memories);
        AgentInvocation invocation = invocation();
        invocation.setMessages(messages);

        agent(Map.of()).decide(invocation, deltas::add);

        JsonNode message = json(server.requests().get(1).body()).path("params").path("message");
        assertThat(message.path("metadata").path("skein_memories").asText()).isEqualTo(recalled);
        // The question is still the only part: the memories are not the user's words.
        assertThat(message.path("parts")).hasSize(1);
        assertThat(message.path("parts").get(0).path("text").asText())
                .isEqualTo("Fastest way from Paris to Berlin on Friday?");
    }

    @Test
    void fallsBackToTheCardLocationOfEarlierProtocolVersions() throws Exception {
        server.json(404, "{\"detail\":\"Not Found\"}")
                .json(200, fixture("agent-card-legacy.json"))
                .json(200, fixture("response-message.json"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer("Hello! I plan trips."));
        assertThat(server.requests())
                .extracting(r -> r.method() + " " + r.path())
                .containsExactly("GET /.well-known/agent-card.json", "GET /.well-known/agent.json", "POST /a2a/v1");
    }

    @Test
    void aCardUrlIsReadAsGiven() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-completed.json"));
        Map<String, String> options = new HashMap<>();
        options.put("card-url", server.base() + "/agents/travel/card.json");

        AgentReply reply = create(new AgentSpec(
                        "travel", "a2a", options, "Answer in one paragraph.", Duration.ofSeconds(5), List.of()))
                .decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        assertThat(server.requests())
                .extracting(FakeA2aServer.Request::path)
                .containsExactly("/agents/travel/card.json", "/a2a/v1");
    }

    @Test
    void streamsArtifactTextWhenTheCardOffersStreaming() throws Exception {
        server.json(200, fixture("agent-card-streaming.json")).events(fixture("stream-completed.sse"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        assertThat(deltas)
                .containsExactly(
                        "Take the ICE 9553 ",
                        "at 09:55 from Paris Est: ",
                        "Berlin Hbf at 17:58, 8 h 03 min, from 59 EUR.");
        FakeA2aServer.Request stream = server.requests().get(1);
        assertThat(stream.headers()).containsEntry("accept", "text/event-stream");
        assertThat(json(stream.body())).isEqualTo(json(fixture("request-stream.json")));
    }

    @Test
    void streamingCanBeTurnedOff() throws Exception {
        server.json(200, fixture("agent-card-streaming.json")).json(200, fixture("response-completed.json"));

        AgentReply reply = agent(Map.of("streaming", "false")).decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        assertThat(json(server.requests().get(1).body())).isEqualTo(json(fixture("request-send.json")));
    }

    @Test
    void inputRequiredBecomesAnAnswerThatAsksTheUser() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-input-required.json"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(AgentReply.Answer.awaitingInput(
                        "The agent needs more information: Which Friday do you mean, and do you prefer trains or flights?",
                        TASK));
    }

    @Test
    void theReplyToAnInputRequiredTaskContinuesThatTaskUntilItCompletes() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-input-required.json"));
        AgentAdapter agent = agent(Map.of());
        AgentReply.Answer question = (AgentReply.Answer) agent.decide(invocation(), deltas::add);
        assertThat(question.awaitingInput()).isTrue();
        assertThat(question.continuation()).isEqualTo(TASK);

        // The session records the question with its continuation; the user's reply is the next turn.
        server.json(200, fixture("response-completed.json"));
        AgentReply reply = agent.decide(reply(question, "travel"), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        JsonNode sent = body(server.requests().getLast()).path("params").path("message");
        assertThat(sent.path("taskId").asText()).isEqualTo(TASK);
        assertThat(sent.path("contextId").asText()).isEqualTo(CONTEXT);
        assertThat(sent.path("messageId").asText()).isEqualTo(A2aAgent.messageId("travel", "acme/s-42", 7));
        assertThat(TaskReplies.text(sent.path("parts"))).isEqualTo("This Friday, by train.");
    }

    @Test
    void aTaskTheAgentNoLongerKnowsIsReplacedByANewTask() throws Exception {
        server.json(200, fixture("agent-card.json"))
                .json(200, fixture("response-task-not-found.json"))
                .json(200, fixture("response-completed.json"));

        AgentReply reply = agent(Map.of())
                .decide(reply(AgentReply.Answer.awaitingInput("Which Friday?", TASK), "travel"), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        List<FakeA2aServer.Request> sends = server.requests().subList(1, 3);
        assertThat(sends)
                .extracting(r ->
                        body(r).path("params").path("message").path("taskId").asText(null))
                .containsExactly(TASK, null);
        assertThat(sends)
                .extracting(A2aAgentTest::messageId)
                .containsOnly(A2aAgent.messageId("travel", "acme/s-42", 7));
    }

    @Test
    void aTaskThatIsAlreadyOverIsReplacedByANewTaskInAStreamToo() throws Exception {
        server.json(200, fixture("agent-card-streaming.json"))
                .json(200, fixture("response-task-terminal.json"))
                .events(fixture("stream-completed.sse"));

        AgentReply reply = agent(Map.of())
                .decide(reply(AgentReply.Answer.awaitingInput("Which Friday?", TASK), "travel"), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        assertThat(server.requests().subList(1, 3))
                .extracting(r ->
                        body(r).path("params").path("message").path("taskId").asText(null))
                .containsExactly(TASK, null);
    }

    @Test
    void aContinuationOfAnotherAgentIsNotSent() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-completed.json"));

        agent(Map.of()).decide(reply(AgentReply.Answer.awaitingInput("Which Friday?", TASK), "billing"), deltas::add);

        assertThat(body(server.requests().getLast())
                        .path("params")
                        .path("message")
                        .has("taskId"))
                .isFalse();
    }

    @Test
    void inputRequiredAlsoEndsAStream() throws Exception {
        server.json(200, fixture("agent-card-streaming.json")).events(fixture("stream-input-required.sse"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(AgentReply.Answer.awaitingInput(
                        "The agent needs more information: Which Friday do you mean?", TASK));
        assertThat(String.join("", deltas)).isEqualTo("The agent needs more information: Which Friday do you mean?");
    }

    @Test
    void aFailedTaskFailsTheTurnWithTheAgentsMessage() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-failed.json"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "A2A agent Travel Planner failed task "
                                + "b7a3c2e1-5d4f-4e6a-9b8c-0d1e2f3a4b5c: The rail pricing service is unavailable.",
                        false));
        assertThat(deltas).isEmpty();
    }

    @Test
    void authRequiredFailsTheTurnSayingSo() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-auth-required.json"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Failure.class);
        assertThat(((AgentReply.Failure) reply).message())
                .startsWith("A2A agent Travel Planner requires authentication")
                .contains("Sign in to your rail account to book.");
        assertThat(((AgentReply.Failure) reply).retryable()).isFalse();
    }

    @Test
    void aNonBlockingSendIsPolledUntilTheTaskSettles() throws Exception {
        server.json(200, fixture("agent-card.json"))
                .json(200, fixture("response-working.json"))
                .json(200, fixture("response-get-working.json"))
                .json(200, fixture("response-get-completed.json"));

        AgentReply reply = agent(Map.of("blocking", "false")).decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        List<FakeA2aServer.Request> requests = server.requests();
        assertThat(requests).hasSize(4);
        assertThat(json(requests.get(1).body())).isEqualTo(json(fixture("request-send-nonblocking.json")));
        assertThat(json(requests.get(2).body())).isEqualTo(json(fixture("request-tasks-get.json")));
        assertThat(json(requests.get(3).body()).path("id").asText()).isEqualTo(MESSAGE + "/poll-2");
    }

    @Test
    void aJsonRpcErrorFailsTheTurnWithItsCodeAndMessage() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-jsonrpc-error.json"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "A2A agent answered message/send with error -32005: "
                                + "Incompatible content types ({\"accepted\":[\"text/plain\",\"text/markdown\",\"application/json\"],"
                                + "\"produced\":[\"image/png\"]})",
                        false));
    }

    @Test
    void authenticationErrorsAreNotRetryable() throws Exception {
        server.json(200, fixture("agent-card.json")).json(401, "{\"detail\":\"Invalid bearer token\"}");

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "A2A agent answered 401 to message/send (check the credentials in"
                                + " the variable named by api-key-env): Invalid bearer token",
                        false));
    }

    @Test
    void rateLimitsAreRetriedThenReportedAsFinal() throws Exception {
        server.json(200, fixture("agent-card.json"))
                .respond(429, "application/json", "{\"detail\":\"slow down\"}", Map.of("Retry-After", "0"))
                .respond(429, "application/json", "{\"detail\":\"slow down\"}", Map.of("Retry-After", "0"));

        AgentReply reply = agent(Map.of("max-retries", "1")).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "A2A agent answered 429 to message/send: slow down (2 requests)", false));
        assertThat(server.requests()).hasSize(3);
    }

    @Test
    void aServerErrorIsRetryable() throws Exception {
        server.json(200, fixture("agent-card.json")).respond(502, "text/html", "<html>Bad Gateway</html>", Map.of());

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "A2A agent answered 502 to message/send: <html>Bad Gateway</html>", true));
    }

    @Test
    void aStalledAgentReceivesTheMessageOnceAndTheTurnFailsNamingTheTimeout() throws Exception {
        server.json(200, fixture("agent-card.json")).stall();
        AgentAdapter agent = agent(Map.of("streaming", "false"), Duration.ofMillis(500));

        List<AgentReply> replies = stepAsTheSessionDoes(agent);

        assertThat(server.requests())
                .filteredOn(r -> r.method().equals("POST"))
                .extracting(A2aAgentTest::messageId)
                .containsExactly(MESSAGE);
        AgentReply.Failure last = (AgentReply.Failure) replies.getLast();
        assertThat(last.retryable()).isFalse();
        assertThat(last.message()).startsWith("agent 'travel' did not answer message/send within 500 ms");
        assertThat(agent.mayRepeatUnanswered()).isFalse();
    }

    @Test
    void anAgentThatIsAlwaysUnavailableGetsTheRetriesOfOneBudgetNotOfTwo() throws Exception {
        server.json(200, fixture("agent-card.json"))
                .otherwise(503, "{\"detail\":\"overloaded\"}", Map.of("Retry-After", "0"));

        List<AgentReply> replies = stepAsTheSessionDoes(agent(Map.of("max-retries", "2")));

        // max-retries 2: three requests for the step, however many attempts the session allows.
        assertThat(server.requests()).filteredOn(r -> r.method().equals("POST")).hasSize(3);
        assertThat(replies.getLast())
                .isEqualTo(new AgentReply.Failure(
                        "A2A agent answered 503 to message/send: overloaded (3 requests)", false));
    }

    @Test
    void aTaskStillWorkingAtTheTimeoutIsNotSentAgain() throws Exception {
        server.json(200, fixture("agent-card.json"))
                .json(200, fixture("response-working.json"))
                .otherwise(200, fixture("response-get-working.json"), Map.of());
        AgentAdapter agent = agent(Map.of("blocking", "false"), Duration.ofMillis(400));

        List<AgentReply> replies = stepAsTheSessionDoes(agent);

        List<String> methods = server.requests().stream()
                .filter(r -> r.method().equals("POST"))
                .map(r -> body(r).path("method").asText())
                .toList();
        assertThat(methods).containsOnly("message/send", "tasks/get");
        assertThat(methods).filteredOn("message/send"::equals).hasSize(1);
        AgentReply.Failure last = (AgentReply.Failure) replies.getLast();
        assertThat(last.retryable()).isFalse();
        assertThat(last.message()).contains("is still working after");
    }

    /** Invokes the step as the session does: again while the failure is retryable, up to 3 attempts. */
    private List<AgentReply> stepAsTheSessionDoes(AgentAdapter agent) throws Exception {
        List<AgentReply> replies = new ArrayList<>();
        for (int attempt = 1; attempt <= 3; attempt++) {
            AgentReply reply = agent.decide(invocation(attempt), deltas::add);
            replies.add(reply);
            if (!(reply instanceof AgentReply.Failure failure) || !failure.retryable()) {
                break;
            }
        }
        return replies;
    }

    @Test
    void aReplyWithoutAResultIsAFailureNotAnException() throws Exception {
        server.json(200, fixture("agent-card.json")).json(200, fixture("response-no-result.json"));

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "A2A agent answered message/send without a result object: " + "{\"jsonrpc\":\"2.0\",\"id\":\""
                                + MESSAGE + "\"}",
                        false));
    }

    @Test
    void aReplyThatIsNotJsonIsAFailureNotAnException() throws Exception {
        server.json(200, fixture("agent-card.json"))
                .json(200, "{\"jsonrpc\": \"2.0\", \"result\": {\"kind\": \"task\", ");

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Failure.class);
        assertThat(((AgentReply.Failure) reply).message()).startsWith("the answer to message/send is not JSON");
        assertThat(((AgentReply.Failure) reply).retryable()).isFalse();
    }

    @Test
    void aCardWithoutAUrlSaysSo() throws Exception {
        server.json(200, "{\"name\": \"Broken\", \"capabilities\": {}}");

        AgentReply reply = agent(Map.of()).decide(invocation(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "agent card " + server.base()
                                + "/.well-known/agent-card.json (Broken) has no \"url\" to send messages to",
                        false));
    }

    @Test
    void theFactoryIsFoundByKindAndNamesMissingOptions() {
        AgentAdapterFactory factory = ServiceLoader.load(AgentAdapterFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(f -> f.kind().equals("a2a"))
                .findFirst()
                .orElseThrow();

        assertThatThrownBy(() -> factory.create(AgentSpec.of("travel", "a2a", Duration.ofSeconds(25)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.agents.definitions.travel.card-url")
                .hasMessageContaining("skein.agents.definitions.travel.base-url");
        assertThatThrownBy(() -> factory.create(spec(Map.of()), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("A2A_TOKEN");
        assertThatThrownBy(() -> factory.create(spec(Map.of("blocking", "sometimes")), Map.of("A2A_TOKEN", "t")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blocking");
    }

    private AgentAdapter agent(Map<String, String> extra) {
        return create(spec(extra));
    }

    private AgentAdapter agent(Map<String, String> extra, Duration timeout) {
        AgentSpec spec = spec(extra);
        return create(
                new AgentSpec(spec.name(), spec.kind(), spec.options(), spec.systemPrompt(), timeout, spec.handoffs()));
    }

    private static String messageId(FakeA2aServer.Request request) {
        return body(request).path("params").path("message").path("messageId").asText();
    }

    private static JsonNode body(FakeA2aServer.Request request) {
        try {
            return json(request.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static AgentAdapter create(AgentSpec spec) {
        return new A2aAgentFactory().create(spec, Map.of("A2A_TOKEN", "a2a-test-token"));
    }

    private AgentSpec spec(Map<String, String> extra) {
        Map<String, String> options =
                new HashMap<>(Map.of("base-url", server.base() + "/", "api-key-env", "A2A_TOKEN"));
        options.putAll(extra);
        return new AgentSpec("travel", "a2a", options, "Answer in one paragraph.", Duration.ofSeconds(5), List.of());
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    // Lists are set explicitly: the builder's default for them needs Avro's class trust, which
    // only the serdes configure.
    private static AgentInvocation invocation() {
        return invocation(1);
    }

    private static AgentInvocation invocation(int attempt) {
        List<ChatMessage> messages = List.of(
                message(1, Role.USER, "Hi"),
                message(2, Role.ASSISTANT, "Hello! I plan trips."),
                message(5, Role.USER, "Fastest way from Paris to Berlin on Friday?"));
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s-42")
                .setTurnId("t-3")
                .setStep(1)
                .setAttempt(attempt)
                .setAgent("travel")
                .setMessages(messages)
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();
    }

    /**
     * The next turn after {@code answer}: the history as the session keeps it, with the answer
     * written by {@code agent}, and the user's reply.
     */
    private static AgentInvocation reply(AgentReply.Answer answer, String agent) {
        ChatMessage asked = message(6, Role.ASSISTANT, answer.content());
        asked.setAgent(agent);
        asked.setContinuation(answer.continuation());
        asked.setAwaitingInput(answer.awaitingInput());
        List<ChatMessage> messages = new ArrayList<>(invocation().getMessages());
        messages.add(asked);
        messages.add(message(7, Role.USER, "This Friday, by train."));
        AgentInvocation next = invocation();
        next.setTurnId("t-4");
        next.setStep(0);
        next.setMessages(messages);
        return next;
    }

    private static ChatMessage message(long sequence, Role role, String text) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(role)
                .setContent(text)
                .setToolCalls(List.of())
                .setTurnId("t-3")
                .setTimestampMs(0)
                .build();
    }
}
