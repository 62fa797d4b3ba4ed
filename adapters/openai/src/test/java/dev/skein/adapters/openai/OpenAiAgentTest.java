package dev.skein.adapters.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter against a local server speaking the chat completions protocol, answering with
 * recorded OpenAI responses (fixtures/openai). Every test checks the exact request Skein sent.
 */
class OpenAiAgentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-test-4f9c2a";
    private static final String WEATHER_PROMPT = "You are a weather assistant. Use the tools.";

    private MockWebServer server;
    private final List<OpenAiAgent> agents = new ArrayList<>();
    private final List<String> deltas = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = new MockWebServer();
        server.start();
    }

    @AfterEach
    void stopServer() throws IOException {
        agents.forEach(OpenAiAgent::close);
        server.shutdown();
    }

    @Test
    void streamsAFinalAnswerToTheSinkAndReportsUsage() throws Exception {
        server.enqueue(sse("final-answer.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of(), "You are a concise assistant.");

        AgentReply reply = agent.decide(
                Invocations.turn()
                        .user("What is the answer to everything?")
                        .tools(Invocations.CALCULATOR)
                        .build(),
                deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer("The answer is 42.", new AgentReply.Usage(61L, 6L)));
        assertThat(deltas).containsExactly("The answer", " is", " 42.");
        RecordedRequest request = takeRequest();
        assertChatCompletionRequest(request, KEY, "final-answer.request.json");
        assertThat(request.getHeader("Accept")).isEqualTo("text/event-stream");
    }

    @Test
    void answersWithoutStreamingWhenAskedTo() throws Exception {
        server.enqueue(json(200, "final-answer.response.json"));
        AgentAdapter agent = agent(
                Map.of("stream", "false", "max-tokens", "256", "temperature", "0.2"),
                List.of(),
                "You are a concise assistant.");

        AgentReply reply = agent.decide(
                Invocations.turn()
                        .user("What is the answer to everything?")
                        .tools(Invocations.CALCULATOR)
                        .build(),
                deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer("The answer is 42.", new AgentReply.Usage(61L, 6L)));
        assertThat(deltas).containsExactly("The answer is 42.");
        assertChatCompletionRequest(takeRequest(), KEY, "final-answer-not-streamed.request.json");
    }

    @Test
    void twoParallelToolCallsAreJoinedFromTheirFragmentsAndTheirResultsGoBackInOpenAisFormat() throws Exception {
        server.enqueue(sse("parallel-tool-calls.response.sse"));
        server.enqueue(sse("tool-results.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of(), WEATHER_PROMPT);
        Invocations turn = Invocations.turn()
                .user("What's the weather in Paris and in Tokyo?")
                .tools(Invocations.GET_WEATHER, Invocations.CALCULATOR);

        AgentReply first = agent.decide(turn.build(), deltas::add);

        assertThat(first)
                .isEqualTo(new AgentReply.ToolCalls(
                        null,
                        List.of(
                                new AgentReply.Call(
                                        "call_Xk3pR8d2VfQw1nYb7LmT0aHc", "get_weather", "{\"city\": \"Paris\"}"),
                                new AgentReply.Call(
                                        "call_9tGqW4eJs6ZuN2oPc5KyB8rD", "get_weather", "{\"city\": \"Tokyo\"}")),
                        new AgentReply.Usage(112L, 47L)));
        assertThat(deltas).isEmpty();
        assertChatCompletionRequest(takeRequest(), KEY, "parallel-tool-calls.request.json");

        // The session ran both calls (one failed) and asks for the next step with their results.
        AgentInvocation second = turn.step(1)
                .assistantCalls(
                        new ToolCall("call_Xk3pR8d2VfQw1nYb7LmT0aHc", "get_weather", "{\"city\": \"Paris\"}"),
                        new ToolCall("call_9tGqW4eJs6ZuN2oPc5KyB8rD", "get_weather", "{\"city\": \"Tokyo\"}"))
                .toolResult(
                        "call_Xk3pR8d2VfQw1nYb7LmT0aHc",
                        "get_weather",
                        ToolStatus.OK,
                        "{\"city\":\"Paris\",\"temperature\":18,\"conditions\":\"light rain\"}")
                .toolResult(
                        "call_9tGqW4eJs6ZuN2oPc5KyB8rD",
                        "get_weather",
                        ToolStatus.ERROR,
                        "weather service for Tokyo timed out after 5000 ms")
                .build();
        AgentReply answer = agent.decide(second, deltas::add);

        assertThat(answer)
                .isEqualTo(new AgentReply.Answer(
                        "Paris: 18 °C and light rain. Tokyo's weather is unavailable right now.",
                        new AgentReply.Usage(201L, 19L)));
        assertChatCompletionRequest(takeRequest(), KEY, "tool-results.request.json");
    }

    @Test
    void aWrongKeyFailsTheTurnWithTheProvidersMessageAndIsNotRetried() throws Exception {
        server.enqueue(json(401, "error-401.json"));
        AgentAdapter agent = agent(Map.of(), List.of(), "");

        AgentReply reply = agent.decide(Invocations.turn().user("hello").build(), deltas::add);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).contains("answered 401").contains("Incorrect API key provided: sk-wrong.");
        });
        assertThat(server.getRequestCount()).isEqualTo(1);
        RecordedRequest request = takeRequest();
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(body(request).path("messages"))
                .isEqualTo(JSON.readTree("[{\"role\":\"user\",\"content\":\"hello\"}]"));
    }

    @Test
    void aBadRequestFailsTheTurnWithTheProvidersMessage() throws Exception {
        server.enqueue(json(400, "error-400.json"));
        AgentAdapter agent = agent(Map.of(), List.of(), "");

        AgentReply reply = agent.decide(Invocations.turn().user("hello").build(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        server.url("/v1") + " answered 400 (bad request): "
                                + "Invalid 'messages[3].tool_call_id': string too long. Expected a string with maximum length 40, "
                                + "but got a string with length 64 instead.",
                        false));
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void aRateLimitIsRetriedWithBackoffThenReportedAsFinal() throws Exception {
        for (int i = 0; i < 3; i++) {
            // retry-after-ms keeps the SDK's backoff short in the test.
            server.enqueue(json(429, "error-429.json").setHeader("retry-after-ms", "20"));
        }
        AgentAdapter agent = agent(Map.of("max-retries", "2"), List.of(), "");

        AgentReply reply = agent.decide(Invocations.turn().user("hello").build(), deltas::add);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message())
                    .contains("answered 429 (rate limited)")
                    .contains("Rate limit reached for gpt-4o-mini")
                    .endsWith("(3 requests)");
        });
        assertThat(server.getRequestCount()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            assertChatCompletionRequest(takeRequest(), KEY, null);
        }
    }

    @Test
    void aServerThatAlwaysFailsGetsTheRetriesOfOneBudgetNotOfTwo() throws Exception {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                // retry-after-ms keeps the SDK's backoff short in the test.
                return new MockResponse()
                        .setResponseCode(500)
                        .setHeader("Content-Type", "application/json")
                        .setHeader("retry-after-ms", "10")
                        .setBody("{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}");
            }
        });
        AgentAdapter agent = agent(Map.of("max-retries", "2"), List.of(), "");

        AgentReply last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            last = agent.decide(
                    Invocations.turn().user("hello").attempt(attempt).build(), deltas::add);
            if (!((AgentReply.Failure) last).retryable()) {
                break;
            }
        }

        // max-retries 2: three requests for the step, however many attempts the session allows.
        assertThat(server.getRequestCount()).isEqualTo(3);
        assertThat(last)
                .isEqualTo(new AgentReply.Failure(
                        server.url("/v1") + " answered 500 (server error): The server had an error (3 requests)",
                        false));
    }

    @Test
    void aRateLimitThatClearsWithinTheRetriesIsInvisible() throws Exception {
        server.enqueue(json(429, "error-429.json").setHeader("retry-after-ms", "20"));
        server.enqueue(sse("final-answer.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of(), "");

        AgentReply reply = agent.decide(
                Invocations.turn().user("What is the answer to everything?").build(), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Answer.class);
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void anErrorEventInTheMiddleOfTheStreamIsARetryableFailure() throws Exception {
        server.enqueue(sse("stream-error.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of(), "");

        AgentReply reply = agent.decide(Invocations.turn().user("hello").build(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "the stream from " + server.url("/v1") + " ended with an error: "
                                + "The server had an error while processing your request. Sorry about that!",
                        true));
        assertThat(deltas).containsExactly("Let me");
    }

    @Test
    void anUnreachableServerIsRetriedByTheSdkOnly() throws Exception {
        String url = server.url("/v1").toString();
        server.shutdown();
        AgentAdapter agent = agent(Map.of("base-url", url, "max-retries", "0"), List.of(), "");

        AgentReply reply = agent.decide(Invocations.turn().user("hello").build(), deltas::add);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).startsWith("cannot reach " + url);
        });
    }

    @Test
    void aServerSlowerThanTheSdkTimeoutIsAFailureNotAHang() throws Exception {
        server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
        AgentAdapter agent = new OpenAiAgentFactory()
                .create(
                        new AgentSpec(
                                "assistant",
                                "openai",
                                Map.of(
                                        "base-url",
                                        server.url("/v1").toString(),
                                        "model",
                                        "gpt-4o-mini",
                                        "max-retries",
                                        "0"),
                                "",
                                Duration.ofMillis(300),
                                List.of()),
                        Map.of("OPENAI_API_KEY", KEY));
        agents.add((OpenAiAgent) agent);

        long start = System.nanoTime();
        AgentReply reply = agent.decide(Invocations.turn().user("hello").build(), deltas::add);

        assertThat(reply)
                .isInstanceOfSatisfying(
                        AgentReply.Failure.class,
                        // The SDK retries timeouts itself (here max-retries 0), so the session does not.
                        failure -> assertThat(failure.retryable()).isFalse());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void anInterruptWhileWaitingForTheModelPropagates() throws Exception {
        server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
        AgentAdapter agent = agent(Map.of(), List.of(), "");
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                outcome.complete(new AssertionError("decided "
                        + agent.decide(Invocations.turn().user("hello").build(), deltas::add)));
            } catch (Exception e) {
                outcome.complete(e);
            }
        });
        assertThat(server.takeRequest(5, TimeUnit.SECONDS)).isNotNull();

        caller.interrupt();

        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
    }

    @Test
    void toolCallsWithUnknownToolsOrBrokenArgumentsGoToTheSessionAsTheModelMadeThem() throws Exception {
        server.enqueue(sse("malformed-tool-calls.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of(), WEATHER_PROMPT);

        AgentReply reply = agent.decide(
                Invocations.turn()
                        .user("What's the weather in Paris and in Tokyo?")
                        .tools(Invocations.GET_WEATHER, Invocations.CALCULATOR)
                        .build(),
                deltas::add);

        // The session answers each with an error the model sees on its next step.
        assertThat(reply)
                .isEqualTo(new AgentReply.ToolCalls(
                        null,
                        List.of(
                                new AgentReply.Call(
                                        "call_4bVw0QeZr7YhM1sKx9NcL2gF", "search_flights", "{\"from\":\"CDG\"}"),
                                new AgentReply.Call("call_Jm2cT6pXa0UoR3eWq8VzH5yN", "get_weather", "{\"city\": \"Pa")),
                        new AgentReply.Usage(112L, 16L)));
        assertChatCompletionRequest(takeRequest(), KEY, "parallel-tool-calls.request.json");
    }

    @Test
    void aStreamThatIsNotChatCompletionChunksIsANonRetryableFailure() throws Exception {
        server.enqueue(sse("malformed-stream.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of(), "");

        AgentReply reply = agent.decide(Invocations.turn().user("hello").build(), deltas::add);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message())
                    .startsWith("the reply of " + server.url("/v1") + " is not a valid chat completion");
        });
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void aSingleCallOfAnOfferedTransferToolIsAHandoff() throws Exception {
        server.enqueue(sse("handoff.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of("billing"), "");

        AgentReply reply =
                agent.decide(Invocations.turn().user("I was charged twice").build(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Handoff(
                        "call_Hq7nD1zBf4XsE9tLu2WaK6mP", "billing", null, new AgentReply.Usage(88L, 12L)));
    }

    @Test
    void aTransferToAnAgentNotAmongTheHandoffsIsAnOrdinaryToolCall() throws Exception {
        server.enqueue(sse("handoff.response.sse"));
        AgentAdapter agent = agent(Map.of(), List.of("support"), "");

        AgentReply reply =
                agent.decide(Invocations.turn().user("I was charged twice").build(), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.ToolCalls(
                        null,
                        List.of(new AgentReply.Call("call_Hq7nD1zBf4XsE9tLu2WaK6mP", "transfer_to_billing", "{}")),
                        new AgentReply.Usage(88L, 12L)));
    }

    @Test
    void withoutAKeyALocalServerGetsAPlaceholderBearer() throws Exception {
        server.enqueue(sse("final-answer.response.sse"));
        OpenAiAgent agent = (OpenAiAgent) new OpenAiAgentFactory()
                .create(
                        AgentSpec.of("local", "openai", Duration.ofSeconds(25)),
                        Map.of("OPENAI_BASE_URL", server.url("/v1").toString(), "OPENAI_MODEL", "llama3.2"));
        agents.add(agent);

        AgentReply reply = agent.decide(
                Invocations.turn().user("What is the answer to everything?").build(), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Answer.class);
        RecordedRequest request = takeRequest();
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + OpenAiAgent.PLACEHOLDER_API_KEY);
        assertThat(body(request).path("model").asText()).isEqualTo("llama3.2");
    }

    @Test
    void aToolResultWithoutItsCallIdFailsWithoutCallingTheModel() throws Exception {
        AgentAdapter agent = agent(Map.of(), List.of(), "");
        AgentInvocation invocation = Invocations.turn()
                .user("hello")
                .assistantCalls(new ToolCall("call_1", "calculator", "{}"))
                .toolResult(null, "calculator", ToolStatus.OK, "1")
                .build();

        AgentReply reply = agent.decide(invocation, deltas::add);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).contains("tool result without the id of its call");
        });
        assertThat(server.getRequestCount()).isZero();
    }

    // ---- helpers --------------------------------------------------------------------------------

    private OpenAiAgent agent(Map<String, String> options, List<String> handoffs, String systemPrompt) {
        Map<String, String> all =
                new HashMap<>(Map.of("base-url", server.url("/v1").toString(), "model", "gpt-4o-mini"));
        all.putAll(options);
        OpenAiAgent agent = (OpenAiAgent) new OpenAiAgentFactory()
                .create(
                        new AgentSpec("assistant", "openai", all, systemPrompt, Duration.ofSeconds(10), handoffs),
                        Map.of("OPENAI_API_KEY", KEY));
        agents.add(agent);
        return agent;
    }

    private RecordedRequest takeRequest() throws InterruptedException {
        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(request).as("a request reached the server").isNotNull();
        return request;
    }

    /** Method, path, credentials and (when {@code expectedBody} names a fixture) the exact body. */
    private static void assertChatCompletionRequest(RecordedRequest request, String key, String expectedBody)
            throws IOException {
        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getPath()).isEqualTo("/v1/chat/completions");
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + key);
        assertThat(request.getHeader("Content-Type")).startsWith("application/json");
        if (expectedBody != null) {
            assertThat(body(request)).isEqualTo(JSON.readTree(fixture(expectedBody)));
        }
    }

    private static JsonNode body(RecordedRequest request) throws IOException {
        return JSON.readTree(request.getBody().readUtf8());
    }

    private static MockResponse sse(String name) throws IOException {
        return new MockResponse()
                .setResponseCode(200)
                .setHeader("Content-Type", "text/event-stream; charset=utf-8")
                .setBody(fixture(name));
    }

    private static MockResponse json(int status, String name) throws IOException {
        return new MockResponse()
                .setResponseCode(status)
                .setHeader("Content-Type", "application/json")
                .setBody(fixture(name));
    }

    static String fixture(String name) throws IOException {
        try (InputStream in = OpenAiAgentTest.class.getResourceAsStream("/fixtures/openai/" + name)) {
            assertThat(in).as("fixture " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
