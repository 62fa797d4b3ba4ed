package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.TurnCompleted;

/**
 * Receives the live events of one session. Called from the thread that reads the events (not a
 * Vert.x thread): implementations must be quick and must not block; an exception thrown here is
 * logged and does not stop delivery to other listeners.
 */
public interface SessionListener {

    void onDelta(AgentDelta delta);

    void onCompleted(TurnCompleted completed);
}
