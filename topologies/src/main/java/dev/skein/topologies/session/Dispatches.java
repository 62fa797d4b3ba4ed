package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * The arbiter's rule for answers that may come from speculative dispatch (docs/dispatch.md).
 *
 * <p>Runners and workers may read their requests before the topology's transaction commits, so
 * an answer can belong to a request the committed state never made: one from a pass that was
 * aborted (its replay makes the request again, with other contents if the inputs arrive in
 * another order), or one for a turn that, replayed, ended first. Turn id and step cannot tell
 * such an answer from a real one, because a replay reuses them. So every agent invocation gets
 * a random dispatch id, stored in the active turn in the same transaction as the invocation; its
 * step and the tool requests of that step carry it, and an answer that echoes another id is
 * dropped. A random id, rather than one derived from the state, is what makes an aborted pass's
 * id differ from its replay's, even when the replay's state is identical.
 *
 * <p>Answers without an id (runners and workers that do not echo it, or requests made before
 * this field existed) are judged by turn, step and call id alone, as before.
 */
final class Dispatches {

    static final String GROUP = "skein-session";
    static final String NAME = "speculative-answers-dropped-total";

    /** Counts the answers dropped by this rule. */
    @FunctionalInterface
    interface Drops {
        /** Counts nothing (tests that do not look). */
        Drops NONE = kind -> {};

        /** @param kind {@code agent-step}, {@code tool-result} or {@code summary-step} */
        void dropped(String kind);
    }

    private Dispatches() {}

    /** A new dispatch id. */
    static String newId() {
        return UUID.randomUUID().toString();
    }

    /**
     * True when {@code echoed} names a dispatch other than the active turn's: the answer is to a
     * request the committed state did not make. False when either side has no id.
     */
    static boolean answersAnother(ActiveTurn active, String echoed) {
        return echoed != null && active.getDispatchId() != null && !echoed.equals(active.getDispatchId());
    }

    /**
     * A Kafka Streams metric ({@value #GROUP} / {@value #NAME}, tagged with the answer's kind and the
     * task), in JMX and {@code KafkaStreams#metrics()}; the app exports it as
     * {@code skein_speculative_answers_dropped_total{kind}}.
     */
    static Drops metric(ProcessorContext<?, ?> context) {
        Map<String, Sensor> byKind = new HashMap<>();
        String task = context.taskId().toString();
        return kind -> byKind.computeIfAbsent(kind, k -> {
                    Sensor sensor = context.metrics()
                            .addSensor(
                                    "skein.task-" + task + ".speculative-answers-dropped." + k,
                                    Sensor.RecordingLevel.INFO);
                    sensor.add(
                            new MetricName(
                                    NAME,
                                    GROUP,
                                    "agent steps and tool results dropped because they answer a dispatch the"
                                            + " committed state never made",
                                    Map.of("kind", k, "task-id", task)),
                            new CumulativeCount());
                    return sensor;
                })
                .record();
    }
}
