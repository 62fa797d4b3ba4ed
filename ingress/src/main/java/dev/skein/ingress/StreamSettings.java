package dev.skein.ingress;

import java.time.Duration;

/**
 * How the ingress serves session streams (SSE and WebSocket); the defaults are in the app's
 * {@code reference.conf} under {@code skein.event-streams}.
 *
 * @param heartbeat        an SSE stream with nothing to send gets a comment this often, so that
 *                         proxies and the idle timeout do not close it ({@code heartbeat})
 * @param replayReaders    Kafka consumers that replay streams from a position, shared by every
 *                         client of the instance; more replays wait their turn ({@code replay-readers})
 * @param maxPendingEvents events of one stream not yet written to its client; a live stream past
 *                         it is closed as too slow (the client resumes from its last position), a
 *                         replay waits for room ({@code max-pending-events})
 * @param turnLookback     how far back {@code GET .../turns/{turnId}/events} looks for the turn's
 *                         start when no position is given ({@code turn-lookback})
 */
public record StreamSettings(Duration heartbeat, int replayReaders, int maxPendingEvents, Duration turnLookback) {

    public StreamSettings {
        if (heartbeat == null || heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("skein.event-streams.heartbeat must be positive, got " + heartbeat);
        }
        if (replayReaders < 1) {
            throw new IllegalArgumentException(
                    "skein.event-streams.replay-readers must be at least 1, got " + replayReaders);
        }
        if (maxPendingEvents < 2) {
            throw new IllegalArgumentException(
                    "skein.event-streams.max-pending-events must be at least 2, got " + maxPendingEvents);
        }
        if (turnLookback == null || turnLookback.isNegative()) {
            throw new IllegalArgumentException(
                    "skein.event-streams.turn-lookback must not be negative, got " + turnLookback);
        }
    }
}
