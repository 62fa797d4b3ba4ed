package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.ChatMessage;
import dev.skein.events.ToolCall;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The public JSON shape of Skein's events: what HTTP and WebSocket clients see. */
final class EventJson {

    private static final Logger log = LoggerFactory.getLogger(EventJson.class);

    private EventJson() {}

    /** A finished turn as answered by {@code POST ...?wait}: {@code turnId, session, status, answer, ...}. */
    static JsonObject completion(TurnCompleted completed) {
        Long latencyMs =
                completed.getRequestedAtMs() > 0 ? completed.getCompletedAtMs() - completed.getRequestedAtMs() : null;
        JsonObject json = new JsonObject()
                .put("turnId", completed.getTurnId())
                .put("session", SessionAddress.key(completed.getTenant(), completed.getSessionId()))
                .put("status", completed.getStatus().name())
                .put("answer", completed.getAnswer())
                .put("error", completed.getError())
                .put("agent", completed.getAgent())
                .put("steps", completed.getSteps())
                .put("toolCalls", completed.getToolCalls())
                .put("awaitingInput", completed.getAwaitingInput())
                .put("supersededBy", completed.getSupersededBy())
                .put("rolledBack", completed.getRolledBack())
                .put("latencyMs", latencyMs);
        // Only when the turn was traced: an answer without tracing stays as it was.
        if (completed.getTraceId() != null) {
            json.put("traceId", completed.getTraceId());
        }
        return json;
    }

    /** A WebSocket frame for a completion: the completion fields plus {@code "type": "completed"}. */
    static JsonObject completedFrame(TurnCompleted completed) {
        return new JsonObject().put("type", "completed").mergeIn(completion(completed));
    }

    /** A WebSocket frame for a delta; fields that do not apply to its kind are null. */
    static JsonObject deltaFrame(AgentDelta delta) {
        return new JsonObject()
                .put("type", "delta")
                .put("kind", delta.getKind().name())
                .put("turnId", delta.getTurnId())
                .put("session", SessionAddress.key(delta.getTenant(), delta.getSessionId()))
                .put("step", delta.getStep())
                .put("text", delta.getText())
                .put("callId", delta.getCallId())
                .put("tool", delta.getTool())
                .put("tier", delta.getTier())
                .put("worker", delta.getWorker())
                .put("timestamp", Instant.ofEpochMilli(delta.getTimestampMs()).toString());
    }

    /**
     * A stream's frame for one event, with its {@code position}: {@code started} for a turn's
     * start, {@code completed} for its end (the completion's fields), {@code delta} otherwise.
     */
    static JsonObject frame(StreamEvent event) {
        AgentDelta delta = event.delta();
        JsonObject frame = switch (delta.getKind()) {
            case TURN_STARTED ->
                new JsonObject()
                        .put("type", "started")
                        .put("turnId", delta.getTurnId())
                        .put("session", SessionAddress.key(delta.getTenant(), delta.getSessionId()))
                        .put("agent", delta.getAgent())
                        .put(
                                "timestamp",
                                Instant.ofEpochMilli(delta.getTimestampMs()).toString());
            case TURN_COMPLETED ->
                delta.getCompletion() == null
                        ? deltaFrame(delta).put("type", "completed")
                        : completedFrame(delta.getCompletion());
            default -> deltaFrame(delta);
        };
        return frame.put("position", event.position().toString());
    }

    /** Tells a resuming client that the events between its position and {@code oldest} were deleted. */
    static JsonObject gapFrame(SessionAddress address, StreamPosition requested, StreamPosition oldest) {
        return new JsonObject()
                .put("type", "gap")
                .put("session", address.toString())
                .put("requested", requested == null ? null : requested.toString())
                .put("oldest", oldest.toString())
                .put(
                        "message",
                        "the events after " + requested + " and before " + oldest + " are no longer kept"
                                + " (skein.topics.deltas-retention); the stream goes on from " + oldest
                                + ", and GET /v1/sessions/{id}/history has every completed turn");
    }

    static JsonObject history(SessionAddress address, SessionView view) {
        JsonArray messages = new JsonArray();
        view.messages().forEach(message -> messages.add(message(address, message)));
        var active = view.meta().getActiveTurn();
        // The calls a person must approve or deny before the turn goes on (A2A's input-required).
        JsonArray held = new JsonArray();
        if (active != null) {
            for (var call : active.getPendingCalls()) {
                if (call.getAwaitingApproval()) {
                    held.add(new JsonObject().put("callId", call.getCallId()).put("tool", call.getTool()));
                }
            }
        }
        return new JsonObject()
                .put("session", address.toString())
                .put("status", view.meta().getStatus().name())
                .put("activeTurnId", active == null ? null : active.getTurnId())
                .put("pendingApprovals", held)
                // Turns with no message yet (waiting behind the active one) or ever (rejected):
                // A2A's GetTask reads them as SUBMITTED and REJECTED.
                .put(
                        "queuedTurnIds",
                        new JsonArray(view.meta().getQueuedTurns().stream()
                                .map(turn -> turn.getTurnId())
                                .toList()))
                .put("finishedTurnIds", new JsonArray(List.copyOf(view.meta().getRecentTurnIds())))
                .put("messages", messages);
    }

    private static JsonObject message(SessionAddress address, ChatMessage message) {
        JsonArray toolCalls = new JsonArray();
        for (ToolCall call : message.getToolCalls()) {
            toolCalls.add(new JsonObject()
                    .put("id", call.getCallId())
                    .put("name", call.getName())
                    .put("arguments", arguments(address, call)));
        }
        return new JsonObject()
                .put("sequence", message.getSequence())
                .put("role", message.getRole().name().toLowerCase(Locale.ROOT))
                .put("content", message.getContent())
                .put("toolCalls", toolCalls)
                .put("toolCallId", message.getToolCallId())
                .put("toolName", message.getToolName())
                .put(
                        "toolStatus",
                        message.getToolStatus() == null
                                ? null
                                : message.getToolStatus().name())
                .put("worker", message.getWorker())
                .put("cached", message.getCached())
                .put("deliveryCount", message.getDeliveryCount())
                .put("turnId", message.getTurnId())
                .put("agent", message.getAgent())
                .put("awaitingInput", message.getAwaitingInput())
                .put(
                        "outcome",
                        message.getOutcome() == null
                                ? null
                                : message.getOutcome().name())
                .put("timestamp", Instant.ofEpochMilli(message.getTimestampMs()).toString());
    }

    /**
     * The arguments parsed, so clients need not decode JSON inside JSON. An agent can produce
     * arguments that are not valid JSON (the topology then answers the call with an error): those
     * are shown as the raw string, exactly as the agent wrote them, rather than failing the read.
     */
    private static Object arguments(SessionAddress address, ToolCall call) {
        try {
            return Json.decodeValue(call.getArgumentsJson());
        } catch (DecodeException e) {
            log.debug(
                    "session {}: arguments of tool call {} are not valid JSON; shown as a string: {}",
                    address,
                    call.getCallId(),
                    e.getMessage());
            return call.getArgumentsJson();
        }
    }
}
