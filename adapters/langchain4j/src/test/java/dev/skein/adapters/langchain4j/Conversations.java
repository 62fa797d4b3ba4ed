package dev.skein.adapters.langchain4j;

import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The conversation every protocol test plays: a travel assistant with two tools. */
final class Conversations {

    static final String SYSTEM_PROMPT = "You are a concise travel assistant.";
    static final String TENANT = "acme";
    static final String SESSION = "s-42";
    static final String TURN = "t-1";

    // Draft 2020-12 as Skein's workers publish it: the root's $schema and title are not
    // representable in LangChain4j and are dropped; "minimum" makes "days" a raw schema node.
    static final ToolDefinition WEATHER = tool("get_weather", "Current weather in a city.", """
            {"$schema":"https://json-schema.org/draft/2020-12/schema","title":"WeatherArguments","type":"object",
             "properties":{
               "city":{"type":"string","description":"City name, e.g. Paris"},
               "unit":{"type":"string","enum":["celsius","fahrenheit"]},
               "days":{"type":"integer","minimum":1,"maximum":7,"description":"Forecast days"},
               "include_wind":{"type":"boolean"},
               "fields":{"type":"array","items":{"type":"string"}}},
             "required":["city"],"additionalProperties":false}""");
    static final ToolDefinition TIME = tool("get_time", "Current local time in an IANA timezone.", """
            {"type":"object","properties":{"timezone":{"type":"string","description":"IANA name, e.g. Asia/Tokyo"},
             "precise":{"type":"number","description":"Digits of seconds"}},"required":["timezone"]}""");
    static final ToolDefinition TRANSFER_TO_BILLING = tool(
            "transfer_to_billing",
            "Hand this conversation to the agent 'billing', which then answers the user.",
            "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}");

    private Conversations() {}

    static AgentSpec spec(String name, Map<String, String> options) {
        return new AgentSpec(
                name, LangChain4jAgentFactory.KIND, options, SYSTEM_PROMPT, Duration.ofSeconds(5), List.of("billing"));
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

    static ChatMessage user(long sequence, String text) {
        return message(sequence, Role.USER).setContent(text).build();
    }

    static ChatMessage assistant(long sequence, String text, List<ToolCall> calls) {
        return message(sequence, Role.ASSISTANT)
                .setContent(text)
                .setToolCalls(calls)
                .build();
    }

    static ChatMessage toolResult(long sequence, ToolCall call, ToolStatus status, String output) {
        return message(sequence, Role.TOOL)
                .setToolCallId(call.getCallId())
                .setToolName(call.getName())
                .setToolStatus(status)
                .setContent(output)
                .build();
    }

    private static ChatMessage.Builder message(long sequence, Role role) {
        // toolCalls is set so Avro does not resolve its default (it would refuse the generated ToolCall class).
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(role)
                .setToolCalls(List.of())
                .setTurnId(TURN)
                .setTimestampMs(1_741_569_950_000L + sequence);
    }

    static AgentInvocation invocation(int step, List<ChatMessage> messages, List<ToolDefinition> tools) {
        return AgentInvocation.newBuilder()
                .setTenant(TENANT)
                .setSessionId(SESSION)
                .setTurnId(TURN)
                .setStep(step)
                .setAgent("travel")
                .setMessages(messages)
                .setTools(tools)
                .setDeadlineMs(0)
                .setRequestedAtMs(1_741_569_950_000L)
                .build();
    }

    static AgentInvocation question(String text) {
        return invocation(0, List.of(user(1, text)), List.of(WEATHER, TIME));
    }

    /** The question as the session asks it again after a retryable failure. */
    static AgentInvocation question(String text, int attempt) {
        return AgentInvocation.newBuilder()
                .setTenant(TENANT)
                .setSessionId(SESSION)
                .setTurnId(TURN)
                .setStep(0)
                .setAttempt(attempt)
                .setAgent("travel")
                .setMessages(List.of(user(1, text)))
                .setTools(List.of(WEATHER, TIME))
                .setDeadlineMs(0)
                .setRequestedAtMs(1_741_569_950_000L)
                .build();
    }

    /**
     * The window of step 1, as the session topology builds it after the tool calls of step 0 ran:
     * the weather call succeeded, the time call timed out.
     */
    static AgentInvocation afterToolCalls(AgentReply.ToolCalls step0) {
        List<ToolCall> calls = new ArrayList<>();
        for (AgentReply.Call call : step0.calls()) {
            calls.add(new ToolCall(call.callId(), call.name(), call.argumentsJson()));
        }
        List<ChatMessage> window = List.of(
                user(1, "What's the weather in Paris, and what time is it in Tokyo?"),
                assistant(2, step0.content(), calls),
                toolResult(
                        3, calls.get(0), ToolStatus.OK, "{\"temperature\":18,\"unit\":\"celsius\",\"sky\":\"cloudy\"}"),
                toolResult(4, calls.get(1), ToolStatus.TIMEOUT, "tool get_time timed out after 30000 ms"));
        return invocation(1, window, List.of(WEATHER, TIME));
    }
}
