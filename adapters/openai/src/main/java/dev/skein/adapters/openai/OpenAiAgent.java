package dev.skein.adapters.openai;

import com.openai.azure.credential.AzureApiKeyCredential;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.DeltaSink;
import dev.skein.events.AgentInvocation;
import dev.skein.schemas.SessionAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent behind any OpenAI-compatible chat completions endpoint (OpenAI, Azure OpenAI, vLLM,
 * Ollama, LiteLLM ...), through the official openai-java SDK. Each step is one request: the
 * history and tools go out, the reply comes back streamed (text forwarded to the sink as it
 * arrives) or whole, and becomes an answer, tool calls, a handoff or a failure.
 *
 * <p>Errors of the provider never escape {@link #decide}: they become a {@link AgentReply.Failure}
 * that says whether trying again may help. Only an interrupt (the runner's timeout) does.
 */
public final class OpenAiAgent implements AgentAdapter, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpenAiAgent.class);
    /**
     * Sent when no key is configured: the SDK refuses to build a client without a credential, and
     * local servers (Ollama, vLLM without --api-key, LM Studio) ignore the header.
     */
    static final String PLACEHOLDER_API_KEY = "no-key";

    private final AgentSpec spec;
    private final OpenAiSettings settings;
    private final OpenAIClient client;

    public OpenAiAgent(AgentSpec spec, OpenAiSettings settings) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.client = client(settings);
    }

    private static OpenAIClient client(OpenAiSettings settings) {
        String key = settings.apiKey().orElse(PLACEHOLDER_API_KEY);
        OpenAIOkHttpClient.Builder builder = OpenAIOkHttpClient.builder()
                .baseUrl(settings.baseUrl())
                .maxRetries(settings.maxRetries())
                .timeout(settings.timeout());
        if (isAzure(settings.baseUrl()) && settings.apiKey().isPresent()) {
            // Azure takes its resource keys in an api-key header, not as a bearer token.
            builder.credential(AzureApiKeyCredential.create(key));
        } else {
            builder.apiKey(key);
        }
        return builder.build();
    }

    private static boolean isAzure(String baseUrl) {
        String host = URI.create(baseUrl).getHost().toLowerCase(Locale.ROOT);
        return host.endsWith(".openai.azure.com")
                || host.endsWith(".services.ai.azure.com")
                || host.endsWith(".cognitiveservices.azure.com")
                || host.endsWith(".azure-api.net");
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws InterruptedException {
        String address = SessionAddress.key(invocation.getTenant(), invocation.getSessionId());
        ChatCompletionCreateParams request;
        try {
            request = ChatCompletionRequests.build(invocation, spec.systemPrompt(), settings);
        } catch (IllegalArgumentException e) {
            log.warn(
                    "[{} turn {}] agent {} cannot express the invocation as a chat completion: {}",
                    address,
                    invocation.getTurnId(),
                    spec.name(),
                    e.getMessage());
            return new AgentReply.Failure(e.getMessage(), false);
        }
        log.debug(
                "[{} turn {} step {}] agent {} asks {} at {} ({} messages, {} tools, stream {})",
                address,
                invocation.getTurnId(),
                invocation.getStep(),
                spec.name(),
                settings.model(),
                settings.baseUrl(),
                invocation.getMessages().size(),
                invocation.getTools().size(),
                settings.stream());
        try {
            ModelMessage message = settings.stream() ? streamed(request, deltas) : whole(request, deltas);
            AgentReply reply = message.toReply(spec.handoffs());
            if (reply instanceof AgentReply.Failure failure) {
                log.warn("[{} turn {}] agent {}: {}", address, invocation.getTurnId(), spec.name(), failure.message());
            }
            return reply;
        } catch (OpenAIException | MalformedReplyException e) {
            // An interrupt that reached the SDK inside a socket read or a retry's sleep comes back
            // as an I/O error, and must stay an interrupt.
            if (Thread.currentThread().isInterrupted()) {
                throw interrupted(e);
            }
            AgentReply.Failure failure = e instanceof OpenAIException provider
                    ? ProviderFailures.of(provider, settings.baseUrl(), settings.maxRetries(), invocation)
                    : new AgentReply.Failure(
                            "malformed reply from " + settings.baseUrl() + ": " + e.getMessage(), false);
            log.warn(
                    "[{} turn {}] agent {} failed ({}): {}",
                    address,
                    invocation.getTurnId(),
                    spec.name(),
                    failure.retryable() ? "retryable" : "not retryable",
                    failure.message());
            return failure;
        }
    }

    private ModelMessage streamed(ChatCompletionCreateParams request, DeltaSink deltas) throws InterruptedException {
        StreamedMessage message = new StreamedMessage();
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(request)) {
            Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
            while (chunks.hasNext()) {
                message.accept(chunks.next(), deltas);
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while the reply was streaming");
                }
            }
        }
        return message.complete();
    }

    private ModelMessage whole(ChatCompletionCreateParams request, DeltaSink deltas) {
        ChatCompletion completion = client.chat().completions().create(request);
        AgentReply.Usage usage = completion.usage().map(StreamedMessage::usage).orElse(AgentReply.Usage.UNKNOWN);
        if (completion.choices().isEmpty()) {
            return new ModelMessage("", List.of(), usage, null);
        }
        ChatCompletion.Choice choice = completion.choices().getFirst();
        ChatCompletionMessage message = choice.message();
        String content = message.content().orElse("") + message.refusal().orElse("");
        if (!content.isEmpty()) {
            deltas.text(content);
        }
        List<AgentReply.Call> calls = new ArrayList<>();
        for (ChatCompletionMessageToolCall call : message.toolCalls().orElse(List.of())) {
            if (call.isFunction()) {
                ChatCompletionMessageFunctionToolCall function = call.asFunction();
                calls.add(new AgentReply.Call(
                        function.id(),
                        function.function().name(),
                        StreamedMessage.arguments(function.function().arguments())));
            } else {
                throw new MalformedReplyException(
                        "the model made a custom tool call; Skein offers only function tools");
            }
        }
        String finishReason = choice._finishReason()
                .asKnown()
                .map(ChatCompletion.Choice.FinishReason::asString)
                .orElse(null);
        return new ModelMessage(content, calls, usage, finishReason);
    }

    private static InterruptedException interrupted(Exception cause) {
        // Thrown in place of the interrupt, so the flag is cleared as a blocking call would.
        Thread.interrupted();
        InterruptedException interrupted = new InterruptedException("interrupted while waiting for the model");
        interrupted.initCause(cause);
        return interrupted;
    }

    @Override
    public void close() {
        client.close();
    }
}
