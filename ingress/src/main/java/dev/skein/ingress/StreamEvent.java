package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import java.util.Objects;

/**
 * One event of a session's stream and its position: a turn's start, a delta (text, tool call,
 * tool progress) or a turn's completion ({@link AgentDelta#getCompletion()}). One instance reaches
 * every subscriber of the session, so its JSON frame is encoded once, by whichever asks first.
 */
public final class StreamEvent {

    private final StreamPosition position;
    private final AgentDelta delta;
    /** Benign race: two threads may both encode it, to the same text. */
    private volatile String frame;

    public StreamEvent(StreamPosition position, AgentDelta delta) {
        this.position = Objects.requireNonNull(position, "position");
        this.delta = Objects.requireNonNull(delta, "delta");
    }

    public StreamPosition position() {
        return position;
    }

    public AgentDelta delta() {
        return delta;
    }

    /** The frame clients get, as JSON text ({@link EventJson#frame}). */
    String frameJson() {
        String encoded = frame;
        if (encoded == null) {
            encoded = EventJson.frame(this).encode();
            frame = encoded;
        }
        return encoded;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StreamEvent event && position.equals(event.position) && delta.equals(event.delta);
    }

    @Override
    public int hashCode() {
        return Objects.hash(position, delta);
    }

    @Override
    public String toString() {
        return "StreamEvent[" + position + ", " + delta.getKind() + " of turn " + delta.getTurnId() + "]";
    }
}
