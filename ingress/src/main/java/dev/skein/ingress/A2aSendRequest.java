package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A {@code SendMessageRequest} read for Skein: the user's text (text parts as they are, data parts
 * as their JSON), the session ({@code contextId}, or a new one), the task (a new one, or the one
 * {@code taskId} names, which the message continues), and whether the client waits.
 *
 * @param message the client's message, with the context and task ids filled in (the task's history)
 * @param pushConfig {@code configuration.taskPushNotificationConfig}, or null
 * @param approval   a decision on the task's held calls ({@link A2aApproval}), or null
 */
record A2aSendRequest(
        A2aTaskId task,
        boolean continuing,
        String text,
        boolean returnImmediately,
        JsonObject message,
        JsonObject pushConfig,
        A2aApproval approval) {

    /**
     * Reads the params of a request whose tenant {@link A2aTenancy} has already resolved.
     *
     * @throws A2aError invalid params, or content type not supported (file parts)
     */
    static A2aSendRequest parse(JsonObject params, int maxMessageBytes) {
        JsonObject message = object(params, "message", true);
        String messageId = string(message, "messageId");
        if (messageId == null || messageId.isBlank()) {
            throw A2aError.invalidParams("message.messageId is required");
        }
        Object role = message.getValue("role");
        if (!"ROLE_USER".equals(role)) {
            throw A2aError.invalidParams("message.role must be \"ROLE_USER\" (A2A 1.0 enum names), got "
                    + ClientText.quote(String.valueOf(role)));
        }
        String text = text(message, maxMessageBytes);
        String contextId = string(message, "contextId");
        String taskId = string(message, "taskId");
        A2aTaskId task;
        boolean continuing = taskId != null;
        if (continuing) {
            task = A2aTaskId.parse(taskId);
            if (contextId != null && !contextId.equals(task.contextId())) {
                throw A2aError.invalidParams("message.taskId " + ClientText.quote(taskId) + " belongs to context "
                        + task.contextId() + ", not to message.contextId " + ClientText.quote(contextId));
            }
        } else {
            if (contextId != null && !SessionAddress.isValidPart(contextId)) {
                throw A2aError.invalidParams("message.contextId " + ClientText.quote(contextId)
                        + " is invalid here: it names a Skein session, 1 to 128 of the characters A-Z a-z 0-9 . _ -");
            }
            task = A2aTaskId.start(contextId == null ? UUID.randomUUID().toString() : contextId);
        }
        JsonObject configuration = object(params, "configuration", false);
        boolean immediately = false;
        JsonObject push = null;
        if (configuration != null) {
            Object value = configuration.getValue("returnImmediately");
            if (value != null && !(value instanceof Boolean)) {
                throw A2aError.invalidParams("configuration.returnImmediately must be a boolean");
            }
            immediately = Boolean.TRUE.equals(value);
            push = object(configuration, "taskPushNotificationConfig", false);
        }
        JsonObject sent = message.copy().put("contextId", task.contextId()).put("taskId", task.toString());
        A2aApproval approval = A2aApproval.in(message);
        if (approval != null && !continuing) {
            throw A2aError.invalidParams("an approval ({\"approve\"/\"deny\"} data part) answers a task that holds"
                    + " calls: send it with that task's taskId");
        }
        return new A2aSendRequest(task, continuing, text, immediately, sent, push, approval);
    }

    private static String text(JsonObject message, int maxMessageBytes) {
        Object value = message.getValue("parts");
        if (!(value instanceof JsonArray parts) || parts.isEmpty()) {
            throw A2aError.invalidParams("message.parts must be a non-empty array of parts such as {\"text\": \"hi\"}");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            if (!(parts.getValue(i) instanceof JsonObject part)) {
                throw A2aError.invalidParams("message.parts[" + i + "] must be an object");
            }
            String piece;
            if (part.containsKey("text")) {
                if (!(part.getValue("text") instanceof String s)) {
                    throw A2aError.invalidParams("message.parts[" + i + "].text must be a string");
                }
                piece = s;
            } else if (part.containsKey("data")) {
                // The agent reads text: structured data reaches it as its JSON.
                piece = io.vertx.core.json.Json.encode(part.getValue("data"));
            } else if (part.containsKey("raw") || part.containsKey("url")) {
                throw A2aError.contentType("message.parts[" + i + "] is a file; Skein agents take text and data parts"
                        + " (defaultInputModes text/plain, application/json)");
            } else {
                throw A2aError.invalidParams("message.parts[" + i + "] has none of text, data, raw, url");
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(piece);
        }
        if (text.toString().isBlank()) {
            throw A2aError.invalidParams("the message's text is blank");
        }
        int bytes = text.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxMessageBytes) {
            throw A2aError.invalidParams(
                    "the message is " + bytes + " bytes; the limit is " + maxMessageBytes + " bytes (UTF-8)");
        }
        return text.toString();
    }

    static JsonObject object(JsonObject parent, String field, boolean required) {
        Object value = parent.getValue(field);
        if (value == null) {
            if (required) {
                throw A2aError.invalidParams("'" + field + "' is required");
            }
            return null;
        }
        if (!(value instanceof JsonObject object)) {
            throw A2aError.invalidParams("'" + field + "' must be an object");
        }
        return object;
    }

    static String string(JsonObject parent, String field) {
        Object value = parent.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text)) {
            throw A2aError.invalidParams("'" + field + "' must be a string");
        }
        return text;
    }
}
