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
     * Delivers the events of {@code address} to {@code listener}, each once and in the order of
     * their positions, until the returned handle is closed: with {@code after} null, those seen
     * from now on; otherwise first every event after that position still kept on
     * {@code skein.deltas}, then the live ones, with no gap and no duplicate between the two.
     * Closing twice is harmless.
     */
    default Subscription subscribe(SessionAddress address, StreamPosition after, SessionListener listener) {
        return subscribe(address, StreamStart.after(after), listener);
    }

    /** As above, from any start: now, after a position, or since an instant. */
    Subscription subscribe(SessionAddress address, StreamStart start, SessionListener listener);

    /**
     * The completion of a turn of {@code address} that ended without taking a step (rejected, or
     * cancelled while queued), when this instance saw it lately: such a turn leaves no message in the
     * history to say why. Empty when unknown.
     */
    default java.util.Optional<TurnCompleted> unstartedEnding(SessionAddress address, String turnId) {
        return java.util.Optional.empty();
    }

    /** How this instance serves streams. */
    StreamSettings streamSettings();

    /** A listener's registration. */
    interface Subscription extends AutoCloseable {

        /**
         * Completes once the stream is known to start where asked (at once without a position);
         * fails with an {@link HttpFailure} when the position cannot be served (400: not this
         * session's partition, or beyond the end of the stream). Nothing is delivered before.
         */
        CompletableFuture<Void> started();

        @Override
        void close();
    }
}
