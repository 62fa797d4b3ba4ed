package dev.skein.topologies.routing;

import dev.skein.events.ResourceSpec;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.WorkerLiveness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Chooses the tier for a tool call: the first configured tier (tiers are listed smallest first)
 * whose envelope fits the call's needs and that has a live worker whose capabilities cover them.
 * When none can, says why in words the agent can act on, naming the missing resource.
 */
public final class TierRouter {

    /** Where a call goes, or why it cannot go anywhere. */
    public sealed interface Route {
        record Tier(String name) implements Route {}

        record Refused(String reason) implements Route {}
    }

    private final List<TierEnvelope> tiers;
    private final Duration workerTimeout;

    /**
     * @param tiers smallest first
     * @param workerTimeout a worker whose last heartbeat is older than this is considered gone
     */
    public TierRouter(List<TierEnvelope> tiers, Duration workerTimeout) {
        if (tiers.isEmpty()) {
            throw new IllegalArgumentException("at least one tier must be configured");
        }
        this.tiers = List.copyOf(tiers);
        this.workerTimeout = workerTimeout;
    }

    public List<TierEnvelope> tiers() {
        return tiers;
    }

    /** True when the worker's last heartbeat is recent and it has not said it is stopping. */
    public boolean isLive(WorkerHeartbeat worker, long nowMs) {
        return WorkerLiveness.isLive(worker, nowMs, workerTimeout);
    }

    public Route route(String tool, ResourceSpec needs, Collection<WorkerHeartbeat> workers, long nowMs) {
        List<TierEnvelope> fitting = tiers.stream().filter(t -> t.fits(needs)).toList();
        if (fitting.isEmpty()) {
            return new Route.Refused("no tier can run " + tool + ", which needs " + Resources.describe(needs)
                    + "; tiers: " + tiers.stream().map(TierEnvelope::describe).collect(Collectors.joining(", ")));
        }
        // Only workers that announced the tool: one without it would release the call until the
        // delivery limit, and the agent would wait for nothing.
        List<WorkerHeartbeat> live = workers.stream()
                .filter(w -> isLive(w, nowMs) && w.getTools().contains(tool))
                .toList();
        List<WorkerHeartbeat> candidates = new ArrayList<>();
        for (TierEnvelope tier : fitting) {
            for (WorkerHeartbeat worker : live) {
                if (worker.getTiers().contains(tier.name())) {
                    if (Resources.covers(worker.getCapabilities(), needs)) {
                        return new Route.Tier(tier.name());
                    }
                    candidates.add(worker);
                }
            }
        }
        String tierNames = fitting.stream().map(TierEnvelope::name).collect(Collectors.joining(", "));
        if (candidates.isEmpty()) {
            return new Route.Refused("no live worker with tool " + tool + " serves tier " + tierNames + ", where "
                    + tool
                    + " (needs " + Resources.describe(needs) + ") would run; start one with `skein worker --tier "
                    + fitting.getFirst().name() + "`");
        }
        Set<String> missingEverywhere =
                new LinkedHashSet<>(Resources.missing(candidates.getFirst().getCapabilities(), needs));
        for (WorkerHeartbeat worker : candidates) {
            missingEverywhere.retainAll(Resources.missing(worker.getCapabilities(), needs));
        }
        String missing = missingEverywhere.isEmpty()
                ? String.join(
                                " and ",
                                Resources.missing(
                                        ResourceSpec.newBuilder()
                                                .setCpus(0)
                                                .setMemoryBytes(0)
                                                .build(),
                                        needs))
                        + " together"
                : String.join(", ", missingEverywhere);
        return new Route.Refused(
                "no live worker offers " + missing + " (needed by " + tool + " in tier " + tierNames + ")");
    }
}
