package dev.skein.adapters.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.adapters.AgentReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns what an A2A agent answered (a {@code Task} or a {@code Message}) into Skein's reply.
 *
 * <p>Task states: {@code completed} is an answer made of the text of the task's artifacts (else
 * of its status message, else of the last agent message of its history); {@code input-required}
 * is an answer that asks the user, prefixed with {@value #NEEDS_INPUT}, waiting for input, with the
 * task's id as its continuation (the next turn continues that task); {@code failed},
 * {@code rejected} and {@code canceled} fail the turn with the agent's status message;
 * {@code auth-required} fails it saying the agent wants credentials. {@code submitted} and
 * {@code working} are not final: the caller waits for the task.
 */
final class TaskReplies {

    static final String NEEDS_INPUT = "The agent needs more information: ";

    private TaskReplies() {}

    /** True for the states after which a task does not change without a new message from the user. */
    static boolean settled(String state) {
        return !("submitted".equals(state) || "working".equals(state));
    }

    /** The state of a task, e.g. {@code completed}. */
    static String state(JsonNode task) {
        return task.path("status").path("state").asText("unknown");
    }

    /** The reply for a message the agent answered directly, without a task. */
    static AgentReply fromMessage(JsonNode message) {
        return new AgentReply.Answer(text(message.path("parts")));
    }

    /**
     * The reply for a task in a settled state.
     *
     * @param agent the agent's name, for messages
     * @param answerText the answer's text when the caller assembled it (from streamed artifact
     *     chunks), or null to read it from the task
     */
    static AgentReply fromTask(String agent, JsonNode task, String answerText) throws A2aException {
        String state = state(task);
        String id = task.path("id").asText("?");
        String statusText = text(task.path("status").path("message").path("parts"));
        return switch (state) {
            case "completed" -> {
                String text = answerText != null && !answerText.isEmpty() ? answerText : answer(task, statusText);
                if (text.isEmpty()) {
                    throw new A2aException(
                            "A2A agent " + agent + " completed task " + id + " without any text to answer with", false);
                }
                yield new AgentReply.Answer(text);
            }
            case "input-required" -> {
                String question = !statusText.isEmpty() ? statusText : lastAgentMessage(task);
                // The task waits for the user's reply: its id is the continuation the next turn sends.
                yield AgentReply.Answer.awaitingInput(
                        NEEDS_INPUT
                                + (question.isEmpty()
                                        ? "it asked for more input without saying what; please add details."
                                        : question),
                        task.path("id").asText(null));
            }
            case "failed", "rejected", "canceled" ->
                new AgentReply.Failure(
                        "A2A agent " + agent + " " + state + " task " + id
                                + (statusText.isEmpty() ? "" : ": " + statusText),
                        false);
            case "auth-required" ->
                new AgentReply.Failure(
                        "A2A agent " + agent + " requires authentication for task " + id
                                + (statusText.isEmpty() ? "" : ": " + statusText)
                                + "; configure the credentials it expects (api-key-env) and ask again",
                        false);
            default ->
                new AgentReply.Failure(
                        "A2A agent " + agent + " left task " + id + " in state '" + state
                                + "', which Skein cannot act on" + (statusText.isEmpty() ? "" : ": " + statusText),
                        false);
        };
    }

    private static String answer(JsonNode task, String statusText) {
        List<String> texts = new ArrayList<>();
        for (JsonNode artifact : task.path("artifacts")) {
            String text = text(artifact.path("parts"));
            if (!text.isEmpty()) {
                texts.add(text);
            }
        }
        if (!texts.isEmpty()) {
            return String.join("\n", texts);
        }
        return !statusText.isEmpty() ? statusText : lastAgentMessage(task);
    }

    private static String lastAgentMessage(JsonNode task) {
        JsonNode history = task.path("history");
        for (int i = history.size() - 1; i >= 0; i--) {
            if ("agent".equals(history.get(i).path("role").asText())) {
                return text(history.get(i).path("parts"));
            }
        }
        return "";
    }

    /** The text of a list of parts: text parts as they are, data parts as JSON, files by name. */
    static String text(JsonNode parts) {
        StringBuilder text = new StringBuilder();
        for (JsonNode part : parts) {
            String kind = part.path("kind").asText();
            switch (kind) {
                case "text" -> text.append(part.path("text").asText());
                case "data" -> appendLine(text, part.path("data").toString());
                case "file" ->
                    appendLine(
                            text,
                            "[file "
                                    + Optional.ofNullable(part.path("file")
                                                    .path("name")
                                                    .asText(null))
                                            .orElse(part.path("file")
                                                    .path("uri")
                                                    .asText("(inline)"))
                                    + "]");
                default -> {
                    // Parts of kinds this protocol version does not define carry nothing Skein can show.
                }
            }
        }
        return text.toString();
    }

    private static void appendLine(StringBuilder text, String line) {
        if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
            text.append('\n');
        }
        text.append(line);
    }
}
