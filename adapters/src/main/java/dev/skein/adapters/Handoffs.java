package dev.skein.adapters;

import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The platform tools of the Swarm pattern: an agent configured with {@code handoffs = [b]} is
 * offered a tool {@code transfer_to_b}; when its model calls it, the adapter replies with
 * {@link AgentReply.Handoff} and the session's next step goes to agent b. These tools are never
 * dispatched to a worker: the session topology records the transfer itself.
 */
public final class Handoffs {

    public static final String PREFIX = "transfer_to_";

    private Handoffs() {}

    public static String toolName(String agent) {
        return PREFIX + agent;
    }

    /** The agent a tool call transfers to, when the call is a handoff. */
    public static Optional<String> target(String toolName) {
        return toolName != null && toolName.startsWith(PREFIX) && toolName.length() > PREFIX.length()
                ? Optional.of(toolName.substring(PREFIX.length()))
                : Optional.empty();
    }

    /** The tools an agent sees: the session's tools, plus one transfer tool per agent it may hand to. */
    public static List<ToolDefinition> offered(List<ToolDefinition> tools, AgentSpec spec) {
        if (spec.handoffs().isEmpty()) {
            return tools;
        }
        List<ToolDefinition> all = new ArrayList<>(tools);
        for (String agent : spec.handoffs()) {
            all.add(ToolDefinition.newBuilder()
                    .setName(toolName(agent))
                    .setDescription("Hand this conversation to the agent '" + agent + "', which then answers the user.")
                    .setParametersSchema("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}")
                    .setResources(ResourceSpec.newBuilder()
                            .setCpus(0)
                            .setMemoryBytes(0)
                            .build())
                    .setRetry(RetryPolicy.newBuilder().build())
                    .build());
        }
        return all;
    }
}
