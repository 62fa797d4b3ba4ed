package dev.skein.topologies.routing;

import dev.skein.events.ResourceSpec;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.WorkerLiveness;
import dev.skein.schemas.resources.Resources;
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
 *
 * <p>"Covers" and "fits" are the rule of {@link Resources}, the one the workers' admission uses:
 * a call is sent to a tier only if a worker of that tier would admit it.
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

    /**
     * The tier for a call of {@code tool} needing {@code needs}, or why there is none.
     *
     * @param workers the last heartbeat of each worker; gone and stopping workers are ignored, as are
     *     workers that did not announce {@code tool}
     */
    public Route route(String tool, ResourceSpec needs, Collection<WorkerHeartbeat> workers, long nowMs) {
        Resources needed;
        try {
            needed = Resources.of(needs);
        } catch (IllegalArgumentException e) {
            return new Route.Refused("tool " + tool + " declares resources no worker can offer: " + e.getMessage());
        }
        List<TierEnvelope> fitting = tiers.stream().filter(t -> t.fits(needed)).toList();
        if (fitting.isEmpty()) {
            return new Route.Refused("no tier can run " + tool + ", which needs " + needed.describe() + "; tiers: "
                    + tiers.stream().map(TierEnvelope::describe).collect(Collectors.joining(", ")));
        }
        // Only workers that announced the tool: one without it would release the call until the
        // delivery limit, and the agent would wait for nothing.
        List<WorkerHeartbeat> live = workers.stream()
                .filter(w -> isLive(w, nowMs) && w.getTools().contains(tool))
                .toList();
        List<Resources> candidates = new ArrayList<>();
        for (TierEnvelope tier : fitting) {
            for (WorkerHeartbeat worker : live) {
                if (worker.getTiers().contains(tier.name())) {
                    Resources offered = offeredBy(worker);
                    if (offered.covers(needed)) {
                        return new Route.Tier(tier.name());
                    }
                    candidates.add(offered);
                }
            }
        }
        String tierNames = fitting.stream().map(TierEnvelope::name).collect(Collectors.joining(", "));
        if (candidates.isEmpty()) {
            return new Route.Refused("no live worker with tool " + tool + " serves tier " + tierNames + ", where "
                    + tool
                    + " (needs " + needed.describe() + ") would run; start one with `skein worker --tier "
                    + fitting.getFirst().name() + "`");
        }
        Set<String> missingEverywhere =
                new LinkedHashSet<>(candidates.getFirst().missing(needed));
        for (Resources offered : candidates) {
            missingEverywhere.retainAll(offered.missing(needed));
        }
        String missing = missingEverywhere.isEmpty()
                ? String.join(" and ", Resources.NONE.missing(needed)) + " together"
                : String.join(", ", missingEverywhere);
        return new Route.Refused(
                "no live worker offers " + missing + " (needed by " + tool + " in tier " + tierNames + ")");
    }

    private static Resources offeredBy(WorkerHeartbeat worker) {
        try {
            return Resources.of(worker.getCapabilities());
        } catch (IllegalArgumentException e) {
            // Not a heartbeat a Skein worker writes (they validate their capabilities): it offers
            // nothing the router can count on.
            return Resources.NONE;
        }
    }
}
