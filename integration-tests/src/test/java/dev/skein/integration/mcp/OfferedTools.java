package dev.skein.integration.mcp;

import dev.skein.workers.Tool;
import dev.skein.workers.mcp.McpToolSource;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What an {@link McpToolSource} offers, held by name as a worker holds it: offers add, withdrawals remove. */
final class OfferedTools implements McpToolSource.Offers {

    /** The tools on offer now, by Skein name. */
    final Map<String, Tool> byName = new ConcurrentHashMap<>();

    @Override
    public void offer(Collection<? extends Tool> tools) {
        tools.forEach(t -> byName.put(t.name(), t));
    }

    @Override
    public void withdraw(Collection<String> names) {
        names.forEach(byName::remove);
    }
}
