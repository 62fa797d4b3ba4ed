package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.TurnStatus;
import dev.skein.topologies.tracing.TopologySpans;
import io.opentelemetry.context.Scope;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails turns whose deadline has passed, saying what they were waiting for. Run by a wall-clock
 * punctuator: it visits only the due entries of the {@link SessionStores#DEADLINES} index, and
 * skips an entry whose turn has ended or whose deadline has moved.
 */
final class TurnDeadlines {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final Sessions sessions;
    private final Turns turns;

    TurnDeadlines(Sessions sessions, Turns turns) {
        this.sessions = sessions;
        this.turns = turns;
    }

    /** Fails every turn whose deadline is before {@code nowMs}; the next queued turn of its session then starts. */
    void expire(long nowMs) {
        for (Sessions.Deadline deadline : sessions.due(nowMs)) {
            sessions.release(deadline);
            Session session = sessions.find(deadline.address()).orElse(null);
            ActiveTurn active = session == null ? null : session.active();
            if (active == null || !active.getTurnId().equals(deadline.turnId()) || active.getDeadlineMs() > nowMs) {
                continue;
            }
            String waitingFor = waitingFor(session.meta());
            long allowed = active.getDeadlineMs() - active.getStartedAtMs();
            log.warn(
                    "session {} turn {}: deadline of {} ms passed while waiting for {}",
                    session.address(),
                    active.getTurnId(),
                    allowed,
                    waitingFor);
            // The deadline's completion continues the turn's trace (a punctuation has none of its own).
            try (Scope ignored = TopologySpans.expired(active.getTraceparent(), active.getTurnId())) {
                turns.finish(
                        session,
                        TurnStatus.FAILED,
                        null,
                        "turn timed out after " + allowed + " ms while waiting for " + waitingFor);
            }
            session.save();
        }
    }

    private static String waitingFor(SessionMeta meta) {
        ActiveTurn active = meta.getActiveTurn();
        if (meta.getStatus() != SessionStatus.AWAITING_TOOLS) {
            return "agent '" + active.getAgent() + "' (step " + active.getStep() + ")";
        }
        return "tool results ("
                + active.getPendingCalls().stream()
                        .filter(p -> p.getResult() == null)
                        .map(p -> p.getTool() + " " + p.getCallId()
                                + (p.getAwaitingApproval() ? " awaiting approval" : ""))
                        .collect(Collectors.joining(", "))
                + ")";
    }
}
