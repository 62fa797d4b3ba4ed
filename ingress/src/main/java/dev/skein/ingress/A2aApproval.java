package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A decision on the tool calls a task holds for approval, sent as an A2A message with the task's
 * {@code taskId} and a data part {@code {"approve": ["<callId>", ...], "deny": [...], "reason": "..."}}
 * (either list may be left out; the reason is optional). Skein's own shape: A2A 1.0 names no
 * message for approvals, and a data part is how a client sends structured input.
 */
record A2aApproval(List<String> approve, List<String> deny, String reason) {

    private static final Set<String> FIELDS = Set.of("approve", "deny", "reason");

    /** The decision in {@code message}'s parts, or null when it carries none. */
    static A2aApproval in(JsonObject message) {
        Object parts = message.getValue("parts");
        if (!(parts instanceof JsonArray array)) {
            return null;
        }
        for (Object each : array) {
            if (each instanceof JsonObject part
                    && part.getValue("data") instanceof JsonObject data
                    && !data.isEmpty()
                    && FIELDS.containsAll(data.fieldNames())
                    && (data.containsKey("approve") || data.containsKey("deny"))) {
                A2aApproval decision =
                        new A2aApproval(ids(data, "approve"), ids(data, "deny"), A2aSendRequest.string(data, "reason"));
                if (decision.approve().isEmpty() && decision.deny().isEmpty()) {
                    throw A2aError.invalidParams("the approval names no call: give \"approve\" or \"deny\" a list of"
                            + " call ids, such as {\"approve\": [\"call_1\"]}");
                }
                return decision;
            }
        }
        return null;
    }

    private static List<String> ids(JsonObject data, String field) {
        Object value = data.getValue(field);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof JsonArray array)) {
            throw A2aError.invalidParams("'" + field + "' must be a list of call ids");
        }
        List<String> ids = new ArrayList<>();
        for (Object id : array) {
            if (!(id instanceof String text) || text.isBlank() || text.length() > 256) {
                throw A2aError.invalidParams(
                        "'" + field + "' must hold call ids (strings), got " + ClientText.quote(String.valueOf(id)));
            }
            ids.add(text);
        }
        return List.copyOf(ids);
    }

    /** What the status message of a task holding calls says to send. */
    static String howTo(String callId) {
        return "answer with a message of this taskId carrying the data part {\"approve\": [\"" + callId
                + "\"]} or {\"deny\": [\"" + callId + "\"], \"reason\": \"...\"}";
    }
}
