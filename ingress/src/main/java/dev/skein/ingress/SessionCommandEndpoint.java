package dev.skein.ingress;

import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session commands: cancel a turn, approve or deny a tool call, clear the history. Each is
 * answered 202 once it is durably accepted. The session applies it in order with its other
 * events; a command that no longer applies (a call that awaits no approval, a turn that already
 * ended) is dropped there.
 */
final class SessionCommandEndpoint {

    private static final Logger log = LoggerFactory.getLogger(SessionCommandEndpoint.class);

    private final TurnGateway gateway;
    private final Context context;

    /** @param context the verticle's: the gateway's answer is handled on its event loop */
    SessionCommandEndpoint(TurnGateway gateway, Context context) {
        this.gateway = gateway;
        this.context = context;
    }

    /**
     * The handler that sends a {@code kind} command. An optional body {@code {"reason": "..."}} is
     * passed on (a denial's reason reaches the agent); the turn and call ids come from the path.
     */
    Handler<RoutingContext> sending(CommandKind kind) {
        return ctx -> send(ctx, kind);
    }

    private void send(RoutingContext ctx, CommandKind kind) {
        SessionAddress address = SessionGuard.address(ctx);
        String reason;
        try {
            reason = reasonOf(ctx);
        } catch (IllegalArgumentException | HttpFailure e) {
            JsonReply.error(ctx, 400, e.getMessage());
            return;
        }
        SessionCommand command = SessionCommand.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setCommandId(UUID.randomUUID().toString())
                .setKind(kind)
                .setTurnId(ctx.pathParam("turnId"))
                .setCallId(ctx.pathParam("callId"))
                .setReason(reason)
                .setIssuedAtMs(System.currentTimeMillis())
                .build();
        GatewaySubmission.submit(context, () -> gateway.submit(command)).onComplete(submitted -> {
            if (submitted.failed()) {
                GatewaySubmission.failed(ctx, address, "command " + command.getCommandId(), submitted.cause());
            } else {
                log.info("session {}: {} requested (command {})", address, kind, command.getCommandId());
                JsonReply.send(
                        ctx,
                        202,
                        new JsonObject()
                                .put("commandId", command.getCommandId())
                                .put("session", address.toString())
                                .put("command", kind.name())
                                .put("status", "ACCEPTED"));
            }
        });
    }

    private static String reasonOf(RoutingContext ctx) {
        String text = ctx.body() == null ? null : StrictJson.utf8(ctx.body().buffer(), "the body");
        if (text == null || text.isBlank()) {
            return null;
        }
        Object parsed;
        try {
            parsed = StrictJson.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "the body is not valid JSON; send {\"reason\": \"...\"} or nothing (" + e.getMessage() + ")");
        }
        if (!(parsed instanceof JsonObject body)) {
            throw new IllegalArgumentException("the body is not a JSON object; send {\"reason\": \"...\"} or nothing");
        }
        Object reason = body.getValue("reason");
        if (reason != null && !(reason instanceof String)) {
            throw new IllegalArgumentException("'reason' must be a string");
        }
        if (body.fieldNames().stream().anyMatch(f -> !f.equals("reason"))) {
            throw new IllegalArgumentException("unknown field; a command body has only 'reason'");
        }
        return (String) reason;
    }
}
