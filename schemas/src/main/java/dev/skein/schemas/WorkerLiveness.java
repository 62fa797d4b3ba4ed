package dev.skein.schemas;

import dev.skein.events.WorkerHeartbeat;
import java.time.Duration;

/**
 * When a worker counts as live: its last heartbeat is at most {@code timeout} old and it has not
 * said it is stopping. One rule for the router, the ingress's worker list and the tier metrics.
 */
public final class WorkerLiveness {

    private WorkerLiveness() {}

    public static boolean isLive(WorkerHeartbeat worker, long nowMs, Duration timeout) {
        return !worker.getStopping() && nowMs - worker.getTimestampMs() <= timeout.toMillis();
    }
}
