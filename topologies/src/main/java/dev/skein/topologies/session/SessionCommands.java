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
 * A person's commands to a session: delete it (which cancels its turns, then erases every store
 * entry of it), clear its history (which cancels its turns), cancel a turn
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
            case DELETE_SESSION -> {
                // Erased: nothing is left to save.
                delete(session);
                return;
            }
            case CLEAR_HISTORY -> clearHistory(session);
            case CANCEL_TURN -> cancelTurn(session, command);
            case APPROVE_TOOL_CALL, DENY_TOOL_CALL -> toolCalls.decide(session, command);
        }
        session.save();
    }

    private void clearHistory(Session session) {
        endTurns(session, "the session's history was cleared");
        session.clearHistory();
        log.info("session {}: history cleared", session.address());
    }

    /**
     * Ends its turns (each gets its one completion, CANCELLED) and erases it: a read of it then
     * answers like one of a session that never existed, and its next turn starts a new session.
     * Its decision traces go too ({@link TraceRecorder} sees the command).
     */
    private void delete(Session session) {
        endTurns(session, "the session was deleted");
        int messages = sessions.erase(session);
        log.info("session {}: deleted on request, {} messages erased", session.address(), messages);
    }

    private void endTurns(Session session, String reason) {
        SessionMeta meta = session.meta();
        if (session.active() != null) {
            turns.finishWithoutStartingNext(session, TurnStatus.CANCELLED, null, reason);
        }
        for (TurnRequested queued : meta.getQueuedTurns()) {
            turns.endUnstarted(session, queued, TurnStatus.CANCELLED, reason);
        }
        meta.getQueuedTurns().clear();
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
