package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SendStreamingMessage}: the task, then its progress from Skein's deltas (tokens as
 * {@code artifactUpdate}s of the answer, tool calls as WORKING {@code statusUpdate}s), then the
 * whole answer and the final status; the stream ends there, or when the task needs input (the
 * agent asks, or a call waits for approval), or after {@code skein.http.max-wait} with the task
 * still WORKING (poll {@code GetTask} then).
 */
final class A2aStream {

    private static final Logger log = LoggerFactory.getLogger(A2aStream.class);

    /** Where the stream's events go; the binding frames them. Called on the verticle's context. */
    interface Sink {
        void event(JsonObject streamResponse);

        void end();
    }

    private final A2aService service;
    private final SessionEvents events;
    private final Context context;
    private final A2aSessionReads reads;
    private final long maxWaitMillis;

    A2aStream(A2aService service, SessionEvents events, Context context, A2aSessionReads reads, long maxWaitMillis) {
        this.service = service;
        this.events = events;
        this.context = context;
        this.reads = reads;
        this.maxWaitMillis = maxWaitMillis;
    }

    /**
     * Submits the message and streams its task to {@code sink}. Fails, before any event, with an
     * {@link A2aError} when the message is refused; once it succeeds, the sink gets events until
     * {@link Sink#end}. Closing the returned handle (the client went away) stops the stream.
     */
    Future<AutoCloseable> start(RoutingContext ctx, String agent, JsonObject params, Sink sink) {
        Run run = new Run(ctx, sink);
        return service.submit(ctx, agent, params, run::subscribe)
                .onFailure(refused -> run.close())
                .map(submitted -> {
                    run.started();
                    return run::close;
                });
    }

    /** One stream: its state lives on the verticle's context. */
    private final class Run implements SessionListener {
        private final RoutingContext ctx;
        private final Sink sink;
        private A2aService.Submitted submitted;
        private AutoCloseable subscription;
        private final List<Runnable> early = new ArrayList<>();
        private boolean started;
        private boolean working;
        private boolean streamedText;
        private boolean closed;
        private long approvalTimer = -1;
        private long deadline;

        Run(RoutingContext ctx, Sink sink) {
            this.ctx = ctx;
            this.sink = sink;
        }

        void subscribe(A2aService.Submitted submitted) {
            this.submitted = submitted;
            subscription = events.subscribe(submitted.address(), StreamStart.NOW, this);
        }

        void started() {
            started = true;
            deadline = System.currentTimeMillis() + maxWaitMillis;
            sink.event(new JsonObject().put("task", A2aService.submittedTask(submitted.request())));
            early.forEach(Runnable::run);
            early.clear();
            approvalTimer = context.owner().setPeriodic(A2aService.APPROVAL_CHECK_MILLIS, id -> checkSession());
        }

        /** The session's stream: its text and tool progress, and the turn's completion marker. */
        @Override
        public void onEvent(StreamEvent event) {
            AgentDelta delta = event.delta();
            if (!submitted.turn().getTurnId().equals(delta.getTurnId())) {
                return;
            }
            switch (delta.getKind()) {
                case TURN_STARTED -> {
                    // the task was announced when it was submitted
                }
                case TURN_COMPLETED -> {
                    TurnCompleted completed = delta.getCompletion();
                    if (completed != null) {
                        context.runOnContext(v -> whenStarted(() -> completed(completed)));
                    }
                }
                default -> context.runOnContext(v -> whenStarted(() -> delta(delta)));
            }
        }

        private void whenStarted(Runnable action) {
            if (closed) {
                return;
            }
            if (started) {
                action.run();
            } else {
                early.add(action);
            }
        }

        private void delta(AgentDelta delta) {
            A2aTaskId id = submitted.request().task();
            if (delta.getKind() == DeltaKind.TEXT && delta.getText() != null) {
                if (!working) {
                    working = true;
                    sink.event(A2aJson.statusUpdate(
                            id, A2aJson.status(id, "TASK_STATE_WORKING", delta.getTimestampMs(), null)));
                }
                sink.event(A2aJson.artifactUpdate(id, delta.getText(), streamedText, false));
                streamedText = true;
            } else {
                working = true;
                sink.event(A2aJson.statusUpdate(id, A2aJson.progress(id, delta)));
            }
        }

        private void completed(TurnCompleted completed) {
            A2aTaskId id = submitted.request().task();
            JsonObject task = A2aJson.task(id, completed, null);
            if (completed.getStatus() == TurnStatus.COMPLETED
                    && !completed.getAwaitingInput()
                    && completed.getAnswer() != null) {
                // The whole answer replaces the streamed chunks (append false), so a client that
                // missed a token still ends with the right text.
                sink.event(A2aJson.artifactUpdate(id, completed.getAnswer(), false, true));
            }
            finish(A2aJson.statusUpdate(id, task.getJsonObject("status")));
        }

        /** A call held for approval has no event of its own: the session says so. */
        private void checkSession() {
            if (closed) {
                return;
            }
            A2aTaskId id = submitted.request().task();
            reads.history(ctx, submitted.address()).onComplete(read -> {
                if (closed) {
                    return;
                }
                JsonObject task = read.succeeded() && read.result() != null
                        ? A2aService.stateOfTurn(id, submitted, read.result())
                        : null;
                if (task != null) {
                    String state = task.getJsonObject("status").getString("state");
                    if (state.equals("TASK_STATE_INPUT_REQUIRED") || A2aJson.terminal(state)) {
                        if (state.equals("TASK_STATE_COMPLETED") && task.getJsonArray("artifacts") != null) {
                            sink.event(new JsonObject()
                                    .put(
                                            "artifactUpdate",
                                            new JsonObject()
                                                    .put("taskId", id.toString())
                                                    .put("contextId", id.contextId())
                                                    .put(
                                                            "artifact",
                                                            task.getJsonArray("artifacts")
                                                                    .getJsonObject(0))
                                                    .put("append", false)
                                                    .put("lastChunk", true)));
                        }
                        finish(A2aJson.statusUpdate(id, task.getJsonObject("status")));
                    }
                } else if (System.currentTimeMillis() > deadline) {
                    log.info(
                            "session {} turn {}: A2A stream ends after {} ms with the task still running",
                            submitted.address(),
                            submitted.turn().getTurnId(),
                            maxWaitMillis);
                    finish(A2aJson.statusUpdate(
                            id,
                            A2aJson.status(
                                    id,
                                    "TASK_STATE_WORKING",
                                    System.currentTimeMillis(),
                                    "still running; the stream ends here: poll GetTask")));
                }
            });
        }

        private void finish(JsonObject last) {
            if (closed) {
                return;
            }
            sink.event(last);
            close();
            sink.end();
        }

        void close() {
            closed = true;
            if (approvalTimer >= 0) {
                context.owner().cancelTimer(approvalTimer);
            }
            if (subscription != null) {
                try {
                    subscription.close();
                } catch (Exception e) {
                    log.warn("session {}: closing an A2A stream's subscription failed", submitted.address(), e);
                }
            }
        }
    }
}
