package dev.skein.ingress;

import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The A2A 1.0 operations on Skein's sessions, whatever the binding: a message is a turn of the
 * session its {@code contextId} names, a task is the turn it starts (and the turns that answer the
 * agent's questions), {@code CancelTask} is the cancel command. Results are ProtoJSON objects;
 * failures are {@link A2aError}s. Streaming is {@link A2aStream}'s.
 */
final class A2aService {

    private static final Logger log = LoggerFactory.getLogger(A2aService.class);
    /** How long {@code CancelTask} waits for the cancelled turn to end before it answers with the task as it is. */
    static final Duration CANCEL_WAIT = Duration.ofSeconds(10);
    /**
     * How often a waiting request reads the session to see whether a call is held for approval:
     * holding a call emits no event, and a blocking send must answer INPUT_REQUIRED then.
     */
    static final long APPROVAL_CHECK_MILLIS = 1_000;

    private final IngressConfig config;
    private final TurnGateway gateway;
    private final SessionEvents events;
    private final Context context;
    private final A2aSessionReads reads;
    private final A2aPushConfigs push;
    private final A2aDecisions decisions;

    A2aService(
            IngressConfig config,
            TurnGateway gateway,
            SessionEvents events,
            Context context,
            A2aSessionReads reads,
            A2aPushConfigs push) {
        this.config = config;
        this.gateway = gateway;
        this.events = events;
        this.context = context;
        this.reads = reads;
        this.push = push;
        this.decisions = new A2aDecisions(gateway, events, context, reads);
    }

    /** A submitted turn: the request it came from, and the turn. */
    record Submitted(A2aSendRequest request, SessionAddress address, TurnRequested turn) {}

    /**
     * Reads and checks a {@code SendMessageRequest} and submits its turn; {@code beforeSubmit} runs
     * just before (to register for the completion or the deltas, so that none is missed).
     */
    Future<Submitted> submit(RoutingContext ctx, String agent, JsonObject params, Consumer<Submitted> beforeSubmit) {
        A2aTenancy.resolve(ctx, params);
        String tenant = Caller.of(ctx).tenant();
        A2aSendRequest request = A2aSendRequest.parse(params, config.maxMessageBytes());
        SessionAddress address = request.task().address(tenant);
        if (request.approval() != null) {
            return decisions.decide(ctx, agent, request, address, beforeSubmit);
        }
        Future<String> turnId = request.continuing()
                ? reads.history(ctx, address)
                        .map(history -> continuation(request.task(), taskOf(request.task(), address, history)))
                : Future.succeededFuture(request.task().rootTurnId());
        // A webhook given with the message is checked before the turn is submitted, stored after.
        Future<A2aPushConfig> webhook = request.pushConfig() == null
                ? Future.succeededFuture(null)
                : push.checkWithMessage(request.task(), tenant, request.pushConfig());
        return webhook.compose(checked -> turnId.compose(
                        id -> submitTurn(ctx, agent, request, address, id, beforeSubmit))
                .compose(submitted -> checked == null
                        ? Future.succeededFuture(submitted)
                        : push.store(checked).map(stored -> submitted)));
    }

    private Future<Submitted> submitTurn(
            RoutingContext ctx,
            String agent,
            A2aSendRequest request,
            SessionAddress address,
            String turnId,
            Consumer<Submitted> beforeSubmit) {
        String tenant = address.tenant();
        return Future.succeededFuture(turnId).compose(id -> {
            TurnRequested turn = TurnRequested.newBuilder()
                    .setTenant(tenant)
                    .setSessionId(address.sessionId())
                    .setTurnId(id)
                    .setMessage(request.text())
                    .setAgent(agent)
                    .setRequestedAtMs(System.currentTimeMillis())
                    .build();
            try {
                TurnRequestBody.requireAllowedAgent(config.access(), turn);
            } catch (HttpFailure refused) {
                return Future.failedFuture(A2aError.http(refused.status(), refused.getMessage()));
            }
            Submitted submitted = new Submitted(request, address, turn);
            beforeSubmit.accept(submitted);
            Future<Void> submission;
            try (io.opentelemetry.context.Scope ignored =
                    TurnSpans.clientContext(ctx.request().headers()).makeCurrent()) {
                submission = GatewaySubmission.submit(context, () -> gateway.submit(turn));
            }
            return submission
                    .recover(cause -> Future.failedFuture(refusal(address, "turn " + id, cause)))
                    .map(done -> {
                        log.debug("session {} turn {}: A2A task {} submitted", address, id, request.task());
                        return submitted;
                    });
        });
    }

    /** {@code SendMessage}: the task once it ends or needs input, or as it is after {@code skein.http.max-wait}. */
    Future<JsonObject> send(RoutingContext ctx, String agent, JsonObject params) {
        AtomicReference<Submitted> waiting = new AtomicReference<>();
        AtomicReference<CompletableFuture<TurnCompleted>> completion = new AtomicReference<>();
        return submit(ctx, agent, params, submitted -> {
                    if (!submitted.request().returnImmediately()) {
                        waiting.set(submitted);
                        completion.set(events.expect(
                                submitted.address(), submitted.turn().getTurnId()));
                    }
                })
                .compose(submitted -> submitted.request().returnImmediately()
                        ? Future.succeededFuture(submittedTask(submitted.request()))
                        : awaitEnd(ctx, submitted, completion.get()))
                .map(task -> new JsonObject().put("task", task))
                .onComplete(done -> {
                    Submitted submitted = waiting.get();
                    if (submitted != null) {
                        events.forget(submitted.address(), submitted.turn().getTurnId());
                    }
                });
    }

    private Future<JsonObject> awaitEnd(
            RoutingContext ctx, Submitted submitted, CompletableFuture<TurnCompleted> completion) {
        A2aSendRequest request = submitted.request();
        Promise<JsonObject> answer = Promise.promise();
        long deadline = System.currentTimeMillis() + config.maxWait().toMillis();
        Future.fromCompletionStage(completion, context)
                .onSuccess(done -> answer.tryComplete(A2aJson.task(request.task(), done, request.message())));
        long timer = context.owner().setPeriodic(APPROVAL_CHECK_MILLIS, id -> {
            if (answer.future().isComplete()) {
                return;
            }
            reads.history(ctx, submitted.address()).onSuccess(history -> {
                JsonObject task = history == null
                        ? null
                        : stateOfTurn(request.task(), submitted.turn().getTurnId(), history);
                if (task != null) {
                    answer.tryComplete(task);
                } else if (System.currentTimeMillis() > deadline) {
                    answer.tryComplete(A2aJson.task(
                            request.task(),
                            A2aJson.status(
                                    request.task(),
                                    "TASK_STATE_WORKING",
                                    System.currentTimeMillis(),
                                    "still running after " + config.maxWait().toSeconds()
                                            + " s; poll GetTask or stream")));
                }
            });
        });
        return answer.future().onComplete(done -> context.owner().cancelTimer(timer));
    }

    /**
     * The task from the history when its turn waits for approval, or when the turn has ended (its
     * completion passed before the waiter was registered); else null: still running.
     */
    static JsonObject stateOfTurn(A2aTaskId task, String turnId, JsonObject history) {
        boolean active = turnId.equals(history.getString("activeTurnId"));
        boolean held =
                !history.getJsonArray("pendingApprovals", new JsonArray()).isEmpty();
        if (active) {
            return held ? A2aJson.fromHistory(task, history) : null;
        }
        JsonArray messages = history.getJsonArray("messages", new JsonArray());
        boolean ended = false;
        for (int i = messages.size() - 1; i >= 0 && !ended; i--) {
            JsonObject message = messages.getJsonObject(i);
            ended = turnId.equals(message.getString("turnId"))
                    && "assistant".equals(message.getString("role"))
                    && message.getJsonArray("toolCalls", new JsonArray()).isEmpty();
        }
        return ended ? A2aJson.fromHistory(task, history) : null;
    }

    /** {@code GetTask}. */
    Future<JsonObject> get(RoutingContext ctx, JsonObject params) {
        A2aTenancy.resolve(ctx, params);
        A2aTaskId id = A2aTaskId.parse(requiredId(params));
        Integer historyLength = historyLength(params.getValue("historyLength"));
        return read(ctx, id).map(task -> {
            JsonArray history = task.getJsonArray("history");
            if (historyLength != null && history != null) {
                int from = Math.max(0, history.size() - historyLength);
                task.put("history", new JsonArray(history.getList().subList(from, history.size())));
            }
            return task;
        });
    }

    /** {@code CancelTask}: the cancel command for the task's running turn; the task once that turn has ended. */
    Future<JsonObject> cancel(RoutingContext ctx, JsonObject params) {
        A2aTenancy.resolve(ctx, params);
        String tenant = Caller.of(ctx).tenant();
        A2aTaskId id = A2aTaskId.parse(requiredId(params));
        SessionAddress address = id.address(tenant);
        return reads.history(ctx, address).compose(history -> {
            JsonObject task = taskOf(id, address, history);
            if (task == null) {
                return Future.failedFuture(notFound(id));
            }
            String state = task.getJsonObject("status").getString("state");
            String active = history.getString("activeTurnId");
            if (!id.owns(active)) {
                return Future.failedFuture(A2aError.taskNotCancelable("task " + id + " is " + state
                        + (A2aJson.terminal(state) ? "" : " with no turn running (the agent asked a question)")
                        + "; nothing to cancel"));
            }
            CompletableFuture<TurnCompleted> completion = events.expect(address, active);
            SessionCommand command = SessionCommand.newBuilder()
                    .setTenant(tenant)
                    .setSessionId(address.sessionId())
                    .setCommandId(UUID.randomUUID().toString())
                    .setKind(CommandKind.CANCEL_TURN)
                    .setTurnId(active)
                    .setReason("cancelled by the A2A client (CancelTask)")
                    .setIssuedAtMs(System.currentTimeMillis())
                    .build();
            return GatewaySubmission.submit(context, () -> gateway.submit(command))
                    .recover(cause -> Future.failedFuture(refusal(address, "the cancel of task " + id, cause)))
                    .compose(sent -> Future.fromCompletionStage(completion, context)
                            .timeout(CANCEL_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                            .map(done -> A2aJson.task(id, done, null))
                            .recover(slow -> read(ctx, id)))
                    .onComplete(done -> events.forget(address, active));
        });
    }

    private Future<JsonObject> read(RoutingContext ctx, A2aTaskId id) {
        SessionAddress address = id.address(Caller.of(ctx).tenant());
        return reads.history(ctx, address).compose(history -> {
            JsonObject task = taskOf(id, address, history);
            return task == null ? Future.failedFuture(notFound(id)) : Future.succeededFuture(task);
        });
    }

    /** The task as the session shows it, also before its turn has a message (queued or rejected); null: unknown. */
    JsonObject taskOf(A2aTaskId id, SessionAddress address, JsonObject history) {
        return taskOf(events, id, address, history);
    }

    static JsonObject taskOf(SessionEvents events, A2aTaskId id, SessionAddress address, JsonObject history) {
        if (history == null) {
            return null;
        }
        JsonObject task = A2aJson.fromHistory(id, history);
        return task != null ? task : A2aJson.unstarted(id, history, events.unstartedEnding(address, id.rootTurnId()));
    }

    static JsonObject submittedTask(A2aSendRequest request) {
        return A2aJson.task(
                        request.task(),
                        A2aJson.status(request.task(), "TASK_STATE_SUBMITTED", System.currentTimeMillis(), null))
                .put("history", new JsonArray().add(request.message()));
    }

    /** The turn id of a message that continues {@code task}, which must wait for input. */
    private static String continuation(A2aTaskId task, JsonObject current) {
        if (current == null) {
            throw notFound(task);
        }
        String state = current.getJsonObject("status").getString("state");
        if (A2aJson.terminal(state)) {
            throw A2aError.unsupported("task " + task + " is " + state + " and takes no more messages; send the"
                    + " message without taskId (contextId " + task.contextId() + " keeps the conversation)");
        }
        return task.continuationTurnId();
    }

    static String requiredId(JsonObject params) {
        String id = A2aSendRequest.string(params, "id");
        if (id == null) {
            throw A2aError.invalidParams("'id' is required: the task's id");
        }
        return id;
    }

    private static Integer historyLength(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Integer n) || n < 0) {
            throw A2aError.invalidParams("historyLength must be a whole number of at least 0, got "
                    + ClientText.quote(String.valueOf(value)));
        }
        return n;
    }

    static A2aError notFound(A2aTaskId id) {
        return A2aError.taskNotFound(
                "no task " + id + " for this tenant (it never existed, or its session was cleared)");
    }

    static A2aError refusal(SessionAddress address, String what, Throwable cause) {
        Throwable unwrapped = GatewaySubmission.unwrap(cause);
        if (unwrapped instanceof A2aError error) {
            return error;
        }
        if (unwrapped instanceof QuotaExceededException quota) {
            return A2aError.http(429, quota.getMessage());
        }
        log.warn("session {}: could not submit {}", address, what, unwrapped);
        return A2aError.http(
                503, "could not submit " + what + ": " + unwrapped.getMessage() + "; it was not accepted, retry");
    }
}
