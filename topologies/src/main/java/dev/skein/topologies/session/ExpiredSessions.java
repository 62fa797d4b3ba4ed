package dev.skein.topologies.session;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Counts the sessions erased because they were idle for their time to live. A Kafka Streams metric
 * ({@value #GROUP} / {@value #NAME}, tagged with the tenant and the task), exported by the app to
 * Prometheus as {@code skein_sessions_expired_total{tenant}}, as {@link RefusedCalls} is.
 */
@FunctionalInterface
interface ExpiredSessions {

    String GROUP = "skein-session";
    String NAME = "sessions-expired-total";

    /** Counts nothing (tests that do not look). */
    ExpiredSessions NONE = tenant -> {};

    void expired(String tenant);

    /** One sensor per tenant, created when the task first expires a session of that tenant. */
    static ExpiredSessions of(ProcessorContext<?, ?> context) {
        Map<String, Sensor> byTenant = new HashMap<>();
        String task = context.taskId().toString();
        return tenant -> byTenant.computeIfAbsent(tenant, t -> {
                    Sensor sensor = context.metrics()
                            .addSensor("skein.task-" + task + ".sessions-expired." + t, Sensor.RecordingLevel.INFO);
                    sensor.add(
                            new MetricName(
                                    NAME,
                                    GROUP,
                                    "sessions erased because they were idle for their time to live",
                                    Map.of("tenant", t, "task-id", task)),
                            new CumulativeCount());
                    return sensor;
                })
                .record();
    }
}
