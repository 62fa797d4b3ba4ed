package dev.skein.adapters.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.DeltaSink;
import dev.skein.adapters.Handoffs;
import dev.skein.adapters.RetryBudget;
import dev.skein.events.AgentInvocation;
import dev.skein.schemas.SessionAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent backed by any LangChain4j {@link ChatModel}: the factory builds Anthropic and OpenAI
 * models from configuration, and code can pass any other (Gemini, Bedrock, Mistral, Ollama, ...)
 * to {@link #LangChain4jAgent(AgentSpec, ChatModel)}.
 *
 * <p>Only the low-level {@link ChatModel#chat(ChatRequest)} is used, never {@code AiServices}:
 * AiServices executes tools itself, and Skein runs every tool call on its own workers. One
 * {@link #decide} is one model call; the tool calls it returns go back to the session.
 */
public final class LangChain4jAgent implements AgentAdapter {

    private static final Logger log = LoggerFactory.getLogger(LangChain4jAgent.class);

    private final AgentSpec spec;
    private final ChatModel model;
    private final String provider;
    private final OptionalInt modelRetries;

    /**
     * A model whose own retries Skein does not know: a transient failure goes back to the session
     * as retryable, which asks again up to {@code skein.session.max-agent-attempts}. Build the
     * model with {@code maxRetries(0)} so those attempts are its only retries, or pass its retries
     * with {@link #LangChain4jAgent(AgentSpec, ChatModel, int)}.
     *
     * @param spec the agent's name, system prompt and handoffs (its options are not read here)
     * @param model a ready model
     */
    public LangChain4jAgent(AgentSpec spec, ChatModel model) {
        this(spec, model, OptionalInt.empty());
    }

    /**
     * A model that retries transient failures itself: once it gives up, the failure is final
     * (the session does not ask again and multiply the requests), naming the requests made.
     *
     * @param modelRetries the model's {@code maxRetries}
     */
    public LangChain4jAgent(AgentSpec spec, ChatModel model, int modelRetries) {
        this(spec, model, OptionalInt.of(modelRetries));
        if (modelRetries < 0) {
            throw new IllegalArgumentException("modelRetries must not be negative, got " + modelRetries);
        }
    }

    private LangChain4jAgent(AgentSpec spec, ChatModel model, OptionalInt modelRetries) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.model = Objects.requireNonNull(model, "model");
        this.modelRetries = modelRetries;
        ModelProvider named = model.provider();
        this.provider = named == null || named == ModelProvider.OTHER
                ? model.getClass().getSimpleName()
                : named == ModelProvider.OPEN_AI ? "openai" : named.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws InterruptedException {
        String where = SessionAddress.key(invocation.getTenant(), invocation.getSessionId()) + " turn "
                + invocation.getTurnId() + " step " + invocation.getStep();
        List<ToolSpecification> tools;
        try {
            tools = ToolSpecifications.from(invocation.getTools());
        } catch (IllegalArgumentException e) {
            log.warn("[{}] agent {}: {}", where, spec.name(), e.getMessage());
            return new AgentReply.Failure(e.getMessage() + "; fix the tool's definition", false);
        }
        List<ChatMessage> messages = ChatHistory.from(spec, invocation.getMessages());
        ChatRequest.Builder request = ChatRequest.builder().messages(messages);
        if (!tools.isEmpty()) {
            request.toolSpecifications(tools);
        }
        ChatResponse response;
        try {
            response = model.chat(request.build());
        } catch (RuntimeException e) {
            AgentReply.Failure failure = budgeted(ProviderFailures.from(provider, e), e, invocation);
            log.warn(
                    "[{}] agent {} failed ({}): {}",
                    where,
                    spec.name(),
                    failure.retryable() ? "retryable" : "not retryable",
                    failure.message(),
                    e);
            return failure;
        }
        return reply(where, response, deltas);
    }

    private AgentReply.Failure budgeted(
            AgentReply.Failure failure, RuntimeException error, AgentInvocation invocation) {
        if (!failure.retryable()) {
            return failure;
        }
        if (modelRetries.isPresent() && ProviderFailures.retriedByModel(error)) {
            return RetryBudget.spent(failure.message(), modelRetries.getAsInt() + 1);
        }
        return RetryBudget.askAgain(failure.message(), invocation);
    }

    private AgentReply reply(String where, ChatResponse response, DeltaSink deltas) {
        AiMessage message = response.aiMessage();
        if (message == null) {
            return new AgentReply.Failure(provider + " returned a reply without a message", false);
        }
        AgentReply.Usage usage = usage(response.tokenUsage());
        String text = message.text();
        if (!message.hasToolExecutionRequests()) {
            String answer = text == null ? "" : text;
            // ChatModel answers in one piece (token streaming would need StreamingChatModel), so
            // watchers of the session get the answer as a single delta.
            if (!answer.isEmpty()) {
                deltas.text(answer);
            }
            return new AgentReply.Answer(answer, usage);
        }
        List<AgentReply.Call> calls = new ArrayList<>();
        for (ToolExecutionRequest request : message.toolExecutionRequests()) {
            if (request.name() == null || request.name().isBlank()) {
                // A call without a tool name cannot be answered, not even with an error the model could read.
                String failure = provider + " asked for a tool call without a tool name (call id " + request.id() + ")";
                log.warn("[{}] agent {}: {}", where, spec.name(), failure);
                return new AgentReply.Failure(failure, false);
            }
            // Arguments that are not JSON are passed on as they are: the session topology validates
            // them and answers the model with an error it can fix.
            calls.add(new AgentReply.Call(request.id(), request.name(), ToolArguments.normalized(request.arguments())));
        }
        if (calls.size() == 1) {
            AgentReply.Call only = calls.getFirst();
            Optional<String> target = Handoffs.target(only.name()).filter(spec.handoffs()::contains);
            if (target.isPresent()) {
                return new AgentReply.Handoff(only.callId(), target.get(), text, usage);
            }
        }
        log.debug("[{}] agent {} asks for {} tool call(s)", where, spec.name(), calls.size());
        return new AgentReply.ToolCalls(text, calls, usage);
    }

    private static AgentReply.Usage usage(TokenUsage usage) {
        if (usage == null) {
            return AgentReply.Usage.UNKNOWN;
        }
        return new AgentReply.Usage(toLong(usage.inputTokenCount()), toLong(usage.outputTokenCount()));
    }

    private static Long toLong(Integer count) {
        return count == null ? null : count.longValue();
    }
}
