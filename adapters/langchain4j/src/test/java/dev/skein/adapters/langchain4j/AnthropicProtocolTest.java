package dev.skein.adapters.langchain4j;

import static dev.skein.adapters.langchain4j.Conversations.TIME;
import static dev.skein.adapters.langchain4j.Conversations.TRANSFER_TO_BILLING;
import static dev.skein.adapters.langchain4j.Conversations.WEATHER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.events.AgentInvocation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter with the real {@code langchain4j-anthropic} model against a local server speaking
 * the Anthropic Messages API ({@code POST /v1/messages}) from recorded fixtures.
 */
class AnthropicProtocolTest {

    private static final String KEY = "sk-ant-test-0000";
    private static final Map<String, String> ENVIRONMENT = Map.of("SKEIN_TEST_ANTHROPIC_KEY", KEY);

    private FakeProvider server;

    @BeforeEach
    void start() throws Exception {
        server = new FakeProvider();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private AgentAdapter agent(int maxRetries) {
        return new LangChain4jAgentFactory()
                .create(
                        Conversations.spec(
                                "travel",
                                Map.of(
                                        "provider", "anthropic",
                                        "model", "claude-sonnet-4-5-20250929",
                                        "base-url", server.url() + "/v1/",
                                        "api-key-env", "SKEIN_TEST_ANTHROPIC_KEY",
                                        "max-tokens", "1024",
                                        "temperature", "0.2",
                                        "max-retries", Integer.toString(maxRetries))),
                        ENVIRONMENT);
    }

    @Test
    void finalAnswer() throws Exception {
        server.reply(200, "anthropic/final-answer.response.json");

        List<String> deltas = new ArrayList<>();

        AgentReply reply = agent(0).decide(Conversations.question("What is the capital of France?"), deltas::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.Answer("Paris is the capital of France.", new AgentReply.Usage(31L, 10L)));
        assertThat(deltas).containsExactly("Paris is the capital of France.");
        FakeProvider.Request request = single();
        assertThat(request.body())
                .satisfies(body -> assertThat(Fixtures.parse(body))
                        .isEqualTo(Fixtures.json("anthropic/final-answer.request.json")));
    }

    @Test
    void twoParallelToolCallsThenTheirResults() throws Exception {
        server.reply(200, "anthropic/tool-calls.response.json").reply(200, "anthropic/tool-results.response.json");
        AgentAdapter agent = agent(0);

        AgentReply first = agent.decide(
                Conversations.question("What's the weather in Paris, and what time is it in Tokyo?"), DeltaSink.NONE);

        assertThat(first)
                .isEqualTo(new AgentReply.ToolCalls(
                        "I'll check the weather in Paris and the time in Tokyo.",
                        List.of(
                                new AgentReply.Call(
                                        "toolu_01A09q90qw90lq917835lq9",
                                        "get_weather",
                                        "{\"city\":\"Paris\",\"unit\":\"celsius\"}"),
                                new AgentReply.Call(
                                        "toolu_01B7Hx3Vy2Z3ZkM5p1yQ8wRt", "get_time", "{\"timezone\":\"Asia/Tokyo\"}")),
                        new AgentReply.Usage(512L, 121L)));

        AgentReply second = agent.decide(Conversations.afterToolCalls((AgentReply.ToolCalls) first), DeltaSink.NONE);

        assertThat(second)
                .isEqualTo(new AgentReply.Answer(
                        "It is 18°C and cloudy in Paris. I could not get the time in Tokyo: the clock service timed out.",
                        new AgentReply.Usage(689L, 32L)));
        List<FakeProvider.Request> requests = server.requests();
        assertThat(requests).hasSize(2).allSatisfy(this::isMessagesCall);
        assertThat(Fixtures.parse(requests.get(0).body()))
                .isEqualTo(Fixtures.json("anthropic/tool-calls.request.json"));
        // Both tool_result blocks in one user message, answering the tool_use ids the model gave.
        assertThat(Fixtures.parse(requests.get(1).body()))
                .isEqualTo(Fixtures.json("anthropic/tool-results.request.json"));
    }

    @Test
    void aTransferToAHandoffAgentIsAHandoff() throws Exception {
        server.reply(200, "anthropic/handoff.response.json");
        AgentInvocation invocation = Conversations.invocation(
                0, List.of(Conversations.user(1, "I was charged twice.")), List.of(WEATHER, TIME, TRANSFER_TO_BILLING));

        AgentReply reply = agent(0).decide(invocation, DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.Handoff(
                        "toolu_01Kx8Pq2Wn5Rt7Yv3Zb6Mc1D", "billing", null, new AgentReply.Usage(402L, 38L)));
    }

    @Test
    void unauthorizedIsNotRetried() throws Exception {
        server.reply(401, "anthropic/error-401.response.json");

        AgentReply reply = agent(2).decide(Conversations.question("What is the capital of France?"), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "anthropic replied HTTP 401: authentication_error: invalid x-api-key", false));
        single();
    }

