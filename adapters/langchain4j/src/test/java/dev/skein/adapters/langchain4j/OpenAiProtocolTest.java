package dev.skein.adapters.langchain4j;

import static dev.skein.adapters.langchain4j.Conversations.TIME;
import static dev.skein.adapters.langchain4j.Conversations.TRANSFER_TO_BILLING;
import static dev.skein.adapters.langchain4j.Conversations.WEATHER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.events.AgentInvocation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter with the real {@code langchain4j-open-ai} model against a local server speaking
 * the OpenAI Chat Completions API ({@code POST /v1/chat/completions}) from recorded fixtures.
 */
class OpenAiProtocolTest {

    private static final String KEY = "sk-test-0000";
    private static final Map<String, String> ENVIRONMENT = Map.of("OPENAI_API_KEY", KEY);

    private FakeProvider server;

    @BeforeEach
    void start() throws Exception {
        server = new FakeProvider();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    // api-key-env is left out on purpose: OPENAI_API_KEY is the default.
    private AgentAdapter agent(int maxRetries) {
        return new LangChain4jAgentFactory()
                .create(
                        Conversations.spec(
                                "travel",
                                Map.of(
                                        "provider", "openai",
                                        "model", "gpt-4.1",
                                        "base-url", server.url() + "/v1",
                                        "max-tokens", "800",
                                        "temperature", "0.2",
                                        "max-retries", Integer.toString(maxRetries))),
                        ENVIRONMENT);
    }

    @Test
    void finalAnswer() throws Exception {
        server.reply(200, "openai/final-answer.response.json");

        AgentReply reply = agent(0).decide(Conversations.question("What is the capital of France?"), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.Answer("Paris is the capital of France.", new AgentReply.Usage(27L, 8L)));
        assertThat(Fixtures.parse(single().body())).isEqualTo(Fixtures.json("openai/final-answer.request.json"));
    }

    @Test
    void twoParallelToolCallsThenTheirResults() throws Exception {
        server.reply(200, "openai/tool-calls.response.json").reply(200, "openai/tool-results.response.json");
        AgentAdapter agent = agent(0);

        AgentReply first = agent.decide(
                Conversations.question("What's the weather in Paris, and what time is it in Tokyo?"), DeltaSink.NONE);

        assertThat(first)
                .isEqualTo(new AgentReply.ToolCalls(
                        null,
                        List.of(
                                new AgentReply.Call(
                                        "call_Wq2NnJ7dUeYk3hVb0xLp5Rz1",
                                        "get_weather",
                                        "{\"city\":\"Paris\",\"unit\":\"celsius\"}"),
                                new AgentReply.Call(
                                        "call_Pf8Tz4mCq6LsA9wKe2Yh7Gv3", "get_time", "{\"timezone\":\"Asia/Tokyo\"}")),
                        new AgentReply.Usage(301L, 52L)));

        AgentReply second = agent.decide(Conversations.afterToolCalls((AgentReply.ToolCalls) first), DeltaSink.NONE);

        assertThat(second)
                .isEqualTo(new AgentReply.Answer(
                        "It is 18°C and cloudy in Paris. I could not get the time in Tokyo: the clock service timed out.",
                        new AgentReply.Usage(402L, 27L)));
        List<FakeProvider.Request> requests = server.requests();
        assertThat(requests).hasSize(2).allSatisfy(this::isChatCompletionsCall);
        assertThat(Fixtures.parse(requests.get(0).body())).isEqualTo(Fixtures.json("openai/tool-calls.request.json"));
        // One "tool" message per result, each with the tool_call_id the model gave.
        assertThat(Fixtures.parse(requests.get(1).body())).isEqualTo(Fixtures.json("openai/tool-results.request.json"));
    }

    @Test
    void aTransferToAHandoffAgentIsAHandoff() throws Exception {
        server.reply(200, "openai/handoff.response.json");
        AgentInvocation invocation = Conversations.invocation(
                0, List.of(Conversations.user(1, "I was charged twice.")), List.of(WEATHER, TIME, TRANSFER_TO_BILLING));

        AgentReply reply = agent(0).decide(invocation, DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.Handoff(
                        "call_Tb7Kx2mRq5WzN8vLc3Yp6Hd1", "billing", null, new AgentReply.Usage(280L, 14L)));
        // Without strict tools LangChain4j leaves out additionalProperties; the session topology
        // still validates the arguments against the full schema.
        assertThat(Fixtures.parse(single().body()).path("tools").get(2)).isEqualTo(Fixtures.parse("""
                        {"type":"function","function":{"name":"transfer_to_billing",
                         "description":"Hand this conversation to the agent 'billing', which then answers the user.",
                         "parameters":{"type":"object","properties":{},"required":[]}}}"""));
    }

    @Test
    void unauthorizedIsNotRetried() throws Exception {
        server.reply(401, "openai/error-401.response.json");

        AgentReply reply = agent(2).decide(Conversations.question("What is the capital of France?"), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "openai replied HTTP 401: invalid_request_error: Incorrect API key"
                                + " provided: sk-test-*****0000. You can find your API key at https://platform.openai.com/account/api-keys.",
                        false));
        single();
    }

