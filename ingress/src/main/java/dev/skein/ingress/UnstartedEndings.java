package dev.skein.ingress;

import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The last completions of turns that ended without running (rejected by the double-texting policy
 * or the tenant's rules, or cancelled while queued). Such a turn leaves no message in the history:
 * only its id among the session's finished turns, and its completion on {@code skein.responses},
 * with the reason. This keeps the reason of the latest few thousand, so that {@code GetTask} can
 * say why; after a restart the state is still known from the session, the reason no longer.
 */
final class UnstartedEndings {

    /** Enough for the rejections of the last minutes of a busy node, in well under 10 MB. */
    static final int CAPACITY = 10_000;

    private record Key(SessionAddress address, String turnId) {}

    private final Map<Key, TurnCompleted> endings = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, TurnCompleted> eldest) {
            return size() > CAPACITY;
        }
    };

    /** Keeps {@code completed} when it is the end of a turn that took no step. */
    synchronized void observe(TurnCompleted completed) {
        if (completed.getSteps() == 0) {
            endings.put(
                    new Key(new SessionAddress(completed.getTenant(), completed.getSessionId()), completed.getTurnId()),
                    completed);
        }
    }

    synchronized Optional<TurnCompleted> find(SessionAddress address, String turnId) {
        return Optional.ofNullable(endings.get(new Key(address, turnId)));
    }
}
