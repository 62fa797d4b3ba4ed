package dev.skein.topologies.session;

import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.PendingExtraction;
import dev.skein.schemas.ExtractionRequests;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.MessageTokens;
import dev.skein.topologies.context.SummaryPrompt;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * What an extractor is asked ({@link ExtractionRequests}): one user message, the instruction and
 * the turn's messages as a transcript in the summary requests' line format, within the extractor's
 * own budget. A transcript, as for summaries: every adapter takes a plain user message, and the
 * extractor is not meant to act on the turn's tool calls.
 */
final class ExtractionPrompt {

    private ExtractionPrompt() {}

    /** The sequence of the first message of the session's newest turn, {@code turnId}. */
    static long firstOfTurn(Session session, String turnId) {
        long first = session.meta().getNextSequence() - 1;
        try (KeyValueIterator<Bytes, ChatMessage> newest =
                session.newestFirst(session.meta().getFirstSequence() - 1)) {
            while (newest.hasNext()) {
                ChatMessage message = newest.next().value;
                if (!turnId.equals(message.getTurnId())) {
                    break;
                }
                first = message.getSequence();
            }
        }
        return first;
    }

    /** The invocation of one attempt of the extraction, read from the history as it is now. */
    static AgentInvocation invocation(
            Session session, PendingExtraction extraction, ContextBudget budget, long deadlineMs, long now) {
        String header = ExtractionRequests.INSTRUCTION + ExtractionRequests.CONVERSATION;
        int room = budget.inputTokens()
                - MessageTokens.systemPrompt(budget.systemPrompt(), budget.tokenizer())
                - MessageTokens.MESSAGE_OVERHEAD
                - budget.tokenizer().count(header);
        List<String> lines = new ArrayList<>();
        try (KeyValueIterator<Bytes, ChatMessage> turn =
                session.oldestFirst(extraction.getFromSequence(), extraction.getThroughSequence())) {
            while (turn.hasNext() && room > 0) {
                String line = SummaryPrompt.line(turn.next().value, budget);
                int tokens = budget.tokenizer().count(line);
                // The turn's first line (the user's message) is kept, cut to the room; later ones whole or not at all.
                if (tokens > room && !lines.isEmpty()) {
                    break;
                }
                lines.add(tokens > room ? budget.tokenizer().head(line, room) + "\n" : line);
                room -= tokens;
            }
        }
        String turnId = ExtractionRequests.turnId(extraction.getTurnId());
        ChatMessage prompt = SummaryPrompt.request(header, lines, turnId, extraction.getAgent(), now);
        return AgentInvocation.newBuilder()
                .setTenant(session.meta().getTenant())
                .setSessionId(session.meta().getSessionId())
                .setTurnId(turnId)
                .setStep(0)
                .setAttempt(extraction.getAttempt())
                .setAgent(extraction.getAgent())
                .setMessages(List.of(prompt))
                .setTools(List.of())
                .setDeadlineMs(deadlineMs)
                .setRequestedAtMs(now)
                .setPurpose(InvocationPurpose.EXTRACT)
                .setContextTokens(MessageTokens.systemPrompt(budget.systemPrompt(), budget.tokenizer())
                        + MessageTokens.count(prompt, budget.tokenizer()))
                .build();
    }
}