    @Test
    void rateLimitIsRetriedThenReportedAsFinal() throws Exception {
        server.reply(429, "openai/error-429.response.json").reply(429, "openai/error-429.response.json");

        AgentReply reply = agent(1).decide(Conversations.question("What is the capital of France?"), DeltaSink.NONE);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).startsWith("openai replied HTTP 429: tokens: Rate limit reached for gpt-4.1");
        });
        assertThat(server.requests()).hasSize(2).allSatisfy(this::isChatCompletionsCall);
    }

    @Test
    void aServerThatAlwaysFailsGetsTheRetriesOfOneBudgetNotOfTwo() throws Exception {
        // The fake provider answers 500 to every request nothing was queued for.
        AgentAdapter agent = agent(2);

        AgentReply last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            last = agent.decide(Conversations.question("Hi", attempt), DeltaSink.NONE);
            if (!((AgentReply.Failure) last).retryable()) {
                break;
            }
        }

        // max-retries 2: three requests for the step, however many attempts the session allows.
        assertThat(server.requests()).hasSize(3);
        assertThat(last).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).startsWith("openai replied HTTP 500").endsWith("(3 requests)");
        });
    }

    @Test
    void malformedArgumentsAndUnknownToolsArePassedOnForTheSessionToAnswer() throws Exception {
        server.reply(200, "openai/malformed-arguments.response.json");

        AgentReply reply = agent(0).decide(
                        Conversations.question("Weather in Paris, and book me a flight to Tokyo."), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.ToolCalls(
                        null,
                        List.of(
                                new AgentReply.Call("call_Mx5Rb2kTq8WnL4vYc7Hp1Zs9", "get_weather", "{\"city\": \"Par"),
                                new AgentReply.Call(
                                        "call_Jd3Wq6nVr9KtP2mYb5Lc8Xh4", "book_flight", "{\"to\":\"Tokyo\"}")),
                        new AgentReply.Usage(301L, 16L)));
    }

    @Test
    void aReplyWithoutChoicesIsAFailure() throws Exception {
        server.reply(200, "openai/no-choices.response.json");

        AgentReply reply = agent(0).decide(Conversations.question("What is the capital of France?"), DeltaSink.NONE);

        // LangChain4j reports an empty choice list as a server error, which may pass on a retry.
        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "openai failed (InternalServerException): Chat completion failed: no choices returned in response",
                        true));
    }

    @Test
    void anUnreachableServerIsRetriedByTheModelOnly() throws Exception {
        String url = server.url();
        server.close();

        AgentReply reply = new LangChain4jAgentFactory()
                .create(
                        Conversations.spec(
                                "travel",
                                Map.of(
                                        "provider",
                                        "openai",
                                        "model",
                                        "gpt-4.1",
                                        "base-url",
                                        url + "/v1",
                                        "max-retries",
                                        "0")),
                        ENVIRONMENT)
                .decide(Conversations.question("Hi"), DeltaSink.NONE);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).startsWith("cannot reach openai (ConnectException");
        });
    }

    private FakeProvider.Request single() {
        assertThat(server.requests()).hasSize(1);
        FakeProvider.Request request = server.requests().getFirst();
        isChatCompletionsCall(request);
        return request;
    }

    private void isChatCompletionsCall(FakeProvider.Request request) {
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/v1/chat/completions");
        assertThat(request.header("authorization")).isEqualTo("Bearer " + KEY);
        assertThat(request.header("content-type")).startsWith("application/json");
        assertThat(request.header("x-api-key")).isNull();
    }
}
