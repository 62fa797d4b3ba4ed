package dev.skein.integration.adapters;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.Handoffs;
import dev.skein.events.Role;
import java.util.List;
import java.util.Map;

/**
 * Kind {@code triage}, a test agent found by ServiceLoader like any adapter: it hands every new
 * user message to the first agent of its {@code handoffs}, by calling the transfer tool it is offered.
 */
public final class TriageAgentFactory implements AgentAdapterFactory {

    @Override
    public String kind() {
        return "triage";
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        String target = spec.handoffs().getFirst();
        return new AgentAdapter() {
            @Override
            public String name() {
                return spec.name();
            }

            @Override
            public AgentReply decide(dev.skein.events.AgentInvocation invocation, dev.skein.adapters.DeltaSink deltas) {
                boolean offered =
                        invocation.getTools().stream().anyMatch(t -> t.getName().equals(Handoffs.toolName(target)));
                if (invocation.getMessages().getLast().getRole() != Role.USER || !offered) {
                    return new AgentReply.Failure("triage expected a user message and a transfer tool", false);
                }
                return new AgentReply.ToolCalls(
                        "Let me pass you to " + target + ".",
                        List.of(new AgentReply.Call(null, Handoffs.toolName(target), "{}")));
            }
        };
    }
}
