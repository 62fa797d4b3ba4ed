package dev.skein.topologies.session;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Counts memory extractions by outcome. Each count is a Kafka Streams metric ({@value #GROUP} /
 * {@value #NAME}, tagged with the outcome and the task), so it is in JMX and
 * {@code KafkaStreams#metrics()}; the app exports it to Prometheus as
 * {@code skein_memory_extractions_total{outcome}}.
 */
@FunctionalInterface
interface ExtractionCounts {

    String GROUP = "skein-session";
    String NAME = "memory-extractions-total";
    /** An extraction asked of the extractor agent (a retry is not counted again). */
    String REQUESTED = "requested";
    /** One memory written by its remember call. */
    String WRITTEN = "written";
    /** One memory whose remember call failed. */
    String WRITE_FAILED = "write-failed";
    /** An extraction given up: the agent failed, its answer was not JSON, no tier serves remember, or it timed out. */
    String FAILED = "failed";

    /** Counts nothing (tests that do not look). */
    ExtractionCounts NONE = outcome -> {};

    void count(String outcome);

    /** One sensor per outcome, created when the task first counts it. */
    static ExtractionCounts of(ProcessorContext<?, ?> context) {
        Map<String, Sensor> byOutcome = new HashMap<>();
        String task = context.taskId().toString();
        return outcome -> byOutcome
                .computeIfAbsent(outcome, o -> {
                    Sensor sensor = context.metrics()
                            .addSensor("skein.task-" + task + ".memory-extractions." + o, Sensor.RecordingLevel.INFO);
                    sensor.add(
                            new MetricName(
                                    NAME,
                                    GROUP,
                                    "memory extractions after turns, by outcome",
                                    Map.of("outcome", o, "task-id", task)),
                            new CumulativeCount());
                    return sensor;
                })
                .record();
    }
}
