package dev.skein.ingress;

import dev.skein.events.DoubleTexting;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.ClientText;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a session would refuse at once, checked at the ingress so that the client gets a 4xx
 * instead of a 202 followed by a REJECTED completion: a turn for an agent that is not configured,
 * a turn that follows the reject policy while its session is busy, and a turn that would queue
 * beyond {@code skein.session.max-queued-turns}. The ingress holds no session state: it knows
 * each session's turns in flight and its sticky policy from the topics ({@link TenantLoad}), a
 * few milliseconds behind, so the session topology stays the authority: a turn that slips through
 * in a race still ends REJECTED there, with its one completion.
 *
 * @param configured the policy of turns that name none in sessions that have none ({@code skein.session.double-texting})
 * @param maxQueuedTurns turns a busy session holds ({@code skein.session.max-queued-turns})
 * @param agents the agents a turn may name; empty: not checked here (the runner fails an unknown agent's turn)
 */
public record SessionAdmission(DoubleTexting configured, int maxQueuedTurns, Set<String> agents) {

    /** Refuses nothing: every turn goes to its session, which decides. */
    public static final SessionAdmission OPEN =
            new SessionAdmission(DoubleTexting.ENQUEUE, Integer.MAX_VALUE, Set.of());

    public SessionAdmission {
        Objects.requireNonNull(configured, "configured");
        if (maxQueuedTurns < 0) {
            throw new IllegalArgumentException("maxQueuedTurns must be >= 0");
        }
        agents = Set.copyOf(new TreeSet<>(agents));
    }

    /** @throws TurnRefusedException when the turn's session would refuse it */
    void check(TurnRequested turn, TenantLoad load) {
        String agent = turn.getAgent();
        if (agent != null && !agents.isEmpty() && !agents.contains(agent)) {
            throw new TurnRefusedException(
                    400,
                    "unknown_agent",
                    "no agent named " + ClientText.quote(agent)
                            + " is configured; name one of "
                            + String.join(", ", new TreeSet<>(agents)) + ", or none for the session's agent",
                    null);
        }
        String tenant = turn.getTenant();
        String session = turn.getSessionId();
        int inFlight = load.inFlight(tenant, session);
        if (inFlight == 0) {
            return;
        }
        String active = load.oldestInFlight(tenant, session);
        DoubleTexting policy = turn.getDoubleTexting() != null
                ? turn.getDoubleTexting()
                : Objects.requireNonNullElse(load.policy(tenant, session), configured);
        if (policy == DoubleTexting.REJECT) {
            throw new TurnRefusedException(
                    409,
                    "session_busy",
                    "session " + tenant + "/" + session + " is busy with turn " + active
                            + " and the double-texting policy is reject; send the turn again when it has completed,"
                            + " cancel it (POST .../turns/" + active + "/cancel), or send this turn with"
                            + " \"doubleTexting\": \"enqueue\" or \"interrupt\"",
                    active);
        }
        if (policy == DoubleTexting.ENQUEUE && inFlight - 1 >= maxQueuedTurns) {
            throw new TurnRefusedException(
                    409,
                    "queue_full",
                    "session " + tenant + "/" + session + " is busy with turn " + active + " and already has "
                            + (inFlight - 1) + " queued turns (limit " + maxQueuedTurns
                            + ", skein.session.max-queued-turns); send the turn again when the current ones have"
                            + " completed, or with \"doubleTexting\": \"interrupt\"",
                    active);
        }
    }
}
