package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.SessionAddress;
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
        return service.submit(ctx, agent, params, submitted -> {
                    run.follow(submitted.request().task(), submitted.address());
                    run.turnId = submitted.turn().getTurnId();
                })
                .onFailure(refused -> run.close())
                .map(submitted -> {
                    run.started(new JsonObject().put("task", A2aService.submittedTask(submitted.request())));
                    return run::close;
                });
    }

    /**
     * {@code SubscribeToTask}: the task as it is now, then the same events as
     * {@code SendStreamingMessage} from now on, until it ends or needs input. A task that has ended
     * answers {@code UnsupportedOperationError}, as section 3.1.6 has it; one that waits for the
     * user's answer gets its task and the stream ends. The events are followed from before the
     * task is read, so none falls between the two.
     */
    Future<AutoCloseable> subscribe(RoutingContext ctx, JsonObject params, Sink sink) {
        A2aTenancy.resolve(ctx, params);
        A2aTaskId id = A2aTaskId.parse(A2aService.requiredId(params));
        SessionAddress address = id.address(Caller.of(ctx).tenant());
        Run run = new Run(ctx, sink);
        run.follow(id, address);
        return reads.history(ctx, address)
                .compose(history -> {
                    JsonObject task = service.taskOf(id, address, history);
                    if (task == null) {
                        return Future.failedFuture(A2aService.notFound(id));
                    }
                    String state = A2aJson.stateOf(task);
                    if (A2aJson.terminal(state)) {
                        return Future.failedFuture(A2aError.unsupported("task " + id + " is " + state
                                + ": a finished task has no more events to subscribe to; GetTask reads it"));
                    }
                    String active = history.getString("activeTurnId");
                    run.turnId = id.owns(active) ? active : id.rootTurnId();
                    run.started(new JsonObject().put("task", task));
                    if (state.equals("TASK_STATE_INPUT_REQUIRED") && !id.owns(active)) {
                        // The agent asked and waits for the user: nothing happens until they answer.
                        run.finish(null);
                    }
                    return Future.<AutoCloseable>succeededFuture(run::close);
                })
                .onFailure(refused -> run.close());
    }

    /** One stream: its state lives on the verticle's context. */
    private final class Run implements SessionListener {
        private final RoutingContext ctx;
        private final Sink sink;
        private A2aTaskId id;
        private SessionAddress address;
        /** The turn whose end ends the stream; set before {@link #started}, read on the context. */
        private String turnId;

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

        void follow(A2aTaskId id, SessionAddress address) {
            this.id = id;
            this.address = address;
            subscription = events.subscribe(address, StreamStart.NOW, this);
        }

        void started(JsonObject first) {
            started = true;
            deadline = System.currentTimeMillis() + maxWaitMillis;
            sink.event(first);
            early.forEach(Runnable::run);
            early.clear();
            approvalTimer = context.owner().setPeriodic(A2aService.APPROVAL_CHECK_MILLIS, id -> checkSession());
        }

        /** The session's stream: its text and tool progress, and the turn's completion marker. */
        @Override
        public void onEvent(StreamEvent event) {
            AgentDelta delta = event.delta();
            if (!id.owns(delta.getTurnId())) {
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

        /** Whether a delta is of the followed turn: known only once started, so checked on the context. */
        private boolean followed(String deltaTurnId) {
            return deltaTurnId.equals(turnId);
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
            if (!followed(delta.getTurnId())) {
                return;
            }
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
            if (!followed(completed.getTurnId())) {
                return;
            }
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
            reads.history(ctx, address).onComplete(read -> {
                if (closed) {
                    return;
                }
                JsonObject task = read.succeeded() && read.result() != null
                        ? A2aService.stateOfTurn(id, turnId, read.result())
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
                            address,
                            turnId,
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

        /** Ends the stream, {@code last} (when not null) its last event. */
        private void finish(JsonObject last) {
            if (closed) {
                return;
            }
            if (last != null) {
                sink.event(last);
            }
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
                    log.warn("session {}: closing an A2A stream's subscription failed", address, e);
                }
            }
        }
    }
}
