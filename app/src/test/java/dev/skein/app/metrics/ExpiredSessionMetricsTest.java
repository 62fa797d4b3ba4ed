package dev.skein.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.junit.jupiter.api.Test;

/** The topology's per-task count of expired sessions, as one counter per tenant summed over tasks. */
class ExpiredSessionMetricsTest {

    @Test
    void eachTenantsExpiriesAreSummedOverTasksAndOtherCountsAreLeftOut() {
        try (Metrics kafka = new Metrics()) {
            Sensor task0 = sensor(kafka, "sessions-expired-total", "acme", "0_0");
            Sensor task1 = sensor(kafka, "sessions-expired-total", "acme", "0_1");
            Sensor refused = sensor(kafka, "tool-calls-refused-total", "acme", "0_0");
            task0.record();
            task1.record();
            task1.record();
            refused.record();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            TaskCounterMetrics expired = TaskCounterMetrics.sessionsExpired(kafka::metrics, registry);

            expired.registerNewValues();

            assertThat(registry.get("skein.sessions.expired")
                            .tag("tenant", "acme")
                            .functionCounter()
                            .count())
                    .isEqualTo(3.0);
            assertThat(registry.find("skein.tool.calls.refused").functionCounter())
                    .isNull();
            expired.close();
        }
    }

    private static Sensor sensor(Metrics kafka, String name, String tenant, String task) {
        Sensor sensor = kafka.sensor(name + "." + tenant + "." + task);
        sensor.add(
                new MetricName(name, "skein-session", "test", Map.of("tenant", tenant, "task-id", task)),
                new CumulativeCount());
        return sensor;
    }
}
