package dev.skein.schemas;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each tenant may use ({@code skein.tenants}): the agents its turns may name and the tools its
 * agents may call. The ingress refuses a turn naming another agent (403); the session topology
 * rejects such a turn however it arrived, and answers a call of a tool the tenant may not use with
 * an error result the agent reads. Shared by both, which is why it lives here.
 *
 * @param byTenant  rules by tenant name
 * @param otherwise the rules of every tenant not in {@code byTenant}
 */
public record TenantAccess(Map<String, Rules> byTenant, Rules otherwise) {

    /** In a list of agents or tools: every one. */
    public static final String EVERY = "*";

    /** Every tenant may use every agent and every tool. */
    public static final TenantAccess OPEN = new TenantAccess(Map.of(), Rules.EVERYTHING);

    /**
     * @param agents the agents a tenant's turns may use; {@link #EVERY} for all
     * @param tools  the tools a tenant's agents may call; {@link #EVERY} for all
     */
    public record Rules(Set<String> agents, Set<String> tools) {

        public static final Rules EVERYTHING = new Rules(Set.of(EVERY), Set.of(EVERY));

        public Rules {
            agents = Set.copyOf(agents);
            tools = Set.copyOf(tools);
        }

        public boolean allowsAgent(String agent) {
            return agents.contains(EVERY) || agents.contains(agent);
        }

        public boolean allowsTool(String tool) {
            return tools.contains(EVERY) || tools.contains(tool);
        }

        /** The allowed agents, sorted, for messages. */
        public String describeAgents() {
            return agents.contains(EVERY) ? "every agent" : String.join(", ", new TreeSet<>(agents));
        }
    }

    public TenantAccess {
        byTenant = Map.copyOf(byTenant);
        if (otherwise == null) {
            throw new IllegalArgumentException("tenant access needs the rules of unlisted tenants");
        }
    }

    public Rules of(String tenant) {
        return byTenant.getOrDefault(tenant, otherwise);
    }

    public boolean allowsAgent(String tenant, String agent) {
        return of(tenant).allowsAgent(agent);
    }

    public boolean allowsTool(String tenant, String tool) {
        return of(tenant).allowsTool(tool);
    }
}
