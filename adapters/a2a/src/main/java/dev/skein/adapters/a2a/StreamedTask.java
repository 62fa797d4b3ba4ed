package dev.skein.adapters.a2a;

import static dev.skein.adapters.http.RetryingHttpClient.abbreviate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.adapters.DeltaSink;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task assembled from stream events: the first {@code task}, then {@code status-update}s
 * and {@code artifact-update}s applied to it; or the one {@code message} of an agent that
 * answers without a task.
 */
final class StreamedTask {

    private final ObjectMapper json;
    private final Map<String, StringBuilder> artifacts = new LinkedHashMap<>();
    private ObjectNode task;
    private JsonNode message;
    private boolean streamedText;

    StreamedTask(ObjectMapper json) {
        this.json = json;
    }

    /** Applies one event; false when it was the last one. */
    boolean apply(JsonNode result, DeltaSink deltas) throws A2aException {
        switch (result.path("kind").asText()) {
            case "message" -> {
                message = result;
                String text = TaskReplies.text(result.path("parts"));
                if (!text.isEmpty()) {
                    deltas.text(text);
                    streamedText = true;
                }
                return false;
            }
            case "task" -> {
                task = result.deepCopy();
                for (JsonNode artifact : result.path("artifacts")) {
                    artifacts.put(
                            artifact.path("artifactId").asText(),
                            new StringBuilder(TaskReplies.text(artifact.path("parts"))));
                }
                return !TaskReplies.settled(TaskReplies.state(task));
            }
            case "status-update" -> {
                ensureTask(result);
                task.set("status", result.path("status"));
                return !result.path("final").asBoolean(false) && !isFinalState(TaskReplies.state(task));
            }
            case "artifact-update" -> {
                ensureTask(result);
                JsonNode artifact = result.path("artifact");
                String text = TaskReplies.text(artifact.path("parts"));
                StringBuilder assembled =
                        artifacts.computeIfAbsent(artifact.path("artifactId").asText(), id -> new StringBuilder());
                if (!result.path("append").asBoolean(false)) {
                    assembled.setLength(0);
                }
                assembled.append(text);
                if (!text.isEmpty()) {
                    deltas.text(text);
                    streamedText = true;
                }
                return true;
            }
            default ->
                throw new A2aException("unexpected event in the stream: " + abbreviate(result.toString()), false);
        }
    }

    // Events may arrive before (or instead of) the task they belong to; start one from their ids.
    private void ensureTask(JsonNode event) {
        if (task == null) {
            task = json.createObjectNode()
                    .put("kind", "task")
                    .put("id", event.path("taskId").asText())
                    .put("contextId", event.path("contextId").asText());
            task.putObject("status").put("state", "working");
        }
    }

    private static boolean isFinalState(String state) {
        return List.of("completed", "failed", "rejected", "canceled").contains(state);
    }

    /** The text of the streamed artifacts, or null when none streamed (read it from the task then). */
    String answer() {
        if (!streamedText && artifacts.values().stream().allMatch(StringBuilder::isEmpty)) {
            return null;
        }
        return String.join(
                "\n",
                artifacts.values().stream()
                        .map(StringBuilder::toString)
                        .filter(s -> !s.isEmpty())
                        .toList());
    }

    /** The one message of an agent that answered without a task; null otherwise. */
    JsonNode message() {
        return message;
    }

    /** The task as the events built it; null when none came. */
    ObjectNode task() {
        return task;
    }

    /** Whether any text was passed on as deltas. */
    boolean streamedText() {
        return streamedText;
    }
}
