package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The answer to a {@code tools/call} that asked for progress ({@code _meta.progressToken}) from a
 * client that accepts SSE: the response is an event stream with one {@code notifications/progress}
 * per tool delta of the call's turn (the call routed, started on a worker, finished), then the
 * JSON-RPC response, then the end. Text deltas are not sent: they are the agent's words, and the
 * call's result is the tool's output.
 */
final class McpProgressStream implements SessionListener {

    private final HttpServerResponse response;
    private final Context context;
    private final Object token;
    private final String turnId;
    private int progress;
    private boolean started;
    private boolean finished;

    McpProgressStream(HttpServerResponse response, Context context, Object token, String turnId) {
        this.response = response;
        this.context = context;
        this.token = token;
        this.turnId = turnId;
    }

    /** A client that sent a progress token and accepts an event stream gets one. */
    static Object token(JsonObject params, String accept) {
        if (accept == null || !accept.contains("text/event-stream")) {
            return null;
        }
        Object meta = params.getValue("_meta");
        Object token = meta instanceof JsonObject m ? m.getValue("progressToken") : null;
        return token instanceof String || token instanceof Number ? token : null;
    }

    /** The turn's tool progress becomes progress notifications; its text and its start and end do not. */
    @Override
    public void onEvent(StreamEvent event) {
        AgentDelta delta = event.delta();
        if (!turnId.equals(delta.getTurnId())) {
            return;
        }
        String message = switch (delta.getKind()) {
            case TOOL_CALL -> "calling " + delta.getTool();
            case TOOL_STARTED ->
                delta.getTool() + " started on worker " + delta.getWorker() + " (tier " + delta.getTier() + ")";
            case TOOL_FINISHED -> delta.getTool() + " finished";
            case TEXT, TURN_STARTED, TURN_COMPLETED -> null;
        };
        if (message == null) {
            return;
        }
        // Called on the reader's thread: the response is written on the verticle's.
        context.runOnContext(v -> {
            if (!finished) {
                progress++;
                send(new JsonObject()
                        .put("jsonrpc", "2.0")
                        .put("method", "notifications/progress")
                        .put(
                                "params",
                                new JsonObject()
                                        .put("progressToken", token)
                                        .put("progress", progress)
                                        .put("message", message)));
            }
        });
    }

    /** Sends the JSON-RPC response and ends the stream; on the verticle's context. */
    void finish(JsonObject message) {
        if (finished) {
            return;
        }
        finished = true;
        send(message);
        response.end();
    }

    private void send(JsonObject message) {
        if (!started) {
            started = true;
            response.setStatusCode(200)
                    .setChunked(true)
                    .putHeader("Content-Type", "text/event-stream")
                    .putHeader("Cache-Control", "no-cache");
        }
        response.write("event: message\ndata: " + message.encode() + "\n\n");
    }
}
