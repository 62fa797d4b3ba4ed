package dev.skein.app.runtime;

import dev.skein.adapters.MemoryInjection;
import dev.skein.events.AgentInvocation;
import dev.skein.events.MemoryRecallSlot;
import dev.skein.events.MemoryRecord;
import dev.skein.memory.MemoryIndex;
import dev.skein.memory.MemoryQuery;
import dev.skein.memory.MemoryStore;
import dev.skein.topologies.context.MemoryPreamble;
import dev.skein.topologies.context.Tokenizer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The agent runner's {@link MemoryInjection}: recalls the turn user's memories nearest to the
 * latest user message from this process's {@link MemoryStore} and adds them to the invocation as
 * one system message after the summary, within the tokens the topology kept free
 * ({@link MemoryRecallSlot}), counted with the agent's tokenizer as the window's messages are.
 *
 * <p>Isolation is the recall tool's: the tenant and the user come from the invocation (the
 * topology took them from the turn), never from the model; a turn without a user sees only the
 * tenant's shared memories. Recall runs on a virtual thread of its own and is waited for at most
 * {@code timeout}: an embedding endpoint that hangs costs a step that long, never the step.
 */
final class RecalledMemories implements MemoryInjection, AutoCloseable {

    private final MemoryStore store;
    private final Duration timeout;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("skein-recall-", 0).factory());

    RecalledMemories(MemoryStore store, Duration timeout) {
        this.store = store;
        this.timeout = timeout;
    }

    @Override
    public Injected inject(AgentInvocation invocation) {
        MemoryRecallSlot slot = invocation.getMemoryRecall();
        if (slot == null) {
            return Injected.none(invocation);
        }
        String query = MemoryPreamble.query(invocation.getMessages());
        if (query == null) {
            return new Injected(invocation, List.of(), null);
        }
        if (!store.ready().isDone() || store.ready().isCompletedExceptionally()) {
            String problem = store.problem();
            return unchanged(invocation, "the memory index is not ready" + (problem == null ? "" : ": " + problem));
        }
        Tokenizer tokenizer;
        try {
            tokenizer = Tokenizer.named(slot.getTokenizer());
        } catch (IllegalArgumentException e) {
            return unchanged(invocation, e.getMessage());
        }
        List<MemoryRecord> found;
        Future<List<MemoryRecord>> search = threads.submit(() ->
                store.search(MemoryQuery.recall(invocation.getTenant(), slot.getUserId(), query, slot.getLimit())));
        try {
            found = search.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            search.cancel(true);
            return unchanged(invocation, "memory recall took longer than " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MemoryIndex.UnsearchableText) {
                // A message with no words to search by (only emoji, say) recalls nothing; nothing is wrong.
                return new Injected(invocation, List.of(), null);
            }
            return unchanged(invocation, "memory recall failed: " + e.getCause());
        } catch (InterruptedException e) {
            search.cancel(true);
            Thread.currentThread().interrupt();
            return unchanged(invocation, "memory recall was interrupted");
        }
        MemoryPreamble.Fitted fitted =
                MemoryPreamble.fit(found, slot.getLimit(), slot.getTokens(), tokenizer, System.currentTimeMillis());
        if (fitted.message() == null) {
            return new Injected(invocation, List.of(), null);
        }
        AgentInvocation with = AgentInvocation.newBuilder(invocation)
                .setMessages(MemoryPreamble.insert(invocation.getMessages(), fitted.message()))
                .setContextTokens(
                        invocation.getContextTokens() == null ? null : invocation.getContextTokens() + fitted.tokens())
                .build();
        return new Injected(with, fitted.ids(), null);
    }

    private static Injected unchanged(AgentInvocation invocation, String problem) {
        return new Injected(invocation, List.of(), problem);
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
