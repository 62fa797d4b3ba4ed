package dev.skein.ingress;

import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approvals through A2A: a message with the {@code taskId} of a task that holds tool calls for
 * approval and an {@link A2aApproval} data part becomes the {@code APPROVE_TOOL_CALL} and
 * {@code DENY_TOOL_CALL} commands of {@code POST /v1/sessions/{id}/tool-calls/{callId}/approve} and
 * {@code /deny}, for the task's running turn.
 */
final class A2aDecisions {

    private static final Logger log = LoggerFactory.getLogger(A2aDecisions.class);

    private final TurnGateway gateway;
    private final SessionEvents events;
    private final Context context;
    private final A2aSessionReads reads;

    A2aDecisions(TurnGateway gateway, SessionEvents events, Context context, A2aSessionReads reads) {
        this.gateway = gateway;
        this.events = events;
        this.context = context;
        this.reads = reads;
    }

    /**
     * A message that approves or denies the calls its task holds: one command per call, for the
     * task's running turn, which the answer then follows (no new turn is started).
     */
    Future<A2aService.Submitted> decide(
            RoutingContext ctx,
            String agent,
            A2aSendRequest request,
            SessionAddress address,
            Consumer<A2aService.Submitted> beforeSubmit) {
        A2aTaskId id = request.task();
        A2aApproval approval = request.approval();
        return reads.history(ctx, address).compose(history -> {
            JsonObject task = A2aService.taskOf(events, id, address, history);
            if (task == null) {
                return Future.failedFuture(A2aService.notFound(id));
            }
            String active = history.getString("activeTurnId");
            java.util.Set<String> held = new java.util.LinkedHashSet<>();
            history.getJsonArray("pendingApprovals", new JsonArray())
                    .forEach(call -> held.add(((JsonObject) call).getString("callId")));
            if (!id.owns(active) || held.isEmpty()) {
                return Future.failedFuture(A2aError.unsupported("task " + id + " is " + A2aJson.stateOf(task)
                        + " and holds no tool call for approval; there is nothing to approve or deny"));
            }
            List<String> named = new ArrayList<>(approval.approve());
            named.addAll(approval.deny());
            for (String callId : named) {
                if (!held.contains(callId)) {
                    return Future.failedFuture(A2aError.invalidParams("task " + id + " holds no call "
                            + ClientText.quote(callId) + " for approval; it holds " + held));
                }
            }
            TurnRequested running = TurnRequested.newBuilder()
                    .setTenant(address.tenant())
                    .setSessionId(address.sessionId())
                    .setTurnId(active)
                    .setMessage(request.text())
                    .setAgent(agent)
                    .setRequestedAtMs(System.currentTimeMillis())
                    .build();
            A2aService.Submitted submitted = new A2aService.Submitted(request, address, running);
            beforeSubmit.accept(submitted);
            List<Future<Void>> sent = new ArrayList<>();
            approval.approve()
                    .forEach(callId ->
                            sent.add(decision(address, active, callId, CommandKind.APPROVE_TOOL_CALL, approval)));
            approval.deny()
                    .forEach(callId ->
                            sent.add(decision(address, active, callId, CommandKind.DENY_TOOL_CALL, approval)));
            return Future.all(sent)
                    .recover(cause ->
                            Future.failedFuture(A2aService.refusal(address, "the approval of task " + id, cause)))
                    .map(done -> {
                        log.debug("session {} turn {}: A2A approval {} of task {}", address, active, approval, id);
                        return submitted;
                    });
        });
    }

    private Future<Void> decision(
            SessionAddress address, String turnId, String callId, CommandKind kind, A2aApproval approval) {
        SessionCommand command = SessionCommand.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setCommandId(UUID.randomUUID().toString())
                .setKind(kind)
                .setTurnId(turnId)
                .setCallId(callId)
                .setReason(approval.reason() != null ? approval.reason() : "decided by the A2A client")
                .setIssuedAtMs(System.currentTimeMillis())
                .build();
        return GatewaySubmission.submit(context, () -> gateway.submit(command));
    }
}
