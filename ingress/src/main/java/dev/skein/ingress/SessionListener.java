package dev.skein.ingress;

/**
 * Receives the events of one session, in the order of their positions, each once. Called from the
 * threads that read Kafka (the shared tail, or a replay reader), never a Vert.x thread:
 * implementations must be quick and must not block, except in {@link #awaitRoom}; an exception
 * thrown here is logged and does not stop delivery to other listeners.
 */
public interface SessionListener {

    /** The next event of the session. */
    void onEvent(StreamEvent event);

    /**
     * The position the client resumes from is older than what {@code skein.deltas} keeps: the
     * events that follow start at {@code oldest}, and those between were deleted by retention.
     */
    default void onGap(StreamPosition requested, StreamPosition oldest) {}

    /**
     * Called by a replay reader before each replayed event: blocks while the client is behind, so
     * that a replay never piles up more than the stream's bound. Returns false when the listener
     * is closed or gave up waiting; the replay then stops.
     */
    default boolean awaitRoom() {
        return true;
    }

    /** The stream cannot go on (a replay failed); {@code reason} is for the client. */
    default void onStopped(String reason) {}
}
