package dev.skein.app.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
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
public final class ExtractionMetrics {

    static final String GROUP = "skein-session";
    static final String NAME = "memory-extractions-total";
    static final List<String> OUTCOMES = List.of("requested", "written", "write-failed", "failed");

    private ExtractionMetrics() {}

    public static void register(Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        for (String outcome : OUTCOMES) {
            FunctionCounter.builder("skein.memory.extractions", metrics, m -> total(m.get(), outcome))
                    .description("memory extractions after turns (requested, failed) and their memories (written,"
                            + " write-failed)")
                    .tag("outcome", outcome)
                    .register(registry);
        }
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
