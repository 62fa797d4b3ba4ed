package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A person's commands to a session: clear its history (which cancels its turns), cancel a turn
 * (the active one or a queued one), and approve or deny a held tool call ({@link ToolCalls}). A
 * command for a session that never had a turn is ignored.
 */
final class SessionCommands {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final Sessions sessions;
    private final Turns turns;
    private final ToolCalls toolCalls;

    SessionCommands(Sessions sessions, Turns turns, ToolCalls toolCalls) {
        this.sessions = sessions;
        this.turns = turns;
        this.toolCalls = toolCalls;
    }

    void onCommand(SessionAddress address, SessionCommand command) {
        Session session = sessions.find(address).orElse(null);
        if (session == null) {
            log.debug("session {}: command {} for a session that does not exist", address, command.getKind());
            return;
        }
        switch (command.getKind()) {
            case CLEAR_HISTORY -> clearHistory(session);
            case CANCEL_TURN -> cancelTurn(session, command);
            case APPROVE_TOOL_CALL, DENY_TOOL_CALL -> toolCalls.decide(session, command);
        }
        session.save();
    }

    private void clearHistory(Session session) {
        SessionMeta meta = session.meta();
        String reason = "the session's history was cleared";
        if (session.active() != null) {
            turns.finishWithoutStartingNext(session, TurnStatus.CANCELLED, null, reason);
        }
        for (TurnRequested queued : meta.getQueuedTurns()) {
            turns.endUnstarted(session, queued, TurnStatus.CANCELLED, reason);
        }
        meta.getQueuedTurns().clear();
        session.clearHistory();
        log.info("session {}: history cleared", session.address());
    }

    /** Cancels the turn the command names, or the active one when it names none. */
    private void cancelTurn(Session session, SessionCommand command) {
        ActiveTurn active = session.active();
        String turnId = command.getTurnId();
        String reason = command.getReason() == null ? "cancelled on request" : "cancelled: " + command.getReason();
        if (active != null && (turnId == null || turnId.equals(active.getTurnId()))) {
            turns.finish(session, TurnStatus.CANCELLED, null, reason);
            return;
        }
        // A stored meta's lists are plain lists (Sessions copies them when it loads one).
        List<TurnRequested> queue = session.meta().getQueuedTurns();
        queue.stream().filter(q -> q.getTurnId().equals(turnId)).findFirst().ifPresent(queued -> {
            queue.remove(queued);
            turns.endUnstarted(session, queued, TurnStatus.CANCELLED, reason);
        });
    }
}
