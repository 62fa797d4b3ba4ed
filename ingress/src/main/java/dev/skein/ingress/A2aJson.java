package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.TurnCompleted;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Skein's turns as A2A 1.0 objects (ProtoJSON: camelCase fields, enum values by their proto names,
 * no {@code kind} discriminators). A task's answer is its artifact {@code answer}; a question the
 * agent asks, an error, or the calls held for approval are its status message.
 */
final class A2aJson {

    static final String ANSWER_ARTIFACT = "answer";
    /** The 1.0 {@code TaskState}s Skein's tasks take (UNSPECIFIED and AUTH_REQUIRED never). */
    static final List<String> STATES = List.of(
            "TASK_STATE_SUBMITTED",
            "TASK_STATE_WORKING",
            "TASK_STATE_INPUT_REQUIRED",
            "TASK_STATE_COMPLETED",
            "TASK_STATE_FAILED",
            "TASK_STATE_CANCELED",
            "TASK_STATE_REJECTED");

    private A2aJson() {}

    /** The A2A state of a finished turn. */
    static String state(TurnCompleted completed) {
        return switch (completed.getStatus()) {
            case COMPLETED -> completed.getAwaitingInput() ? "TASK_STATE_INPUT_REQUIRED" : "TASK_STATE_COMPLETED";
            case FAILED -> "TASK_STATE_FAILED";
            case CANCELLED -> "TASK_STATE_CANCELED";
            case REJECTED -> "TASK_STATE_REJECTED";
        };
    }

    static String stateOf(JsonObject task) {
        return task.getJsonObject("status").getString("state");
    }

    static boolean terminal(String state) {
        return switch (state) {
            case "TASK_STATE_COMPLETED", "TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_REJECTED" -> true;
            default -> false;
        };
    }

    /** The task as a finished turn leaves it; {@code sent}, the client's message, is its history. */
    static JsonObject task(A2aTaskId id, TurnCompleted completed, JsonObject sent) {
        String state = state(completed);
        JsonObject task = task(id, status(id, state, completed.getCompletedAtMs(), statusText(completed)));
        if (state.equals("TASK_STATE_COMPLETED") && completed.getAnswer() != null) {
            task.put("artifacts", new JsonArray().add(answer(completed.getAnswer())));
        }
        if (sent != null) {
            task.put("history", new JsonArray().add(sent));
        }
        return task.put("metadata", skeinMetadata(completed));
    }

    static JsonObject task(A2aTaskId id, JsonObject status) {
        return new JsonObject()
                .put("id", id.toString())
                .put("contextId", id.contextId())
                .put("status", status);
    }

    /** A {@code TaskStatus}; {@code text}, when not null, is its agent message. */
    static JsonObject status(A2aTaskId id, String state, long atMs, String text) {
        JsonObject status = new JsonObject()
                .put("state", state)
                .put("timestamp", Instant.ofEpochMilli(atMs).toString());
        if (text != null) {
            status.put("message", agentMessage(id, text));
        }
        return status;
    }

    static JsonObject agentMessage(A2aTaskId id, String text) {
        return new JsonObject()
                .put("messageId", java.util.UUID.randomUUID().toString())
                .put("contextId", id.contextId())
                .put("taskId", id.toString())
                .put("role", "ROLE_AGENT")
                .put("parts", new JsonArray().add(new JsonObject().put("text", text)));
    }

    static JsonObject answer(String text) {
        return new JsonObject()
                .put("artifactId", ANSWER_ARTIFACT)
                .put("name", ANSWER_ARTIFACT)
                .put("parts", new JsonArray().add(new JsonObject().put("text", text)));
    }

    /** A stream's {@code statusUpdate}. */
    static JsonObject statusUpdate(A2aTaskId id, JsonObject status) {
        return new JsonObject()
                .put(
                        "statusUpdate",
                        new JsonObject()
                                .put("taskId", id.toString())
                                .put("contextId", id.contextId())
                                .put("status", status));
    }

