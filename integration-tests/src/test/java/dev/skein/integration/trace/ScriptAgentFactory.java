package dev.skein.integration.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.DeltaSink;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kind {@code trace-script}, found by ServiceLoader in a node started from the test classpath: the
 * user's message {@code {"calls":[{"tool":"x","arguments":{...}}]}} becomes those calls, in one
 * step; with their results in, it answers with one {@code tool=output} line per result.
 */
public final class ScriptAgentFactory implements AgentAdapterFactory {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String kind() {
        return "trace-script";
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        return new AgentAdapter() {
            @Override
            public String name() {
                return spec.name();
            }

            @Override
            public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws Exception {
                List<ChatMessage> messages = invocation.getMessages();
                if (messages.getLast().getRole() == Role.TOOL) {
                    List<String> lines = new ArrayList<>();
                    for (int i = messages.size() - 1; i >= 0 && messages.get(i).getRole() == Role.TOOL; i--) {
                        lines.addFirst(messages.get(i).getToolName() + "="
                                + messages.get(i).getContent());
                    }
                    return new AgentReply.Answer(String.join("\n", lines));
                }
                List<AgentReply.Call> calls = new ArrayList<>();
                for (JsonNode call :
                        JSON.readTree(messages.getLast().getContent()).path("calls")) {
                    calls.add(new AgentReply.Call(
                            null,
                            call.path("tool").asText(),
                            call.path("arguments").toString()));
                }
                return new AgentReply.ToolCalls(null, calls);
            }
        };
    }
}
