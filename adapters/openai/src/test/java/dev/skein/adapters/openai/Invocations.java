package dev.skein.adapters.openai;

import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolStatus;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.util.ClassSecurityValidator;

/** Invocations as the session topology sends them, for the tests. */
final class Invocations {

    static {
        // Avro builders resolve record defaults by class name, which Avro 1.12 allows only for
        // trusted packages; production trusts Skein's events in AvroSerde, which these tests skip.
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.getGlobal(),
                type -> type.getPackageName().equals("dev.skein.events")));
    }

    static final ToolDefinition CALCULATOR = tool(
            "calculator",
            "Evaluates an arithmetic expression",
            "{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\",\"description\":\"e.g. 6*7\"}},"
                    + "\"required\":[\"expression\"],\"additionalProperties\":false}");
    static final ToolDefinition GET_WEATHER = tool(
            "get_weather",
            "Current weather for a city",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"description\":\"City name, e.g. Paris\"},"
                    + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},"
                    + "\"required\":[\"city\"],\"additionalProperties\":false}");

    private final List<ChatMessage> messages = new ArrayList<>();
    private final List<ToolDefinition> tools = new ArrayList<>();
    private int step;
    private int attempt = 1;

    static Invocations turn() {
        return new Invocations();
    }

    static ToolDefinition tool(String name, String description, String schema) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription(description)
                .setParametersSchema(schema)
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .build();
    }

    Invocations user(String content) {
        return add(message(Role.USER).setContent(content));
    }

    Invocations assistant(String content) {
        return add(message(Role.ASSISTANT).setContent(content));
    }

    Invocations assistantCalls(ToolCall... calls) {
        return add(message(Role.ASSISTANT).setToolCalls(List.of(calls)));
    }

    Invocations toolResult(String callId, String name, ToolStatus status, String output) {
        return add(message(Role.TOOL)
                .setToolCallId(callId)
                .setToolName(name)
                .setToolStatus(status)
                .setContent(output));
    }

    Invocations tools(ToolDefinition... offered) {
        tools.addAll(List.of(offered));
        return this;
    }

    Invocations step(int value) {
        step = value;
        return this;
    }

    Invocations attempt(int value) {
        attempt = value;
        return this;
    }

    AgentInvocation build() {
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("weather-1")
                .setTurnId("turn-1")
                .setStep(step)
                .setAttempt(attempt)
                .setAgent("assistant")
                .setMessages(List.copyOf(messages))
                .setTools(List.copyOf(tools))
                .setDeadlineMs(0)
                .setRequestedAtMs(1_753_190_400_000L)
                .build();
    }

    private ChatMessage.Builder message(Role role) {
        return ChatMessage.newBuilder()
                .setSequence(messages.size())
                .setRole(role)
                .setTurnId("turn-1")
                .setAgent("assistant")
                .setTimestampMs(1_753_190_400_000L + messages.size());
    }

    private Invocations add(ChatMessage.Builder message) {
        messages.add(message.build());
        return this;
    }
}