    /**
     * A stream's {@code artifactUpdate} of the answer: tokens as they come ({@code append}), then the
     * whole answer once more ({@code append} false replaces the chunks) as the last chunk.
     */
    static JsonObject artifactUpdate(A2aTaskId id, String text, boolean append, boolean lastChunk) {
        return new JsonObject()
                .put(
                        "artifactUpdate",
                        new JsonObject()
                                .put("taskId", id.toString())
                                .put("contextId", id.contextId())
                                .put("artifact", answer(text))
                                .put("append", append)
                                .put("lastChunk", lastChunk));
    }

    /** What a delta other than text says about the turn's progress, for a WORKING status. */
    static JsonObject progress(A2aTaskId id, AgentDelta delta) {
        String text = switch (delta.getKind()) {
            case TOOL_CALL -> "calling " + delta.getTool();
            case TOOL_STARTED ->
                delta.getTool() + " started" + (delta.getWorker() == null ? "" : " on " + delta.getWorker())
                        + (delta.getTier() == null ? "" : " (tier " + delta.getTier() + ")");
            case TOOL_FINISHED -> delta.getTool() + " finished";
            case TEXT -> "answering";
            case TURN_STARTED -> "started";
            case TURN_COMPLETED -> "finished";
        };
        return status(id, "TASK_STATE_WORKING", delta.getTimestampMs(), text);
    }

