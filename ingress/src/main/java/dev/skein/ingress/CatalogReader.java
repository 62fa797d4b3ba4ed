package dev.skein.ingress;

import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import java.time.Duration;
import java.util.List;

/**
 * The tools and workers Skein knows of: the latest definition of every tool in the catalog and
 * the latest heartbeat of every worker, including workers that have stopped or gone silent
 * (whether one is live is for the reader of the heartbeat to decide, with {@link #isLive}).
 *
 * <p>Implementations answer from memory, without I/O and without blocking: the ingress calls
 * them on its event loop. Each call returns an immutable snapshot, in no particular order.
 */
public interface CatalogReader {

    /** A reader that knows no tools and no workers, for an ingress that is not given a catalog. */
    CatalogReader EMPTY = new CatalogReader() {
        @Override
        public List<ToolDefinition> tools() {
            return List.of();
        }

        @Override
        public List<WorkerHeartbeat> workers() {
            return List.of();
        }
    };

    List<ToolDefinition> tools();

    List<WorkerHeartbeat> workers();

    /**
     * True when the worker has not said it is stopping and its last heartbeat is at most
     * {@code timeout} old at {@code nowMs}: the rule the session topology's router applies, so
     * that what the API and the metrics call live is what calls are routed to.
     */
    static boolean isLive(WorkerHeartbeat worker, long nowMs, Duration timeout) {
        return !worker.getStopping() && nowMs - worker.getTimestampMs() <= timeout.toMillis();
    }
}
