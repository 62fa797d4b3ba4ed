package dev.skein.schemas;

import java.util.Arrays;
import java.util.List;

/**
 * The layout of a summary request, shared by the topology that writes it and the adapters that
 * read it (the demo agent): one user message holding an instruction, the previous summary under
 * {@link #PREVIOUS} and the transcript of the older conversation under {@link #CONVERSATION}, one
 * message a line. Its invocation's turn id starts with {@link #TURN_PREFIX}, which no client's
 * turn id can ({@code ~} is not allowed in one).
 */
public final class SummaryRequests {

    public static final String TURN_PREFIX = "summary~";
    public static final String PREVIOUS = "## Previous summary\n";
    public static final String CONVERSATION = "\n\n## Conversation\n";
    /** What {@link #PREVIOUS} holds when the session has no summary yet. */
    public static final String NONE = "(none)";

    private SummaryRequests() {}

    /** The previous summary in a request's text; empty when there was none. */
    public static String previous(String request) {
        int start = request.indexOf(PREVIOUS);
        int end = request.indexOf(CONVERSATION);
        if (start < 0 || end < start) {
            return "";
        }
        String previous = request.substring(start + PREVIOUS.length(), end);
        return previous.equals(NONE) ? "" : previous;
    }

    /** The transcript's lines in a request's text. */
    public static List<String> transcript(String request) {
        int start = request.indexOf(CONVERSATION);
        if (start < 0) {
            return List.of();
        }
        return Arrays.stream(request.substring(start + CONVERSATION.length()).split("\n"))
                .filter(line -> !line.isBlank())
                .toList();
    }
}
