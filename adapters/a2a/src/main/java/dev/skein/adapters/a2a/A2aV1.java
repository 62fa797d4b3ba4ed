package dev.skein.adapters.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;

/**
 * A2A 1.0's wire shapes, translated to and from the 0.3 shapes the rest of the adapter reads
 * ({@link TaskReplies}, {@link StreamedTask}): the protocol's meaning did not change between the
 * two, its spelling did. 1.0 (a2aproject/A2A, specification/a2a.proto and docs/specification.md):
 * PascalCase methods ({@code SendMessage}, {@code SendStreamingMessage}, {@code GetTask}); enum
 * values by their proto names ({@code ROLE_USER}, {@code TASK_STATE_INPUT_REQUIRED}); no
 * {@code kind} discriminators: a part is told by its field ({@code text}, {@code data},
 * {@code url}, {@code raw}), a response or stream event by its member ({@code task},
 * {@code message}, {@code statusUpdate}, {@code artifactUpdate}); {@code blocking} became
 * {@code returnImmediately}; a request may name the interface's {@code tenant}.
 */
final class A2aV1 {

    /** 0.3 method names to 1.0's. */
    static final Map<String, String> METHODS = Map.of(
            "message/send", "SendMessage",
            "message/stream", "SendStreamingMessage",
            "tasks/get", "GetTask",
            "tasks/cancel", "CancelTask");

    private A2aV1() {}

    static String method(String method03) {
        String method = METHODS.get(method03);
        if (method == null) {
            throw new IllegalArgumentException("no A2A 1.0 method for " + method03);
        }
        return method;
    }

    /** The 1.0 form of the params the adapter builds in 0.3's shape. */
    static ObjectNode params(JsonNode params03, String tenant) {
        ObjectNode params = params03.deepCopy();
        if (params.get("message") instanceof ObjectNode message) {
            message.remove("kind");
            message.put("role", "ROLE_" + message.path("role").asText("user").toUpperCase(Locale.ROOT));
            if (message.get("parts") instanceof ArrayNode parts) {
                for (JsonNode part : parts) {
                    ((ObjectNode) part).remove("kind");
                }
            }
        }
        if (params.get("configuration") instanceof ObjectNode configuration && configuration.has("blocking")) {
            configuration.put(
                    "returnImmediately", !configuration.remove("blocking").asBoolean(true));
        }
        if (tenant != null && !tenant.isBlank()) {
            params.put("tenant", tenant);
        }
        return params;
    }

    /**
     * A 1.0 {@code SendMessageResponse} or {@code StreamResponse} ({@code {"task": ...}},
     * {@code {"statusUpdate": ...}} ...) in 0.3's shape, with its {@code kind}.
     *
     * @throws A2aException when it holds none of the members 1.0 defines
     */
    static JsonNode response(JsonNode response) throws A2aException {
        for (var member : Map.of(
                        "task", "task",
                        "message", "message",
                        "statusUpdate", "status-update",
                        "artifactUpdate", "artifact-update")
                .entrySet()) {
            if (response.get(member.getKey()) instanceof ObjectNode payload) {
                return convert(payload.deepCopy(), member.getValue());
            }
        }
        throw new A2aException(
                "A2A 1.0 agent answered with none of task, message, statusUpdate, artifactUpdate: "
                        + dev.skein.adapters.http.RetryingHttpClient.abbreviate(response.toString()),
                false);
    }

    /** A 1.0 {@code Task} (the result of {@code GetTask}) in 0.3's shape. */
    static JsonNode task(JsonNode task) {
        return convert(task.deepCopy(), "task");
    }

    private static JsonNode convert(ObjectNode payload, String kind) {
        payload.put("kind", kind);
        switch (kind) {
            case "message" -> message(payload);
            case "task" -> {
                status(payload.get("status"));
                for (JsonNode message : payload.path("history")) {
                    message((ObjectNode) message);
                }
                for (JsonNode artifact : payload.path("artifacts")) {
                    parts(artifact.get("parts"));
                }
            }
            case "status-update" -> status(payload.get("status"));
            case "artifact-update" -> parts(payload.path("artifact").get("parts"));
            default -> throw new IllegalStateException(kind);
        }
        return payload;
    }

    private static void status(JsonNode status) {
        if (status instanceof ObjectNode object) {
            object.put("state", state(object.path("state").asText()));
            if (object.get("message") instanceof ObjectNode message) {
                message(message);
            }
        }
    }

    /** {@code TASK_STATE_INPUT_REQUIRED} is 0.3's {@code input-required}. */
    static String state(String state) {
        String bare = state.startsWith("TASK_STATE_") ? state.substring("TASK_STATE_".length()) : state;
        return bare.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static void message(ObjectNode message) {
        message.put("kind", "message");
        String role = message.path("role").asText();
        message.put("role", role.startsWith("ROLE_") ? role.substring(5).toLowerCase(Locale.ROOT) : role);
        parts(message.get("parts"));
    }

    private static void parts(JsonNode parts) {
        if (!(parts instanceof ArrayNode array)) {
            return;
        }
        for (JsonNode each : array) {
            if (!(each instanceof ObjectNode part)) {
                continue;
            }
            if (part.has("text")) {
                part.put("kind", "text");
            } else if (part.has("data")) {
                part.put("kind", "data");
            } else if (part.has("url") || part.has("raw")) {
                part.put("kind", "file");
                ObjectNode file = part.putObject("file");
                if (part.hasNonNull("filename")) {
                    file.put("name", part.get("filename").asText());
                }
                if (part.hasNonNull("url")) {
                    file.put("uri", part.get("url").asText());
                }
            }
        }
    }
}
