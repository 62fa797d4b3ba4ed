package dev.skein.ingress;

import dev.skein.events.AgentDelta;

/**
 * One event of a session's stream and its position: a turn's start, a delta (text, tool call,
 * tool progress) or a turn's completion ({@link AgentDelta#getCompletion()}).
 */
public record StreamEvent(StreamPosition position, AgentDelta delta) {}
