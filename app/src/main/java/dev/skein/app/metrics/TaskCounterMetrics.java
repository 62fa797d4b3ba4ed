package dev.skein.app.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Exports a counter the session topology keeps per stream task and per value of one tag (a Kafka
 * Streams metric such as {@code skein-session / tool-calls-refused-total{tenant, task-id}}) as one
 * Prometheus counter per tag value, summed over tasks. Values appear as the topology first counts
 * one (or, for a tag with a fixed set of values, all of them from the start, at 0); a look for new
 * ones runs every few seconds, and each scrape reads the live counts. Closing removes the meters.
 *
 * <p>A function counter holds its object weakly and keeps its last value once the object is gone:
 * this object is it, so whoever starts it must keep it (and close it).
 *
 * <p>In use: {@code skein_tool_calls_refused_total{tenant}} (tool calls the tenant may not make),
 * {@code skein_sessions_expired_total{tenant}} (sessions erased by retention),
 * {@code skein_speculative_answers_dropped_total{kind}} (answers to a dispatch the committed
 * state never made, docs/dispatch.md) and {@code skein_memory_extractions_total{outcome}}
 * (docs/memory.md).
 */
public final class TaskCounterMetrics implements AutoCloseable {

    private static final long LOOK_EVERY_SECONDS = 5;

    private final Supplier<Map<MetricName, ? extends Metric>> metrics;
    private final MeterRegistry registry;
    private final String group;
    private final String name;
    private final String tag;
    private final String meter;
    private final String description;
    private final List<String> knownValues;
    private final Queue<Meter> meters = new ConcurrentLinkedQueue<>();
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService looker;

    /**
     * @param group and {@code name}: the Kafka Streams metric
     * @param tag the tag whose values become the meter's tag of the same name
     * @param meter the Micrometer name ({@code skein.tool.calls.refused}: Prometheus adds {@code _total})
     */
    public TaskCounterMetrics(
            Supplier<Map<MetricName, ? extends Metric>> metrics,
            MeterRegistry registry,
            String group,
            String name,
            String tag,
            String meter,
            String description) {
        this(metrics, registry, group, name, tag, meter, description, List.of());
    }

    private TaskCounterMetrics(
            Supplier<Map<MetricName, ? extends Metric>> metrics,
            MeterRegistry registry,
            String group,
            String name,
            String tag,
            String meter,
            String description,
            List<String> knownValues) {
        this.metrics = metrics;
        this.registry = registry;
        this.group = group;
        this.name = name;
        this.tag = tag;
        this.meter = meter;
        this.description = description;
        this.knownValues = List.copyOf(knownValues);
        this.looker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("skein-" + name + "-metrics")
                .daemon(true)
                .factory());
    }

    /** Tool calls refused because the session's tenant may not use the tool, by tenant. */
    public static TaskCounterMetrics refusedToolCalls(
            Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        return new TaskCounterMetrics(
                metrics,
                registry,
                "skein-session",
                "tool-calls-refused-total",
                "tenant",
                "skein.tool.calls.refused",
                "tool calls refused because the session's tenant may not use the tool");
    }

    /** Sessions erased because they were idle for their time to live, by tenant. */
    public static TaskCounterMetrics sessionsExpired(
            Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        return new TaskCounterMetrics(
                metrics,
                registry,
                "skein-session",
                "sessions-expired-total",
                "tenant",
                "skein.sessions.expired",
                "sessions erased because they were idle for their time to live (skein.session.retention)");
    }

    /** Agent steps and tool results dropped for answering another dispatch than the committed one, by kind. */
    public static TaskCounterMetrics speculativeAnswersDropped(
            Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        return new TaskCounterMetrics(
                metrics,
                registry,
                "skein-session",
                "speculative-answers-dropped-total",
                "kind",
                "skein.speculative.answers.dropped",
                "agent steps and tool results dropped because they answer a dispatch the committed state never made");
    }

    /**
     * Memory extractions after turns ({@code requested}, {@code failed}: given up) and their
     * memories ({@code written}, {@code write-failed}), by outcome; every outcome from the start.
     */
    public static TaskCounterMetrics memoryExtractions(
            Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        return new TaskCounterMetrics(
                metrics,
                registry,
                "skein-session",
                "memory-extractions-total",
                "outcome",
                "skein.memory.extractions",
                "memory extractions after turns (requested, failed) and their memories (written, write-failed)",
                List.of("requested", "written", "write-failed", "failed"));
    }

    public void start() {
        knownValues.forEach(this::register);
        looker.scheduleWithFixedDelay(this::registerNewValues, 0, LOOK_EVERY_SECONDS, TimeUnit.SECONDS);
    }

    void registerNewValues() {
        for (MetricName metric : metrics.get().keySet()) {
            String value = metric.tags().get(tag);
            if (name.equals(metric.name()) && group.equals(metric.group()) && value != null) {
                register(value);
            }
        }
    }

    private void register(String value) {
        if (registered.add(value)) {
            meters.add(FunctionCounter.builder(meter, this, m -> m.total(value))
                    .description(description)
                    .tag(tag, value)
                    .register(registry));
        }
    }

    double total(String value) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> entry : metrics.get().entrySet()) {
            MetricName metric = entry.getKey();
            if (name.equals(metric.name())
                    && group.equals(metric.group())
                    && value.equals(metric.tags().get(tag))
                    && entry.getValue().metricValue() instanceof Number count) {
                sum += count.doubleValue();
            }
        }
        return sum;
    }

    @Override
    public void close() {
        looker.shutdownNow();
        meters.forEach(registry::remove);
    }
}
