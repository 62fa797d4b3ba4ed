package dev.skein.topologies.session;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.PendingSummary;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionSummary;
import dev.skein.events.StepKind;
import dev.skein.schemas.SessionAddress;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextWindow;
import dev.skein.topologies.context.MessageTokens;
import dev.skein.topologies.context.SummaryPrompt;
import dev.skein.topologies.context.SummarySettings;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolling summaries. After a turn's window is built, when at least
 * {@link SummarySettings#afterMessages()} messages lie between the current summary and the window,
 * the summarizer is invoked like any agent (on {@code skein.agent-requests}, purpose SUMMARY, turn
 * id {@code summary~<n>}) with the previous summary and the oldest unsummarized messages that fit
 * its budget. Its FINAL answer becomes the session's summary; nothing is added to the history, so
 * the history's invariant (no gaps, no duplicates, one completion per turn) is untouched.
 *
 * <p>A summary never holds up a turn: turns go on with the summary they have. One request is
 * pending at a time; one unanswered or failed for {@link SummarySettings#retryAfter()} is asked
 * again (a new request id: a late answer to the old one is dropped) when the next window is built.
 */
final class Summaries {

    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final SummarySettings settings;
    private final SessionContext context;
    private final Sessions sessions;
    private final SessionOutput output;

    Summaries(SummarySettings settings, SessionContext context, Sessions sessions, SessionOutput output) {
        this.settings = settings;
        this.context = context;
        this.sessions = sessions;
        this.output = output;
    }

    /** Asks for a summary when the window of {@code turnAgent} left enough of the history outside it. */
    void afterWindow(Session session, ContextWindow.Built window, String turnAgent) {
        SessionMeta meta = session.meta();
        PendingSummary pending = meta.getPendingSummary();
        long now = sessions.now();
        if (!settings.summarizes(turnAgent)
                || (pending != null
                        && now - pending.getRequestedAtMs()
                                < settings.retryAfter().toMillis())) {
            return;
        }
        SessionSummary previous = session.summary();
        long from = Math.max(meta.getFirstSequence(), previous == null ? 0 : previous.getThroughSequence() + 1);
        long through = Math.min(window.firstSequence(), meta.getNextSequence()) - 1;
        if (through - from + 1 < settings.afterMessages()) {
            return;
        }
        String agent = settings.summarizerFor(turnAgent);
        ContextBudget budget = context.budgetOf(agent);
        String header = SummaryPrompt.header(previous);
        int room = budget.inputTokens()
                - MessageTokens.systemPrompt(budget.systemPrompt(), budget.tokenizer())
                - MessageTokens.MESSAGE_OVERHEAD
                - budget.tokenizer().count(header);
        List<String> lines = new ArrayList<>();
        long last = from - 1;
        try (KeyValueIterator<Bytes, ChatMessage> part = session.oldestFirst(from, through)) {
            // A summary ends between units, never between a call and its results: before a message
            // that is not a tool result. The window starts with such a message, so reading to
            // `through` ends at one too.
            int safeLines = 0;
            long safeThrough = from - 1;
            long read = from - 1;
            boolean complete = true;
            while (part.hasNext()) {
                ChatMessage message = part.next().value;
                if (message.getRole() != Role.TOOL) {
                    safeLines = lines.size();
                    safeThrough = read;
                }
                String line = SummaryPrompt.line(message, budget);
                int tokens = budget.tokenizer().count(line);
                if (tokens > room) {
                    complete = false;
                    break;
                }
                room -= tokens;
                lines.add(line);
                read = message.getSequence();
            }
            if (complete) {
                last = through;
            } else {
                lines.subList(safeLines, lines.size()).clear();
                last = safeThrough;
            }
        }
        if (lines.isEmpty()) {
            log.warn(
                    "session {}: message {} alone is over the budget of summarizer {}; raise its context max-tokens",
                    session.address(),
                    from,
                    agent);
            return;
        }
        long requestId = meta.getSummaryRequests() + 1;
        meta.setSummaryRequests(requestId);
        PendingSummary request = PendingSummary.newBuilder()
                .setRequestId(requestId)
                .setAgent(agent)
                .setFromSequence(from)
                .setThroughSequence(last)
                .setRequestedAtMs(now)
                .setAttempt(pending == null ? 1 : pending.getAttempt() + 1)
                .setDispatchId(Dispatches.newId())
                .build();
        meta.setPendingSummary(request);
        String turnId = SummaryPrompt.turnId(requestId);
        ChatMessage prompt = SummaryPrompt.request(header, lines, turnId, agent, now);
        int tokens = MessageTokens.systemPrompt(budget.systemPrompt(), budget.tokenizer())
                + MessageTokens.count(prompt, budget.tokenizer());
        log.debug(
                "session {}: summary {} of messages {}..{} asked of {} (attempt {})",
                session.address(),
                requestId,
                from,
                last,
                agent,
                request.getAttempt());
        output.invoke(
                session.address(),
                AgentInvocation.newBuilder()
                        .setTenant(meta.getTenant())
                        .setSessionId(meta.getSessionId())
                        .setTurnId(turnId)
                        .setStep(0)
                        .setAttempt(request.getAttempt())
                        .setAgent(agent)
                        .setMessages(List.of(prompt))
                        .setTools(List.of())
                        .setDeadlineMs(now + settings.retryAfter().toMillis())
                        .setRequestedAtMs(now)
                        .setPurpose(InvocationPurpose.SUMMARY)
                        .setContextTokens(tokens)
                        .setDispatchId(request.getDispatchId())
                        .build());
    }

    /** The summarizer's step: a FINAL answer to the pending request is the new summary; anything else waits for a retry. */
    void onStep(SessionAddress address, AgentStep step) {
        Session session = sessions.find(address).orElse(null);
        if (session == null) {
            return;
        }
        PendingSummary pending = session.meta().getPendingSummary();
        if (pending == null || !SummaryPrompt.turnId(pending.getRequestId()).equals(step.getTurnId())) {
            session.drop("stale summary step " + step.getTurnId());
        } else if (step.getDispatchId() != null
                && pending.getDispatchId() != null
                && !step.getDispatchId().equals(pending.getDispatchId())) {
            // Its request came from an aborted pass, or an earlier attempt: another window than the pending one.
            session.dropSpeculative("summary-step", "summary step " + step.getTurnId());
        } else if (step.getKind() != StepKind.FINAL
                || step.getContent() == null
                || step.getContent().isBlank()) {
            log.warn(
                    "session {}: summary {} by {} failed ({} {}); asked again after {}",
                    address,
                    pending.getRequestId(),
                    step.getAgent(),
                    step.getKind(),
                    step.getError(),
                    settings.retryAfter());
        } else {
            SessionSummary previous = session.summary();
            session.saveSummary(SessionSummary.newBuilder()
                    .setTenant(address.tenant())
                    .setSessionId(address.sessionId())
                    .setContent(step.getContent())
                    .setThroughSequence(pending.getThroughSequence())
                    .setRolls(previous == null ? 1 : previous.getRolls() + 1)
                    .setRequestId(pending.getRequestId())
                    .setAgent(step.getAgent())
                    .setProducedAtMs(sessions.now())
                    .build());
            session.meta().setPendingSummary(null);
            log.debug(
                    "session {}: summary {} through message {} stored",
                    address,
                    pending.getRequestId(),
                    pending.getThroughSequence());
        }
        session.save();
    }
}
