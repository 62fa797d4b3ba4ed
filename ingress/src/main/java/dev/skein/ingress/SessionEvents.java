package dev.skein.ingress;

import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import java.util.concurrent.CompletableFuture;

/**
 * The live events of sessions as the ingress sees them: completions of turns it waits for, and
 * deltas and completions of sessions streamed to clients.
 *
 * <p>Waiters are keyed by session address and turn id together, not turn id alone: turn ids are
 * chosen by clients and unique only within a session, and one tenant must never receive
 * another's answer by guessing its turn id.
 */
public interface SessionEvents {

    /**
     * Registers interest in the completion of one turn. Call it <em>before</em> submitting the
     * turn, so a completion that arrives quickly is never missed. The future never times out by
     * itself: the caller applies its own timeout and then calls {@link #forget}. Calling this twice
     * for the same turn returns the same future.
     */
    CompletableFuture<TurnCompleted> expect(SessionAddress address, String turnId);

    /** Drops the waiter of a turn (after a timeout or a failed submit); a no-op when there is none. */
    void forget(SessionAddress address, String turnId);

    /**
     * Delivers every delta and completion of {@code address} seen from now on to {@code listener},
     * until the returned handle is closed. Closing twice is harmless.
     */
    AutoCloseable subscribe(SessionAddress address, SessionListener listener);
}
