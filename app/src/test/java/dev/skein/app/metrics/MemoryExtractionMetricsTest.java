package dev.skein.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.junit.jupiter.api.Test;

/** The topology's per-task counts of memory extractions, as one counter per outcome summed over tasks. */
class MemoryExtractionMetricsTest {

    @Test
    void sumsEachOutcomeOverTasksAndReadsLiveCounts() {
        try (Metrics kafka = new Metrics()) {
            Sensor written0 = sensor(kafka, "written", "0_0");
            Sensor written1 = sensor(kafka, "written", "0_1");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (TaskCounterMetrics metrics = TaskCounterMetrics.memoryExtractions(kafka::metrics, registry)) {
                metrics.start();
                // every outcome is there from the start, before the topology counts one
                assertThat(registry.find("skein.memory.extractions").functionCounters())
                        .hasSize(4);
                written0.record();
                written1.record();
                written1.record();
                System.gc(); // the counters read through the exporter, which they hold only weakly
                assertThat(count(registry, "written")).isEqualTo(3);
                assertThat(count(registry, "failed")).isZero();
                written0.record();
                assertThat(count(registry, "written")).isEqualTo(4);
            }
            assertThat(registry.find("skein.memory.extractions").functionCounters())
                    .isEmpty();
        }
    }

    private static Sensor sensor(Metrics kafka, String outcome, String task) {
        Sensor sensor = kafka.sensor("extractions." + outcome + "." + task);
        sensor.add(
                new MetricName(
                        "memory-extractions-total", "skein-session", "", Map.of("outcome", outcome, "task-id", task)),
                new CumulativeCount());
        return sensor;
    }

    private static double count(SimpleMeterRegistry registry, String outcome) {
        return registry.get("skein.memory.extractions")
                .tag("outcome", outcome)
                .functionCounter()
                .count();
    }
}
