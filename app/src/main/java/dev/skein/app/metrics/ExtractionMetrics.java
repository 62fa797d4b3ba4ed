package dev.skein.app.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Exports the session topology's counts of memory extractions ({@code skein-session /
 * memory-extractions-total}, one per outcome and task) as the Prometheus counter
 * {@code skein_memory_extractions_total{outcome}}, summed over tasks: {@code requested},
 * {@code written} (memories), {@code write-failed} (memories), {@code failed} (extractions given up).
 * The outcomes are fixed, so every counter exists from the start, at 0 until the topology counts one.
 */
public final class ExtractionMetrics implements AutoCloseable {

    static final String GROUP = "skein-session";
    static final String NAME = "memory-extractions-total";
    static final List<String> OUTCOMES = List.of("requested", "written", "write-failed", "failed");

    private final Supplier<Map<MetricName, ? extends Metric>> metrics;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    public ExtractionMetrics(Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        this.metrics = metrics;
        this.registry = registry;
    }

    /**
     * Registers the counters. A function counter holds its object weakly and keeps its last value
     * once the object is gone: this object is it, so whoever starts it must keep it (and close it).
     */
    public void start() {
        for (String outcome : OUTCOMES) {
            meters.add(FunctionCounter.builder("skein.memory.extractions", this, m -> total(m.metrics.get(), outcome))
                    .description("memory extractions after turns (requested, failed) and their memories (written,"
                            + " write-failed)")
                    .tag("outcome", outcome)
                    .register(registry));
        }
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
    }

    static double total(Map<MetricName, ? extends Metric> metrics, String outcome) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> entry : metrics.entrySet()) {
            MetricName name = entry.getKey();
            if (NAME.equals(name.name())
                    && GROUP.equals(name.group())
                    && outcome.equals(name.tags().get("outcome"))
                    && entry.getValue().metricValue() instanceof Number value) {
                sum += value.doubleValue();
            }
        }
        return sum;
    }
}
