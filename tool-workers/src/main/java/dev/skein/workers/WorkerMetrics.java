package dev.skein.workers;

import dev.skein.events.ToolStatus;
import dev.skein.workers.node.WorkerAdmission;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A worker's meters, tagged with its id ({@code worker}) and, per tier, the tier:
 * <ul>
 *   <li>{@code skein.worker.tasks.in.flight} (gauge, tier): calls running now;</li>
 *   <li>{@code skein.worker.tasks.admitted} (counter, tier): calls admitted to run;</li>
 *   <li>{@code skein.worker.tasks.released} (counter, tier, reason = the resource that never fits,
 *       or {@code unknown-tool}): calls handed back to the pool;</li>
 *   <li>{@code skein.worker.task.duration} (timer, tier, tool, status): from admission to answer,
 *       retries included;</li>
 *   <li>{@code skein.worker.resource.utilisation} (gauge 0..1, resource = cpus, gpus, memory or a
 *       custom name): the share of the node held by running calls.</li>
 * </ul>
 */
final class WorkerMetrics {

    private final MeterRegistry registry;
    private final String workerId;
    private final Map<String, AtomicInteger> inFlight = new HashMap<>();
    private final Map<String, Counter> admitted = new HashMap<>();
    // Exact per-tier totals for the heartbeat (the meters above are for this process's scrape).
    private final Map<String, AtomicLong> admittedByTier = new HashMap<>();
    private final Map<String, AtomicLong> releasedByTier = new HashMap<>();

    WorkerMetrics(MeterRegistry registry, String workerId, Collection<String> tiers, WorkerAdmission admission) {
        this.registry = registry;
        this.workerId = workerId;
        for (String tier : tiers) {
            AtomicInteger running = new AtomicInteger();
            inFlight.put(tier, running);
            Gauge.builder("skein.worker.tasks.in.flight", running, AtomicInteger::get)
                    .description("Tool calls running now")
                    .tags(tags(tier))
                    .register(registry);
            admittedByTier.put(tier, new AtomicLong());
            releasedByTier.put(tier, new AtomicLong());
            admitted.put(
                    tier,
                    Counter.builder("skein.worker.tasks.admitted")
                            .description("Tool calls admitted to run")
                            .tags(tags(tier))
                            .register(registry));
        }
        for (String resource : admission.capacity().names()) {
            Gauge.builder("skein.worker.resource.utilisation", admission, a -> a.utilisation(resource))
                    .description("Share of the node's resource held by running tool calls")
                    .tags(Tags.of("worker", workerId, "resource", resource))
                    .register(registry);
        }
    }

    private Tags tags(String tier) {
        return Tags.of("worker", workerId, "tier", tier);
    }

    AtomicInteger inFlight(String tier) {
        return inFlight.get(tier);
    }

    int inFlightTotal() {
        return inFlight.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    void admitted(String tier) {
        admitted.get(tier).increment();
        admittedByTier.get(tier).incrementAndGet();
    }

    /** Calls running now, by the tier they came from. */
    Map<String, Integer> inFlightByTier() {
        Map<String, Integer> counts = new TreeMap<>();
        inFlight.forEach((tier, running) -> counts.put(tier, running.get()));
        return counts;
    }

    /** Calls admitted since start, by tier. */
    Map<String, Long> admittedByTier() {
        return totals(admittedByTier);
    }

    /** Calls handed back since start, by tier. */
    Map<String, Long> releasedByTier() {
        return totals(releasedByTier);
    }

    private static Map<String, Long> totals(Map<String, AtomicLong> counters) {
        Map<String, Long> totals = new TreeMap<>();
        counters.forEach((tier, count) -> totals.put(tier, count.get()));
        return totals;
    }

    void released(String tier, String reason) {
        releasedByTier.get(tier).incrementAndGet();
        Counter.builder("skein.worker.tasks.released")
                .description("Tool calls handed back for another worker")
                .tags(tags(tier).and("reason", reason))
                .register(registry)
                .increment();
    }

    void finished(String tier, String tool, ToolStatus status, Duration duration) {
        Timer.builder("skein.worker.task.duration")
                .description("Time from admission to answer of a tool call, retries included")
                .tags(tags(tier).and("tool", tool, "status", status.name()))
                .register(registry)
                .record(duration);
    }
}
