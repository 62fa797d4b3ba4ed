package dev.skein.ingress;

import dev.skein.events.TurnTrace;
import dev.skein.schemas.SessionAddress;
import java.util.Optional;

/**
 * Reads a session's state and history (interactive queries on the session stores).
 *
 * <p>May block: the ingress calls it on a worker thread. Empty means the session is unknown. An
 * exception means the history cannot be read right now; when it is an {@link IllegalStateException}
 * or a Kafka exception (for instance a store that is not ready during a rebalance) the client gets
 * 503 with the exception's message, so that message should say what is wrong in plain words.
 */
public interface HistoryReader {

    Optional<SessionView> read(SessionAddress address);

    /**
     * The decision trace of turn {@code turnId} of the session; empty when there is none (an unknown
     * turn, or one whose trace was dropped). A reader that keeps no traces has none.
     */
    default Optional<TurnTrace> trace(SessionAddress address, String turnId) {
        return Optional.empty();
    }
}
