package dev.skein.topologies.context;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * Builds the messages of one agent invocation within the agent's {@link ContextBudget}.
 *
 * <p>The history is read newest first and cut into units that are kept or cut whole: a user
 * message, an assistant answer, or an assistant message with tool calls together with the tool
 * results that answer them (a provider rejects a result without its call, and a call without its
 * result). Orphaned tool results (their call outside the range read) are left out.
 *
 * <p>What is never cut: the system prompt and the tools (counted first), the latest user message,
 * and the newest unit when it is tool calls and their results (the step the agent continues from).
 * Then, while they fit: the preamble (the session's summary; recalled memories follow it, added
 * by the agent runner within the share the budget keeps for them, {@link MemoryPreamble}), the rest
 * of the current turn newest first, then older history
 * newest first, until a unit does not fit or {@code maxMessages} would be passed: everything
 * older is cut. So what is cut is always the oldest part, and the window never holds a hole
 * between two messages it keeps, except between the latest user message and the tool steps of
 * its own turn that follow it.
 *
 * <p>A tool result longer than {@link ContextBudget#maxToolResultTokens()} is shortened in the
 * window with {@link #truncationMarker}; the history keeps it whole. When the never-cut part alone
 * is over the budget the window holds just that and says so ({@link Built#overBudget()}): cutting
 * the user's own message would answer another question than the one asked.
 *
 * <p>The cost is the window's, not the history's: reading stops at the first unit that does not
 * fit, and a message's tokens are counted once ({@link MessageTokens}).
 */
public final class ContextWindow {

    /**
     * The window of one invocation.
     *
     * @param messages preamble first, then history in sequence order
     * @param tokens everything the invocation sends: system prompt, tools and messages
     * @param firstSequence the oldest history message kept; {@code Long.MAX_VALUE} when none was
     * @param reachedStart every message the history iterator gave was kept: nothing of it is outside the window
     * @param overBudget the never-cut part alone did not fit
     */
    public record Built(
            List<ChatMessage> messages, int tokens, long firstSequence, boolean reachedStart, boolean overBudget) {}

    private final MessageTokens counts;

    public ContextWindow(MessageTokens counts) {
        this.counts = counts;
    }

    /** The marker that ends a truncated tool result in a window. */
    public static String truncationMarker(int shown, int total) {
        return "\n[truncated: " + shown + " of " + total + " tokens shown; the full result is in the session history]";
    }

    /**
     * @param address the session's address (the key of remembered counts)
     * @param newestFirst the session's history after what the preamble covers, newest first
     * @param preamble system-role messages placed first (the summary), each kept only if it fits
     * @param fixedTokens what the invocation sends besides messages: system prompt and tools
     * @param maxMessages at most this many history messages ({@code context-messages})
     */
    public Built build(
            String address,
            ContextBudget budget,
            Iterator<ChatMessage> newestFirst,
            List<ChatMessage> preamble,
            int fixedTokens,
            int maxMessages) {
        Tokenizer tokenizer = budget.tokenizer();
        Units units = new Units(newestFirst, message -> cost(address, message, budget));
        // The current turn: units back to, and including, its user message.
        List<Unit> turn = new ArrayList<>();
        while (units.hasNext()) {
            Unit unit = units.next();
            turn.add(unit);
            if (unit.isUser()) {
                break;
            }
        }
        List<Unit> kept = new ArrayList<>();
        int used = fixedTokens;
        int count = 0;
        Unit user = !turn.isEmpty() && turn.getLast().isUser() ? turn.getLast() : null;
        Unit step = !turn.isEmpty() && turn.getFirst().hasToolCalls() ? turn.getFirst() : null;
        for (Unit mandatory : new Unit[] {user, step}) {
            if (mandatory != null) {
                kept.add(mandatory);
                used += mandatory.tokens;
                count += mandatory.messages.size();
            }
        }
        boolean overBudget = used > budget.inputTokens();
        List<ChatMessage> pre = new ArrayList<>();
        for (ChatMessage message : preamble) {
            int tokens = MessageTokens.count(message, tokenizer);
            if (used + tokens <= budget.inputTokens()) {
                pre.add(message);
                used += tokens;
            }
        }
        boolean open = !overBudget;
        for (Unit unit : turn) {
            if (unit == user || unit == step) {
                continue;
            }
            if (open && used + unit.tokens <= budget.inputTokens() && count + unit.messages.size() <= maxMessages) {
                kept.add(unit);
                used += unit.tokens;
                count += unit.messages.size();
            } else {
                open = false;
            }
        }
        // Past the current turn only when all of it was kept: older history stays contiguous.
        while (open && units.hasNext()) {
            Unit unit = units.next();
            if (used + unit.tokens <= budget.inputTokens() && count + unit.messages.size() <= maxMessages) {
                kept.add(unit);
                used += unit.tokens;
                count += unit.messages.size();
            } else {
                open = false;
            }
        }
        boolean reachedStart = open && !units.hasNext() && units.orphans == 0;
        List<ChatMessage> history = new ArrayList<>(count);
        for (Unit unit : kept) {
            history.addAll(unit.messages);
        }
        history.sort(Comparator.comparingLong(ChatMessage::getSequence));
        long first = history.isEmpty() ? Long.MAX_VALUE : history.getFirst().getSequence();
        List<ChatMessage> messages = new ArrayList<>(pre.size() + history.size());
        messages.addAll(pre);
        for (ChatMessage message : history) {
            messages.add(fitted(message, budget));
        }
        return new Built(messages, used, first, reachedStart, overBudget);
    }

    /** A message's tokens in the window: a long tool result counts as its truncated form. */
    private int cost(String address, ChatMessage message, ContextBudget budget) {
        MessageTokens.Count count = counts.of(address, message, budget.tokenizer());
        if (message.getRole() == Role.TOOL && count.content() > budget.maxToolResultTokens()) {
            return count.total()
                    - count.content()
                    + budget.maxToolResultTokens()
                    + budget.tokenizer().count(truncationMarker(budget.maxToolResultTokens(), count.content()));
        }
        return count.total();
    }

    private static ChatMessage fitted(ChatMessage message, ContextBudget budget) {
        if (message.getRole() != Role.TOOL || message.getContent() == null) {
            return message;
        }
        Tokenizer tokenizer = budget.tokenizer();
        int total = tokenizer.count(message.getContent());
        if (total <= budget.maxToolResultTokens()) {
            return message;
        }
        String head = tokenizer.head(message.getContent(), budget.maxToolResultTokens());
        // A shallow copy by field position: every field kept (those added later too), without the
        // deep copy of a builder, which needs Avro's class trust set up (AvroSerde does it).
        ChatMessage shortened = new ChatMessage();
        for (org.apache.avro.Schema.Field field : message.getSchema().getFields()) {
            shortened.put(field.pos(), message.get(field.pos()));
        }
        shortened.setContent(head + truncationMarker(budget.maxToolResultTokens(), total));
        return shortened;
    }

    /** A run of messages kept or cut together, in sequence order. */
    private record Unit(List<ChatMessage> messages, int tokens) {
        boolean isUser() {
            return messages.getFirst().getRole() == Role.USER;
        }

        boolean hasToolCalls() {
            return !messages.getFirst().getToolCalls().isEmpty();
        }
    }

    /** Groups a newest-first history into {@link Unit}s, lazily: nothing older than asked for is read. */
    private static final class Units implements Iterator<Unit> {
        private final Iterator<ChatMessage> newestFirst;
        private final java.util.function.ToIntFunction<ChatMessage> cost;
        private Unit next;
        int orphans;

        Units(Iterator<ChatMessage> newestFirst, java.util.function.ToIntFunction<ChatMessage> cost) {
            this.newestFirst = newestFirst;
            this.cost = cost;
        }

        @Override
        public boolean hasNext() {
            if (next == null) {
                next = read();
            }
            return next != null;
        }

        @Override
        public Unit next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            Unit unit = next;
            next = null;
            return unit;
        }

        private Unit read() {
            List<ChatMessage> results = new ArrayList<>();
            while (newestFirst.hasNext()) {
                ChatMessage message = newestFirst.next();
                if (message.getRole() == Role.TOOL) {
                    results.addFirst(message);
                    continue;
                }
                if (message.getToolCalls().isEmpty()) {
                    // Results with no call before them: a call cut off by the range read, or a foreign history.
                    orphans += results.size();
                    results.clear();
                }
                List<ChatMessage> messages = new ArrayList<>(results.size() + 1);
                messages.add(message);
                messages.addAll(results);
                int tokens = 0;
                for (ChatMessage m : messages) {
                    tokens += cost.applyAsInt(m);
                }
                return new Unit(messages, tokens);
            }
            orphans += results.size();
            return null;
        }
    }
}
