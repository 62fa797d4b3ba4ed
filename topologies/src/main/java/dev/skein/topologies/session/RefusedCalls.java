package dev.skein.topologies.session;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Counts the tool calls refused because the session's tenant may not use the tool. The count is a
 * Kafka Streams metric ({@value #GROUP} / {@value #NAME}, tagged with the tenant and the task), so it
 * is in JMX and {@code KafkaStreams#metrics()}; the app exports it to Prometheus as
 * {@code skein_tool_calls_refused_total{tenant}}.
 */
@FunctionalInterface
interface RefusedCalls {

    String GROUP = "skein-session";
    String NAME = "tool-calls-refused-total";

    /** Counts nothing (tests that do not look). */
    RefusedCalls NONE = (tenant, tool) -> {};

    void toolNotAllowed(String tenant, String tool);

    /** One sensor per tenant, created when the task first refuses a call of that tenant. */
    static RefusedCalls of(ProcessorContext<?, ?> context) {
        Map<String, Sensor> byTenant = new HashMap<>();
        String task = context.taskId().toString();
        return (tenant, tool) -> byTenant.computeIfAbsent(tenant, t -> {
                    Sensor sensor = context.metrics()
                            .addSensor("skein.task-" + task + ".tool-calls-refused." + t, Sensor.RecordingLevel.INFO);
                    sensor.add(
                            new MetricName(
                                    NAME,
                                    GROUP,
                                    "tool calls refused because the tenant may not use the tool",
                                    Map.of("tenant", t, "task-id", task)),
                            new CumulativeCount());
                    return sensor;
                })
                .record();
    }
}
