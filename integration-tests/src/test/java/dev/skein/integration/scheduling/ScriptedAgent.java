package dev.skein.integration.scheduling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * A test agent that does what the user's message says: {@code {"calls":[{"tool":"x","arguments":{...}}]}}
 * becomes those tool calls; once their results are in, it answers with one line per result:
 * {@code tool|worker|status|output}.
 */
final class ScriptedAgent implements AgentAdapter {

    static final String NAME = "scripted";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws Exception {
        List<ChatMessage> messages = invocation.getMessages();
        ChatMessage last = messages.getLast();
        if (last.getRole() == Role.TOOL) {
            List<String> lines = new ArrayList<>();
            for (int i = messages.size() - 1; i >= 0 && messages.get(i).getRole() == Role.TOOL; i--) {
                ChatMessage m = messages.get(i);
                lines.addFirst(m.getToolName() + "|" + m.getWorker() + "|" + m.getToolStatus() + "|" + m.getContent());
            }
            return new AgentReply.Answer(String.join("\n", lines));
        }
        JsonNode script = JSON.readTree(last.getContent());
        List<AgentReply.Call> calls = new ArrayList<>();
        for (JsonNode call : script.path("calls")) {
            calls.add(new AgentReply.Call(
                    null, call.path("tool").asText(), call.path("arguments").toString()));
        }
        return new AgentReply.ToolCalls(null, calls);
    }
}
