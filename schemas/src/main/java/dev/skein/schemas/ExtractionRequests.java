package dev.skein.schemas;

import java.util.Arrays;
import java.util.List;

/**
 * The layout of a memory extraction request, shared by the topology that writes it and the
 * adapters that read it (the demo agent). The request is one user message: an instruction, then
 * under {@link #CONVERSATION} the completed turn as a transcript, one message a line ({@code user:
 * ...}, {@code assistant: ...}). The extractor answers with JSON, {@code {"memories": [{"text":
 * "...", "kind": "fact"|"entity"|"episode", "entity": "...", "relations": ["predicate:object"]}]}},
 * an empty list when nothing is worth remembering.
 *
 * <p>Its invocation's turn id is {@link #TURN_PREFIX} and the turn's id; the remember calls made
 * from its answer have the same turn id and the call ids {@link #callId}, which are also the
 * memories' ids: derived from the session, the turn and the memory's place in the answer, so that
 * the same answer taken twice (a redelivery, a restart) writes the same memories again, never new
 * ones. No client's turn id or session id can contain {@code ~}.
 */
public final class ExtractionRequests {

    public static final String TURN_PREFIX = "extract~";
    public static final String CONVERSATION = "\n\n## Conversation\n";
    public static final String INSTRUCTION = "Extract what is worth remembering about the user for later conversations"
            + " from the conversation below: lasting facts about them (name, preferences, circumstances, plans),"
            + " entities they mention with their relations, and nothing that only matters to this one exchange."
            + " Write each memory as a self-contained statement. Answer with JSON only:"
            + " {\"memories\": [{\"text\": \"...\", \"kind\": \"fact\" | \"entity\" | \"episode\","
            + " \"entity\": \"...\", \"relations\": [\"predicate:object\"]}]}, with an empty list when there is"
            + " nothing to remember.";

    private ExtractionRequests() {}

    /** The turn id of the extraction from turn {@code turnId}. */
    public static String turnId(String turnId) {
        return TURN_PREFIX + turnId;
    }

    public static boolean isExtraction(String turnId) {
        return turnId != null && turnId.startsWith(TURN_PREFIX);
    }

    /** The turn an extraction's turn id names. */
    public static String sourceTurn(String extractionTurnId) {
        return extractionTurnId.substring(TURN_PREFIX.length());
    }

    /** The call id, and memory id, of the {@code ordinal}th memory (from 1) extracted from a session's turn. */
    public static String callId(String sessionId, String turnId, int ordinal) {
        return TURN_PREFIX + sessionId + "~" + turnId + "~" + ordinal;
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
