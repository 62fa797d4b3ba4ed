package dev.skein.adapters.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.skein.adapters.AgentSpec;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolStatus;
import java.util.ArrayList;
import java.util.List;

/** Skein's context window as LangChain4j messages, which each provider module maps to its own wire format. */
final class ChatHistory {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatHistory() {}

    /**
     * The spec's system prompt (when not blank), then the window oldest first. Tool-call ids are
     * kept as they are, so every tool result still answers the call the model made.
     */
    static List<ChatMessage> from(AgentSpec spec, List<dev.skein.events.ChatMessage> window) {
        List<ChatMessage> messages = new ArrayList<>(window.size() + 1);
        if (!spec.systemPrompt().isBlank()) {
            messages.add(SystemMessage.from(spec.systemPrompt()));
        }
        for (dev.skein.events.ChatMessage message : window) {
            ChatMessage mapped = from(message);
            if (mapped != null) {
                messages.add(mapped);
            }
        }
        return messages;
    }

    private static ChatMessage from(dev.skein.events.ChatMessage message) {
        String content = message.getContent() == null ? "" : message.getContent();
        return switch (message.getRole()) {
            // Blank system messages carry nothing, and SystemMessage refuses them.
            case SYSTEM -> content.isBlank() ? null : SystemMessage.from(content);
            case USER -> UserMessage.from(content);
            case ASSISTANT -> assistant(message, content);
            case TOOL ->
                ToolExecutionResultMessage.builder()
                        .id(message.getToolCallId())
                        .toolName(message.getToolName())
                        .text(content)
                        // Anthropic marks the block is_error so the model knows the call failed.
                        .isError(
                                message.getToolStatus() == null || message.getToolStatus() == ToolStatus.OK
                                        ? null
                                        : Boolean.TRUE)
                        .build();
        };
    }

    private static ChatMessage assistant(dev.skein.events.ChatMessage message, String content) {
        List<ToolExecutionRequest> requests =
                new ArrayList<>(message.getToolCalls().size());
        for (ToolCall call : message.getToolCalls()) {
            requests.add(ToolExecutionRequest.builder()
                    .id(call.getCallId())
                    .name(call.getName())
                    .arguments(sendableArguments(call.getArgumentsJson()))
                    .build());
        }
        if (requests.isEmpty() && content.isEmpty()) {
            // An empty assistant turn says nothing, and providers reject empty content blocks.
            return null;
        }
        return AiMessage.builder()
                .text(content.isEmpty() ? null : content)
                .toolExecutionRequests(requests)
                .build();
    }

    /**
     * Arguments the model once produced that are not a JSON object (the topology answered that
     * call with an error) are sent back as {@code {}}: Anthropic embeds them as a JSON value, so
     * the whole request would be invalid, and the tool result already tells the model what was wrong.
     */
    static String sendableArguments(String argumentsJson) {
        if (argumentsJson == null || argumentsJson.isBlank()) {
            return "{}";
        }
        try {
            return JSON.readTree(argumentsJson).isObject() ? argumentsJson : "{}";
        } catch (JsonProcessingException e) {
            return "{}";
        }
    }
}
