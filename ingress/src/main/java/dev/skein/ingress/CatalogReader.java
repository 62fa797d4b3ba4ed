package dev.skein.ingress;

import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import java.util.List;

/**
 * The tools and workers Skein knows of: the latest definition of every tool in the catalog and
 * the latest heartbeat of every worker, including workers that have stopped or gone silent
 * (whether one is live is for the reader of the heartbeat to decide, with
 * {@link dev.skein.schemas.WorkerLiveness#isLive}).
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
}
