package dev.skein.app.metrics;

import dev.skein.events.ResourceSpec;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.WorkerLiveness;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges of each resource tier's worker pool, refreshed every few seconds on one thread:
 *
 * <ul>
 *   <li>{@value #QUEUE_DEPTH} {tier}: requests on the tier topic its share group has not yet
 *       acknowledged (waiting or running), summed over partitions;</li>
 *   <li>{@value #WORKERS_LIVE} {tier}: live workers serving the tier;</li>
 *   <li>{@value #IN_FLIGHT} {tier}: tasks those workers run now;</li>
 *   <li>{@value #ADMITTED} and {@value #RELEASED} {tier}: tasks those workers admitted, and handed
 *       back because they could never fit, since each worker started (a worker that stops takes
 *       its share with it: these are gauges, not counters);</li>
 *   <li>{@value #UTILISATION} {tier, resource}: sum of what running tasks use over the sum of what
 *       the live workers offer, for {@code cpus}, {@code gpus}, {@code memory} and each custom
 *       resource a worker of the tier has offered; 0 when no live worker offers it.</li>
 * </ul>
 *
 * With an agent group, also {@value #AGENTS_QUEUE_DEPTH}: requests on the agent-requests topic
 * that the agent runners' share group has not acknowledged, what the agents' Deployment scales on.
 *
 * <p>A worker serving several tiers counts in each. Queue depths read the broker and the worker
 * figures read heartbeats; each is refreshed on its own, and a refresh that fails is logged (once
 * a minute at most) and leaves the last values. Until the first depth is read it is NaN.
 */
public final class TierMetrics implements AutoCloseable {

    public static final String QUEUE_DEPTH = "skein.tier.queue.depth";
    public static final String AGENTS_QUEUE_DEPTH = "skein.agents.queue.depth";
    public static final String WORKERS_LIVE = "skein.tier.workers.live";
    public static final String IN_FLIGHT = "skein.tier.tasks.in.flight";
    public static final String ADMITTED = "skein.tier.tasks.admitted";
    public static final String RELEASED = "skein.tier.tasks.released";
    public static final String UTILISATION = "skein.tier.resource.utilisation";
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(TierMetrics.class);
    private static final long WARN_EVERY_MS = 60_000;
    private static final long CLOSE_TIMEOUT_MS = 10_000;

    /** A gauge's current value, written by the polling thread and read by scrapes. */
    private static final class Value {
        private volatile double current;

        Value(double initial) {
            current = initial;
        }

        double get() {
            return current;
        }
    }

    private record TierValues(
            Value depth, Value live, Value inFlight, Value admitted, Value released, Map<String, Value> utilisation) {}

    private final ShareBacklog backlog;
    private final SkeinTopics topics;
    private final List<String> tiers;
    private final Function<String, String> shareGroupOf;
    private final Supplier<? extends Collection<WorkerHeartbeat>> heartbeats;
    private final Duration workerTimeout;
    private final MeterRegistry registry;
    private final Duration interval;
    private final Map<String, TierValues> values = new LinkedHashMap<>();
    /** The agent runners' share group, or null when this does not export their backlog. */
    private final String agentGroup;

    private final Value agentDepth = new Value(Double.NaN);
    private final List<Meter> meters = new ArrayList<>();
    private final ScheduledExecutorService poller;
    private final Map<String, Long> lastWarnedMs = new ConcurrentHashMap<>();

    /** As the full constructor, refreshing every {@link #DEFAULT_INTERVAL}. */
    public TierMetrics(
            Admin admin,
            SkeinTopics topics,
            List<String> tiers,
            Function<String, String> shareGroupOf,
            Supplier<? extends Collection<WorkerHeartbeat>> heartbeats,
            Duration workerTimeout,
            MeterRegistry registry) {
        this(admin, topics, tiers, shareGroupOf, heartbeats, workerTimeout, registry, DEFAULT_INTERVAL, null);
    }

    /**
     * Registers the gauges at once; {@link #start()} begins refreshing them. The admin client is
     * not owned: closing this does not close it.
     *
     * @param shareGroupOf the share group of a tier's worker pool, e.g. {@code topics::workerGroup}
     * @param heartbeats   the latest heartbeat of every worker, e.g. {@code KafkaCatalogView::workers}
     * @param agentGroup   the agent runners' share group, whose backlog on the agent-requests topic
     *     is exported too; null: not exported
     */
    public TierMetrics(
            Admin admin,
            SkeinTopics topics,
            List<String> tiers,
            Function<String, String> shareGroupOf,
            Supplier<? extends Collection<WorkerHeartbeat>> heartbeats,
            Duration workerTimeout,
            MeterRegistry registry,
            Duration interval,
            String agentGroup) {
        this.agentGroup = agentGroup;
        this.backlog = new ShareBacklog(admin);
        this.topics = Objects.requireNonNull(topics, "topics");
        this.tiers = List.copyOf(tiers);
        this.shareGroupOf = Objects.requireNonNull(shareGroupOf, "shareGroupOf");
        this.heartbeats = Objects.requireNonNull(heartbeats, "heartbeats");
        this.workerTimeout = Objects.requireNonNull(workerTimeout, "workerTimeout");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.interval = Objects.requireNonNull(interval, "interval");
        if (this.tiers.isEmpty()) {
            throw new IllegalArgumentException("tier metrics need at least one tier");
        }
        if (workerTimeout.isNegative() || workerTimeout.isZero() || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException(
                    "workerTimeout and interval must be positive, got " + workerTimeout + " and " + interval);
        }
        for (String tier : this.tiers) {
            TierValues tierValues = new TierValues(
                    new Value(Double.NaN),
                    new Value(0),
                    new Value(0),
                    new Value(0),
                    new Value(0),
                    new ConcurrentHashMap<>());
            values.put(tier, tierValues);
            register(
                    QUEUE_DEPTH,
                    "requests on the tier topic not yet acknowledged by its worker pool",
                    Tags.of("tier", tier),
                    tierValues.depth());
            register(WORKERS_LIVE, "live workers serving the tier", Tags.of("tier", tier), tierValues.live());
            register(
                    IN_FLIGHT,
                    "tasks the tier's live workers are running",
                    Tags.of("tier", tier),
                    tierValues.inFlight());
            register(
                    ADMITTED,
                    "tasks admitted by the tier's live workers since they started",
                    Tags.of("tier", tier),
                    tierValues.admitted());
            register(
                    RELEASED,
                    "tasks the tier's live workers handed back as never fitting",
                    Tags.of("tier", tier),
                    tierValues.released());
            for (String resource : List.of("cpus", "gpus", "memory")) {
                utilisation(tier, resource);
            }
        }
        if (agentGroup != null) {
            register(
                    AGENTS_QUEUE_DEPTH,
                    "agent requests not yet acknowledged by the agent runners",
                    Tags.of("group", agentGroup),
                    agentDepth);
        }
        this.poller = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("skein-tier-metrics").daemon(true).factory());
    }

    /** Refreshes now and then every interval; each refresh waits for the previous one. */
    public void start() {
        poller.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops refreshing and removes the gauges from the registry, so stale values are not exported. */
    @Override
    public void close() {
        poller.shutdownNow();
        try {
            if (!poller.awaitTermination(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                log.warn("tier metrics: the refresh did not stop within {} ms", CLOSE_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (meters) {
            meters.forEach(registry::remove);
            meters.clear();
        }
    }

    private void refresh() {
        // A scheduled task that throws is never run again: every failure stops here.
        try {
            refreshWorkers(System.currentTimeMillis());
            recovered("workers");
        } catch (RuntimeException e) {
            failed("workers", "cannot compute the worker figures", e);
        }
        try {
            refreshQueueDepths();
            recovered("depth");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed(
                    "depth",
                    "cannot read the queue depths of tiers " + tiers + " from Kafka",
                    e instanceof ExecutionException ? e.getCause() : e);
        }
        if (agentGroup == null) {
            return;
        }
        // On its own: a principal without Describe on the agents' group keeps its tier depths.
        try {
            refreshAgentBacklog();
            recovered("agents");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed(
                    "agents",
                    "cannot read the agent runners' backlog (group " + agentGroup + ") from Kafka",
                    e instanceof ExecutionException ? e.getCause() : e);
        }
    }

    /**
     * A worker's count for one tier. A worker that serves several tiers reports its counts by tier;
     * one older than that reports only totals, which belong to a tier only when it serves just that one.
     */
    static long ofTier(WorkerHeartbeat worker, String tier, Map<String, ? extends Number> byTier, long total) {
        if (byTier != null && !byTier.isEmpty()) {
            Number count = byTier.get(tier);
            return count == null ? 0 : count.longValue();
        }
        return worker.getTiers().size() == 1 && worker.getTiers().contains(tier) ? total : 0;
    }

    private void refreshWorkers(long nowMs) {
        List<WorkerHeartbeat> live = heartbeats.get().stream()
                .filter(w -> WorkerLiveness.isLive(w, nowMs, workerTimeout))
                .toList();
        for (Map.Entry<String, TierValues> entry : values.entrySet()) {
            String tier = entry.getKey();
            TierValues tierValues = entry.getValue();
            List<WorkerHeartbeat> serving =
                    live.stream().filter(w -> w.getTiers().contains(tier)).toList();
            tierValues.live().current = serving.size();
            tierValues.inFlight().current = serving.stream()
                    .mapToLong(w -> ofTier(w, tier, w.getInFlightByTier(), w.getInFlight()))
                    .sum();
            tierValues.admitted().current = serving.stream()
                    .mapToLong(w -> ofTier(w, tier, w.getAdmittedByTier(), w.getAdmitted()))
                    .sum();
            tierValues.released().current = serving.stream()
                    .mapToLong(w -> ofTier(w, tier, w.getReleasedByTier(), w.getReleased()))
                    .sum();

            Map<String, double[]> usedAndOffered = new HashMap<>();
            for (String resource : List.of("cpus", "gpus", "memory")) {
                usedAndOffered.put(resource, new double[2]);
            }
            for (WorkerHeartbeat worker : serving) {
                // A worker that does not report its use (an older one) counts as using nothing.
                add(usedAndOffered, 0, Optional.ofNullable(worker.getInUse()));
                add(usedAndOffered, 1, Optional.of(worker.getCapabilities()));
            }
            usedAndOffered.keySet().forEach(resource -> utilisation(tier, resource));
            tierValues.utilisation().forEach((resource, value) -> {
                double[] sums = usedAndOffered.getOrDefault(resource, new double[2]);
                value.current = sums[1] > 0 ? sums[0] / sums[1] : 0;
            });
        }
    }

    private static void add(Map<String, double[]> sums, int column, Optional<ResourceSpec> spec) {
        spec.ifPresent(s -> {
            sums.get("cpus")[column] += s.getCpus();
            sums.get("gpus")[column] += s.getGpus();
            sums.get("memory")[column] += s.getMemoryBytes();
            s.getCustom().forEach((name, amount) -> sums.computeIfAbsent(name, n -> new double[2])[column] += amount);
        });
    }

    private void refreshQueueDepths() throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, ShareBacklog.Queue> queues = new LinkedHashMap<>();
        tiers.forEach(tier ->
                queues.put(tier, new ShareBacklog.Queue(topics.tools(tier).name(), shareGroupOf.apply(tier))));
        backlog.read(queues).forEach((tier, depth) -> values.get(tier).depth().current = depth);
    }

    private void refreshAgentBacklog() throws InterruptedException, ExecutionException, TimeoutException {
        agentDepth.current = backlog.read(
                        Map.of("agents", new ShareBacklog.Queue(topics.agentRequests.name(), agentGroup)))
                .get("agents");
    }

    private void utilisation(String tier, String resource) {
        values.get(tier).utilisation().computeIfAbsent(resource, r -> {
            Value value = new Value(0);
            register(
                    UTILISATION,
                    "share of the resource the tier's live workers offer that running tasks use",
                    Tags.of("tier", tier, "resource", r),
                    value);
            return value;
        });
    }

    private void register(String name, String description, Tags tags, Value value) {
        Gauge gauge = Gauge.builder(name, value, Value::get)
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
        synchronized (meters) {
            meters.add(gauge);
        }
    }

    private void failed(String what, String message, Throwable cause) {
        long now = System.currentTimeMillis();
        Long last = lastWarnedMs.get(what);
        if (last == null || now - last >= WARN_EVERY_MS) {
            lastWarnedMs.put(what, now);
            log.warn(
                    "tier metrics: {}; keeping the last values (next warning in {} s at the earliest): {}",
                    message,
                    WARN_EVERY_MS / 1000,
                    cause.toString());
        } else {
            log.debug("tier metrics: {}", message, cause);
        }
    }

    private void recovered(String what) {
        if (lastWarnedMs.remove(what) != null) {
            log.info("tier metrics: reading {} works again", what);
        }
    }
}
