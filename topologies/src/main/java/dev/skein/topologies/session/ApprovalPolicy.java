package dev.skein.topologies.session;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which tool calls the deployment holds for a person's approval, besides those of tools that
 * require it themselves ({@code ToolDefinition.requiresApproval}): tools named for every session,
 * for the steps of one agent, or for the sessions of one tenant. {@link #EVERY_TOOL} names every
 * tool. The scopes add up: a call is held when any of them names its tool.
 *
 * @param tools tools whose calls are held in every session
 * @param byAgent by agent name: tools whose calls are held when that agent makes them
 * @param byTenant by tenant: tools whose calls are held in that tenant's sessions
 */
public record ApprovalPolicy(Set<String> tools, Map<String, Set<String>> byAgent, Map<String, Set<String>> byTenant) {

    /** In a list of tools: every tool. */
    public static final String EVERY_TOOL = "*";

    /** Holds nothing beyond what the tools require themselves. */
    public static final ApprovalPolicy NONE = new ApprovalPolicy(Set.of(), Map.of(), Map.of());

    public ApprovalPolicy {
        tools = Set.copyOf(tools);
        byAgent = copy(byAgent);
        byTenant = copy(byTenant);
    }

    /** Whether a call of {@code tool} made by {@code agent} in a session of {@code tenant} waits for approval. */
    public boolean requires(String tool, String agent, String tenant) {
        return names(tools, tool)
                || names(byAgent.getOrDefault(agent, Set.of()), tool)
                || names(byTenant.getOrDefault(tenant, Set.of()), tool);
    }

    private static boolean names(Set<String> tools, String tool) {
        return tools.contains(tool) || tools.contains(EVERY_TOOL);
    }

    private static Map<String, Set<String>> copy(Map<String, Set<String>> byName) {
        return byName.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> Set.copyOf(e.getValue())));
    }
}
