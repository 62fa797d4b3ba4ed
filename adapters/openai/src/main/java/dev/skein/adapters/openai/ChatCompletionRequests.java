package dev.skein.adapters.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an {@link AgentInvocation} into a chat completions request: the agent's system prompt
 * first, then the history with assistant tool calls and tool results in OpenAI's format, and the
 * session's tools as function tools with their JSON Schemas.
 */
final class ChatCompletionRequests {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EMPTY_OBJECT_SCHEMA = "{\"type\":\"object\",\"properties\":{}}";

    private ChatCompletionRequests() {}

    /**
     * @throws IllegalArgumentException when the invocation cannot be expressed in the protocol: a
     *     tool result without the id of its call, or a tool whose parameters schema is not a JSON object
     */
    static ChatCompletionCreateParams build(AgentInvocation invocation, String systemPrompt, OpenAiSettings settings) {
        ChatCompletionCreateParams.Builder request =
                ChatCompletionCreateParams.builder().model(settings.model());
        if (systemPrompt != null && !systemPrompt.isBlank()) {
            request.addSystemMessage(systemPrompt);
        }
        for (ChatMessage message : invocation.getMessages()) {
            addMessage(request, message);
        }
        for (ToolDefinition tool : invocation.getTools()) {
            request.addTool(functionTool(tool));
        }
        if (settings.maxTokens() != null) {
            request.maxTokens(settings.maxTokens());
        }
        if (settings.maxCompletionTokens() != null) {
            request.maxCompletionTokens(settings.maxCompletionTokens());
        }
        if (settings.temperature() != null) {
            request.temperature(settings.temperature());
        }
        if (settings.stream()) {
            // Without it a streamed reply carries no token counts at all.
            request.streamOptions(
                    ChatCompletionStreamOptions.builder().includeUsage(true).build());
        }
        return request.build();
    }

    private static void addMessage(ChatCompletionCreateParams.Builder request, ChatMessage message) {
        String content = message.getContent() == null ? "" : message.getContent();
        switch (message.getRole()) {
            case SYSTEM -> request.addSystemMessage(content);
            case USER -> request.addUserMessage(content);
            case ASSISTANT -> request.addMessage(assistant(message, content));
            case TOOL -> request.addMessage(toolResult(message, content));
        }
    }

    private static ChatCompletionAssistantMessageParam assistant(ChatMessage message, String content) {
        ChatCompletionAssistantMessageParam.Builder assistant = ChatCompletionAssistantMessageParam.builder();
        List<ToolCall> calls = message.getToolCalls();
        // A message with tool calls may carry no text; one without must, or the API rejects it.
        if (calls.isEmpty() || !content.isEmpty()) {
            assistant.content(content);
        }
        for (ToolCall call : calls) {
            assistant.addToolCall(ChatCompletionMessageFunctionToolCall.builder()
                    .id(call.getCallId())
                    .function(ChatCompletionMessageFunctionToolCall.Function.builder()
                            .name(call.getName())
                            .arguments(call.getArgumentsJson())
                            .build())
                    .build());
        }
        return assistant.build();
    }

    private static ChatCompletionToolMessageParam toolResult(ChatMessage message, String content) {
        if (message.getToolCallId() == null || message.getToolCallId().isBlank()) {
            throw new IllegalArgumentException("history message " + message.getSequence()
                    + " is a tool result without the id of its call; chat completions cannot carry it");
        }
        // A tool message has no status field: say it in the text, so the model can tell a failed
        // call from a result and correct itself.
        ToolStatus status = message.getToolStatus();
        String text = status == ToolStatus.ERROR
                ? "Tool error: " + content
                : status == ToolStatus.TIMEOUT ? "Tool timed out: " + content : content;
        return ChatCompletionToolMessageParam.builder()
                .toolCallId(message.getToolCallId())
                .content(text)
                .build();
    }

    private static ChatCompletionFunctionTool functionTool(ToolDefinition tool) {
        FunctionDefinition.Builder function =
                FunctionDefinition.builder().name(tool.getName()).parameters(parameters(tool));
        if (tool.getDescription() != null && !tool.getDescription().isBlank()) {
            function.description(tool.getDescription());
        }
        return ChatCompletionFunctionTool.builder().function(function.build()).build();
    }

    private static FunctionParameters parameters(ToolDefinition tool) {
        String schema =
                tool.getParametersSchema() == null || tool.getParametersSchema().isBlank()
                        ? EMPTY_OBJECT_SCHEMA
                        : tool.getParametersSchema();
        JsonNode parsed;
        try {
            parsed = JSON.readTree(schema);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "tool '" + tool.getName() + "' has a parameters schema that is not JSON: " + e.getOriginalMessage(),
                    e);
        }
        if (!parsed.isObject()) {
            throw new IllegalArgumentException(
                    "tool '" + tool.getName() + "' has a parameters schema that is not a JSON object");
        }
        Map<String, JsonValue> properties = new LinkedHashMap<>();
        parsed.properties().forEach(field -> properties.put(field.getKey(), JsonValue.fromJsonNode(field.getValue())));
        return FunctionParameters.builder()
                .putAllAdditionalProperties(properties)
                .build();
    }
}
