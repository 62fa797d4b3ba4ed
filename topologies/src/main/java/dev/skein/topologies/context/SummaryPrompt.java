package dev.skein.topologies.context;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionSummary;
import dev.skein.events.ToolCall;
import dev.skein.schemas.SummaryRequests;
import java.util.ArrayList;

/**
 * What a summarizer is asked and how its answer comes back into a context window.
 *
 * <p>The request is one user message ({@link SummaryRequests}): {@link #INSTRUCTION}, the previous
 * summary, and the older part of the conversation as a transcript, one line per message ({@code user: ...}, {@code assistant: ...},
 * {@code assistant called NAME ARGS}, {@code tool NAME: ...}). A transcript rather than the
 * messages themselves: every adapter and provider takes a plain user message, while tool calls
 * without tool definitions are refused by some, and the summarizer is not meant to act on them.
 *
 * <p>In a window the summary is a system-role message right after the agent's system prompt, its
 * turn id {@code summary~<requestId>}, its content {@link #WINDOW_HEADER} then the summary.
 */
public final class SummaryPrompt {

    /** The turn id prefix of summary invocations and of the summary message in a window. */
    public static final String TURN_PREFIX = SummaryRequests.TURN_PREFIX;

    public static final String INSTRUCTION = "Summarize the conversation below for your own later use. Keep every fact,"
            + " name, number, date, decision and open question, and what the user asked for and was told; drop"
            + " greetings and repetition. Fold the previous summary in: the new summary replaces it. Answer with the"
            + " summary only.";
    public static final String WINDOW_HEADER = "[summary of the earlier conversation]\n";

    private SummaryPrompt() {}

    /** The turn id of summary request {@code requestId}. */
    public static String turnId(long requestId) {
        return TURN_PREFIX + requestId;
    }

    public static boolean isSummary(String turnId) {
        return turnId != null && turnId.startsWith(TURN_PREFIX);
    }

    /** The start of the request's text, up to where the transcript's lines go. */
    public static String header(SessionSummary previous) {
        return INSTRUCTION + "\n\n" + SummaryRequests.PREVIOUS
                + (previous == null ? SummaryRequests.NONE : previous.getContent()) + SummaryRequests.CONVERSATION;
    }

    /** One message as a transcript line; a long tool result shortened as in a window. */
    public static String line(ChatMessage message, ContextBudget budget) {
        StringBuilder line = new StringBuilder();
        String content = message.getContent() == null ? "" : message.getContent();
        switch (message.getRole()) {
            case USER -> line.append("user: ").append(content);
            case SYSTEM -> line.append("system: ").append(content);
            case ASSISTANT -> {
                if (!content.isEmpty() || message.getToolCalls().isEmpty()) {
                    line.append("assistant: ").append(content);
                }
                for (ToolCall call : message.getToolCalls()) {
                    line.append(line.isEmpty() ? "" : "\n")
                            .append("assistant called ")
                            .append(call.getName())
                            .append(' ')
                            .append(call.getArgumentsJson());
                }
            }
            case TOOL -> {
                int total = budget.tokenizer().count(content);
                String shown = total <= budget.maxToolResultTokens()
                        ? content
                        : budget.tokenizer().head(content, budget.maxToolResultTokens())
                                + ContextWindow.truncationMarker(budget.maxToolResultTokens(), total);
                line.append("tool ").append(message.getToolName()).append(": ").append(shown);
            }
        }
        return line.append('\n').toString();
    }

    /** The request message: the header and the lines, as one user message. */
    public static ChatMessage request(
            String header, java.util.List<String> lines, String turnId, String agent, long now) {
        return ChatMessage.newBuilder()
                .setSequence(0)
                .setRole(Role.USER)
                .setContent(header + String.join("", lines))
                .setToolCalls(new ArrayList<>())
                .setTurnId(turnId)
                .setAgent(agent)
                .setTimestampMs(now)
                .build();
    }

    /** The summary as the window's first message. */
    public static ChatMessage inWindow(SessionSummary summary) {
        return ChatMessage.newBuilder()
                .setSequence(summary.getThroughSequence())
                .setRole(Role.SYSTEM)
                .setContent(WINDOW_HEADER + summary.getContent())
                .setToolCalls(new ArrayList<>())
                .setTurnId(turnId(summary.getRequestId()))
                .setAgent(summary.getAgent())
                .setTimestampMs(summary.getProducedAtMs())
                .build();
    }
}
