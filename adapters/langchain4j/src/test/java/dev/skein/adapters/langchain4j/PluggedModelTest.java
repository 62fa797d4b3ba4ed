package dev.skein.adapters.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Any LangChain4j ChatModel built in code (Gemini, Bedrock, Ollama, ...) plugs in through the constructor. */
class PluggedModelTest {

    /** A ChatModel as a user would write or wrap one: it records requests and answers from a function. */
    private static final class ScriptedModel implements ChatModel {
        final List<ChatRequest> requests = new ArrayList<>();
        private final Function<ChatRequest, ChatResponse> answer;

        ScriptedModel(Function<ChatRequest, ChatResponse> answer) {
            this.answer = answer;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(request);
            return answer.apply(request);
        }
    }

    @Test
    void historyIsMappedToLangChain4jMessagesWithTheCallIdsKept() throws Exception {
        ScriptedModel model = new ScriptedModel(request -> ChatResponse.builder()
                .aiMessage(AiMessage.from("Done."))
                .tokenUsage(new TokenUsage(7, 2))
                .build());
        ToolCall bad = new ToolCall("c1", "get_weather", "{\"city\": \"Par");
        ToolCall good = new ToolCall("c2", "get_time", "{\"timezone\":\"UTC\"}");

        AgentReply reply = new LangChain4jAgent(Conversations.spec("travel", Map.of()), model)
                .decide(
                        Conversations.invocation(
                                1,
                                List.of(
                                        Conversations.user(1, "Weather and time?"),
                                        Conversations.assistant(2, null, List.of(bad, good)),
                                        Conversations.toolResult(
                                                3, bad, ToolStatus.ERROR, "arguments are not valid JSON"),
                                        Conversations.toolResult(4, good, ToolStatus.OK, "12:00")),
                                List.of(Conversations.WEATHER, Conversations.TIME)),
                        DeltaSink.NONE);

        assertThat(reply).isEqualTo(new AgentReply.Answer("Done.", new AgentReply.Usage(7L, 2L)));
        ChatRequest sent = model.requests.getFirst();
        assertThat(sent.toolSpecifications())
                .extracting(spec -> spec.name())
                .containsExactly("get_weather", "get_time");
        List<ChatMessage> expected = List.of(
                SystemMessage.from(Conversations.SYSTEM_PROMPT),
                UserMessage.from("Weather and time?"),
                AiMessage.from(List.of(
                        // Arguments that were never JSON go back as {} so the request stays valid for every provider.
                        ToolExecutionRequest.builder()
                                .id("c1")
                                .name("get_weather")
                                .arguments("{}")
                                .build(),
                        ToolExecutionRequest.builder()
                                .id("c2")
                                .name("get_time")
                                .arguments("{\"timezone\":\"UTC\"}")
                                .build())),
                ToolExecutionResultMessage.builder()
                        .id("c1")
                        .toolName("get_weather")
                        .text("arguments are not valid JSON")
                        .isError(true)
                        .build(),
                ToolExecutionResultMessage.from("c2", "get_time", "12:00"));
        assertThat(sent.messages()).isEqualTo(expected);
    }

    @Test
    void aTransferAlongsideOtherCallsIsNotAHandoff() throws Exception {
        ScriptedModel model = new ScriptedModel(request -> ChatResponse.builder()
                .aiMessage(AiMessage.from(List.of(
                        ToolExecutionRequest.builder()
                                .id("c1")
                                .name("transfer_to_billing")
                                .arguments("{}")
                                .build(),
                        ToolExecutionRequest.builder()
                                .id("c2")
                                .name("get_time")
                                .arguments("{}")
                                .build())))
                .build());

        AgentReply reply = new LangChain4jAgent(Conversations.spec("travel", Map.of()), model)
                .decide(Conversations.question("Hi"), DeltaSink.NONE);

        assertThat(reply)
                .isInstanceOfSatisfying(
                        AgentReply.ToolCalls.class,
                        calls -> assertThat(calls.calls())
                                .extracting(AgentReply.Call::name)
                                .containsExactly("transfer_to_billing", "get_time"));
    }

    @Test
    void aTransferToAnAgentNotInTheHandoffsIsAnOrdinaryCall() throws Exception {
        ScriptedModel model = new ScriptedModel(request -> ChatResponse.builder()
                .aiMessage(AiMessage.from(List.of(ToolExecutionRequest.builder()
                        .id("c1")
                        .name("transfer_to_sales")
                        .arguments("{}")
                        .build())))
                .build());

        AgentReply reply = new LangChain4jAgent(Conversations.spec("travel", Map.of()), model)
                .decide(Conversations.question("Hi"), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(
                        new AgentReply.ToolCalls(null, List.of(new AgentReply.Call("c1", "transfer_to_sales", "{}"))));
    }

    @Test
    void aCallWithoutAToolNameIsAFailure() throws Exception {
        ScriptedModel model = new ScriptedModel(request -> ChatResponse.builder()
                .aiMessage(AiMessage.from(List.of(ToolExecutionRequest.builder()
                        .id("c1")
                        .name(" ")
                        .arguments("{}")
                        .build())))
                .build());

        AgentReply reply = new LangChain4jAgent(Conversations.spec("travel", Map.of()), model)
                .decide(Conversations.question("Hi"), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "ScriptedModel asked for a tool call without a tool name (call id c1)", false));
    }

    @Test
    void aModelExceptionBecomesAFailureNamingTheModel() throws Exception {
        ScriptedModel model = new ScriptedModel(request -> {
            throw new InvalidRequestException("model 'gemini-9' does not exist");
        });

        AgentReply reply = new LangChain4jAgent(Conversations.spec("travel", Map.of()), model)
                .decide(Conversations.question("Hi"), DeltaSink.NONE);

        assertThat(reply)
                .isEqualTo(new AgentReply.Failure(
                        "ScriptedModel refused the request (InvalidRequestException): model 'gemini-9' does not exist",
                        false));
    }

    @Test
    void aToolWithAnUnusableSchemaIsAFailureNamingIt() throws Exception {
        ScriptedModel model = new ScriptedModel(request ->
                ChatResponse.builder().aiMessage(AiMessage.from("unused")).build());

        AgentReply reply = new LangChain4jAgent(Conversations.spec("travel", Map.of()), model)
                .decide(
                        Conversations.invocation(
                                0,
                                List.of(Conversations.user(1, "Hi")),
                                List.of(Conversations.tool("calc", "Adds.", "{\"type\":\"array\"}"))),
                        DeltaSink.NONE);

        assertThat(reply).isInstanceOfSatisfying(AgentReply.Failure.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.message()).contains("tool 'calc'");
        });
        assertThat(model.requests).isEmpty();
    }
}