    @Test
    void rateLimitIsRetriedThenReportedAsFinal() throws Exception {
        server.reply(429, "anthropic/error-429.response.json").reply(429, "anthropic/error-429.response.json");

        AgentReply reply = agent(1).decide(Conversations.question("What is the capital of France?"), DeltaSink.NONE);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message())
                    .startsWith("anthropic replied HTTP 429: rate_limit_error: This request would exceed");
        });
        assertThat(server.requests()).hasSize(2).allSatisfy(this::isMessagesCall);
    }

    @Test
    void aReplyThatIsNotJsonIsANonRetryableFailure() throws Exception {
        server.reply(200, "anthropic/truncated.response.json");

        AgentReply reply = agent(0).decide(Conversations.question("What is the capital of France?"), DeltaSink.NONE);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).startsWith("anthropic sent a reply that is not valid for its API");
        });
    }

    @Test
    void aCallToAToolNotOfferedIsPassedOnForTheSessionToAnswer() throws Exception {
        server.reply(200, "anthropic/unknown-tool.response.json");

        AgentReply reply = agent(0).decide(Conversations.question("Book me a flight to Tokyo."), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.ToolCalls(
                        null,
                        List.of(new AgentReply.Call(
                                "toolu_01Zr6Nc3Qm8Wt2Yh5Kp9Lb4F", "book_flight", "{\"to\":\"Tokyo\"}")),
                        new AgentReply.Usage(512L, 40L)));
    }

    @Test
    void anInterruptedCallPropagatesTheInterrupt() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch hold = new CountDownLatch(1);
        server.replyAfter(arrived, hold, 200, "anthropic/final-answer.response.json");
        AgentAdapter agent = agent(2);
        AtomicReference<Object> outcome = new AtomicReference<>();
        // The runner interrupts an adapter whose step outlives its timeout.
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                outcome.set(agent.decide(Conversations.question("Hi"), DeltaSink.NONE));
            } catch (Exception e) {
                outcome.set(e);
            }
        });
        try {
            assertThat(arrived.await(5, TimeUnit.SECONDS)).isTrue();
            caller.interrupt();
            assertThat(caller.join(Duration.ofSeconds(5))).isTrue();
        } finally {
            hold.countDown();
        }

        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        single();
    }

    private FakeProvider.Request single() {
        assertThat(server.requests()).hasSize(1);
        FakeProvider.Request request = server.requests().getFirst();
        isMessagesCall(request);
        return request;
    }

    private void isMessagesCall(FakeProvider.Request request) {
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/v1/messages");
        assertThat(request.header("x-api-key")).isEqualTo(KEY);
        assertThat(request.header("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(request.header("content-type")).startsWith("application/json");
        assertThat(request.header("authorization")).isNull();
    }
}