    /**
     * The task as the session's history shows it (the JSON of {@code GET /v1/sessions/:id/history},
     * read here or on the instance that holds the session): null when no turn of it is there.
     */
    static JsonObject fromHistory(A2aTaskId id, JsonObject history) {
        JsonArray messages = history.getJsonArray("messages", new JsonArray());
        List<JsonObject> own = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonObject message = messages.getJsonObject(i);
            if (id.owns(message.getString("turnId"))) {
                own.add(message);
            }
        }
        String active = history.getString("activeTurnId");
        boolean running = id.owns(active);
        if (own.isEmpty() && !running) {
            return null;
        }
        // A running task's status dates from its latest message: stable between reads, so that
        // ListTasks orders and pages it the same way each time.
        long now = own.isEmpty()
                ? System.currentTimeMillis()
                : Instant.parse(own.getLast().getString("timestamp")).toEpochMilli();
        JsonObject status;
        JsonArray artifacts = new JsonArray();
        if (running) {
            JsonArray held = history.getJsonArray("pendingApprovals", new JsonArray());
            status = held.isEmpty()
                    ? status(id, "TASK_STATE_WORKING", now, null)
                    : status(id, "TASK_STATE_INPUT_REQUIRED", now, approvalText(id, active, held));
        } else {
            JsonObject last = lastAnswer(own);
            status = last == null ? status(id, "TASK_STATE_WORKING", now, null) : finished(id, last, artifacts);
        }
        JsonObject task = task(id, status).put("history", conversation(id, own));
        if (!artifacts.isEmpty()) {
            task.put("artifacts", artifacts);
        }
        return task;
    }

    /**
     * A task none of whose turns has a message yet: SUBMITTED while its turn waits behind the
     * session's active one, REJECTED once it ended without starting (its reason from
     * {@code ending}, the completion when this instance saw it); null when the session does not
     * know the turn at all.
     */
    static JsonObject unstarted(A2aTaskId id, JsonObject history, java.util.Optional<TurnCompleted> ending) {
        if (history.getJsonArray("queuedTurnIds", new JsonArray()).contains(id.rootTurnId())) {
            return task(
                    id,
                    status(
                            id,
                            "TASK_STATE_SUBMITTED",
                            System.currentTimeMillis(),
                            "queued behind turn " + history.getString("activeTurnId") + " of the session"));
        }
        if (!history.getJsonArray("finishedTurnIds", new JsonArray()).contains(id.rootTurnId())) {
            return null;
        }
        if (ending.isPresent()) {
            TurnCompleted completed = ending.get();
            return task(id, status(id, state(completed), completed.getCompletedAtMs(), statusText(completed)))
                    .put("metadata", skeinMetadata(completed));
        }
        return task(
                id,
                status(
                        id,
                        "TASK_STATE_REJECTED",
                        System.currentTimeMillis(),
                        "the task ended before it started: its turn was rejected (the session was busy, or the"
                                + " agent is not the tenant's) or cancelled while queued; the reason was in its"
                                + " completion"));
    }

    private static JsonObject finished(A2aTaskId id, JsonObject last, JsonArray artifacts) {
        long at = Instant.parse(last.getString("timestamp")).toEpochMilli();
        String content = last.getString("content");
        String outcome = last.getString("outcome");
        if ("FAILED".equals(outcome)) {
            return status(id, "TASK_STATE_FAILED", at, content);
        }
        if ("CANCELLED".equals(outcome)) {
            return status(id, "TASK_STATE_CANCELED", at, content);
        }
        if (last.getBoolean("awaitingInput", false)) {
            return status(id, "TASK_STATE_INPUT_REQUIRED", at, content);
        }
        artifacts.add(answer(content == null ? "" : content));
        return status(id, "TASK_STATE_COMPLETED", at, null);
    }

    /** The last assistant message without tool calls of the task's latest turn: its answer or its end marker. */
    private static JsonObject lastAnswer(List<JsonObject> own) {
        String latestTurn = own.getLast().getString("turnId");
        for (int i = own.size() - 1; i >= 0; i--) {
            JsonObject message = own.get(i);
            if (!latestTurn.equals(message.getString("turnId"))) {
                break;
            }
            if ("assistant".equals(message.getString("role"))
                    && message.getJsonArray("toolCalls", new JsonArray()).isEmpty()) {
                return message;
            }
        }
        return null;
    }

    /** The user's messages and the agent's answers, as A2A messages (tool calls and results left out). */
    private static JsonArray conversation(A2aTaskId id, List<JsonObject> own) {
        JsonArray history = new JsonArray();
        for (JsonObject message : own) {
            String role = message.getString("role");
            boolean spoken = "user".equals(role)
                    || ("assistant".equals(role)
                            && message.getJsonArray("toolCalls", new JsonArray())
                                    .isEmpty());
            if (spoken && message.getString("content") != null) {
                history.add(new JsonObject()
                        .put("messageId", message.getString("turnId") + "-" + message.getLong("sequence"))
                        .put("contextId", id.contextId())
                        .put("taskId", id.toString())
                        .put("role", "user".equals(role) ? "ROLE_USER" : "ROLE_AGENT")
                        .put("parts", new JsonArray().add(new JsonObject().put("text", message.getString("content")))));
            }
        }
        return history;
    }

    private static String approvalText(A2aTaskId id, String turnId, JsonArray held) {
        StringBuilder text = new StringBuilder("waiting for approval of ");
        for (int i = 0; i < held.size(); i++) {
            JsonObject call = held.getJsonObject(i);
            text.append(i == 0 ? "" : ", ")
                    .append(call.getString("tool"))
                    .append(" (call ")
                    .append(call.getString("callId"))
                    .append(')');
        }
        return text.append(": ")
                .append(A2aApproval.howTo(held.getJsonObject(0).getString("callId")))
                .append(", or POST /v1/sessions/")
                .append(id.contextId())
                .append("/tool-calls/{callId}/approve or /deny; turn ")
                .append(turnId)
                .toString();
    }

    private static String statusText(TurnCompleted completed) {
        return switch (completed.getStatus()) {
            case COMPLETED -> completed.getAwaitingInput() ? completed.getAnswer() : null;
            case FAILED, CANCELLED, REJECTED -> completed.getError();
        };
    }

    private static JsonObject skeinMetadata(TurnCompleted completed) {
        return new JsonObject()
                .put(
                        "skein",
                        new JsonObject()
                                .put("turnId", completed.getTurnId())
                                .put("agent", completed.getAgent())
                                .put("steps", completed.getSteps())
                                .put("toolCalls", completed.getToolCalls()));
    }
}
