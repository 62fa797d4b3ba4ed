package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.MemoryRecallSlot;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionSummary;
import dev.skein.events.ToolDefinition;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextWindow;
import dev.skein.topologies.context.MessageTokens;
import dev.skein.topologies.context.SummaryPrompt;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context window of a turn's invocation, built here in the topology rather than in the agent
 * runner: the topology holds the history and the summary in its stores and reads only as far back
 * as the budget reaches, while the runner would need the whole history in every invocation to
 * choose from. The window is the session's summary (when it has one) and the newest history after
 * what the summary covers, within the agent's {@link ContextBudget} ({@link ContextWindow}).
 *
 * <p>Recalled long-term memories are not added here: the stream thread must never wait on an
 * embedding or a network call, and the memory index is a view that the agent runner's process
 * keeps, not this one. For an agent with a {@code memory-share}, the window is built within the
 * budget less that share, and the invocation names what was kept free ({@link MemoryRecallSlot});
 * the runner fills it (docs/memory.md).
 */
final class SessionContext {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    /** Token counts kept per stream task: enough for the windows of a few thousand busy sessions. */
    private static final int REMEMBERED_COUNTS = 200_000;

    private final SessionTopologyConfig config;
    private final ContextWindow builder = new ContextWindow(new MessageTokens(REMEMBERED_COUNTS));

    SessionContext(SessionTopologyConfig config) {
        this.config = config;
    }

    /** The budget of {@code agent}, whose system prompt its adapter adds. */
    ContextBudget budgetOf(String agent) {
        return config.context().budgetOf(agent);
    }

    /** The messages for {@code agent}'s next invocation in {@code session}, offered {@code tools}. */
    ContextWindow.Built window(Session session, String agent, List<ToolDefinition> tools) {
        // The memories' share is kept out of the window's budget: window and memories fit together.
        ContextBudget budget = budgetOf(agent).forHistory();
        int fixed = MessageTokens.systemPrompt(budget.systemPrompt(), budget.tokenizer())
                + MessageTokens.tools(tools, budget.tokenizer());
        SessionSummary summary = session.summary();
        long after = summary == null ? Long.MIN_VALUE + 1 : summary.getThroughSequence();
        List<ChatMessage> preamble = summary == null ? List.of() : List.of(SummaryPrompt.inWindow(summary));
        ContextWindow.Built window;
        try (KeyValueIterator<Bytes, ChatMessage> stored = session.newestFirst(after)) {
            // Keyed by the session's incarnation: an erased session's id starts again at sequence 0.
            window = builder.build(
                    session.address() + "@" + session.meta().getCreatedAtMs(),
                    budget,
                    values(stored),
                    preamble,
                    fixed,
                    config.contextMessages());
        }
        if (window.overBudget()) {
            log.warn(
                    "session {} turn {}: the system prompt and {} tools ({} tokens), the latest user message and"
                            + " the current step take {} tokens, over the {} input tokens of agent {}: sent whole"
                            + " without older history; raise its context max-tokens",
                    session.address(),
                    session.active().getTurnId(),
                    tools.size(),
                    fixed,
                    window.tokens(),
                    budget.inputTokens(),
                    agent);
        }
        return window;
    }

    /**
     * The invocation of the active turn's current step and attempt, with {@code window}'s messages
     * and, when the agent reserves a share for memories, the slot the runner fills.
     */
    AgentInvocation invocation(Session session, List<ToolDefinition> tools, ContextWindow.Built window, long now) {
        SessionMeta meta = session.meta();
        ActiveTurn active = session.active();
        return AgentInvocation.newBuilder()
                .setTenant(meta.getTenant())
                .setSessionId(meta.getSessionId())
                .setTurnId(active.getTurnId())
                .setStep(active.getStep())
                .setAttempt(active.getAgentAttempt())
                .setAgent(active.getAgent())
                .setMessages(window.messages())
                .setTools(tools)
                .setDeadlineMs(active.getDeadlineMs())
                .setRequestedAtMs(now)
                .setContextTokens(window.tokens())
                .setDispatchId(active.getDispatchId())
                .setMemoryRecall(memoryRecall(budgetOf(active.getAgent()), window, active.getUserId()))
                .build();
    }

    /**
     * What the runner may add: the reserved tokens, or fewer when the never-cut part of the window
     * took some of them (an over-budget window leaves nothing); null when nothing is left.
     */
    static MemoryRecallSlot memoryRecall(ContextBudget budget, ContextWindow.Built window, String userId) {
        int tokens = Math.min(budget.memoryTokens(), budget.inputTokens() - window.tokens());
        if (tokens <= 0) {
            return null;
        }
        return MemoryRecallSlot.newBuilder()
                .setTokens(tokens)
                .setLimit(budget.memory().limit())
                .setTokenizer(budget.tokenizer().name().toLowerCase(java.util.Locale.ROOT))
                .setUserId(userId)
                .build();
    }

    private static Iterator<ChatMessage> values(KeyValueIterator<Bytes, ChatMessage> stored) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return stored.hasNext();
            }

            @Override
            public ChatMessage next() {
                KeyValue<Bytes, ChatMessage> entry = stored.next();
                return entry.value;
            }
        };
    }
}
