package dev.skein.adapters;

import dev.skein.events.AgentInvocation;
import java.util.List;

/**
 * Adds recalled long-term memories to an invocation whose topology reserved room for them
 * ({@code AgentInvocation.memoryRecall}), before the adapter sees it. The runner, not the
 * topology, recalls: the stream thread must never wait on an embedding or a network call, and the
 * memory index is a view this process keeps (docs/memory.md). The app provides the implementation
 * (it holds the memory index and the tokenizers); this module knows only the contract.
 *
 * <p>An implementation never throws and never waits long: when the index is not ready, recall
 * fails or takes too long, it answers the invocation unchanged with the {@code problem} said, and
 * the step runs without memories.
 */
@FunctionalInterface
public interface MemoryInjection {

    /**
     * What was added.
     *
     * @param invocation what the adapter is given: the one received, or it with the memories' message
     * @param memoryIds the memories added, nearest first; null when none were asked for
     * @param problem why none could be recalled although they were asked for; null otherwise
     */
    record Injected(AgentInvocation invocation, List<String> memoryIds, String problem) {
        /** Nothing asked for, nothing added. */
        public static Injected none(AgentInvocation invocation) {
            return new Injected(invocation, null, null);
        }
    }

    /**
     * Adds nothing: a runner without memory. An invocation that asks for memories all the same (its
     * topology's configuration keeps a share that this runner's does not) runs without them, and says so.
     */
    MemoryInjection NONE = invocation -> invocation.getMemoryRecall() == null
            ? Injected.none(invocation)
            : new Injected(
                    invocation,
                    List.of(),
                    "this agent runner keeps no memory index: its skein.memory.enabled or the agent's"
                            + " context memory-share differ from the session topology's");

    Injected inject(AgentInvocation invocation);
}
