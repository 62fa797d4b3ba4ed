package dev.skein.bench;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Where a simple turn's time goes, seen from outside: read_committed watchers on agent-requests
 * and agent-steps note when each turn's invocation and step become visible, and the records'
 * timestamps (the topology stamps its output with its processing time) say how long output waited
 * for its transaction to commit. One session, one turn at a time; medians in milliseconds.
 */
final class TurnAnatomy {

    /**
     * Medians of each segment, in the order a turn crosses them; and the log entries (records and
     * transaction markers: each takes an offset) each turn added to every topic of the deployment.
     */
    record Result(int turns, Map<String, Double> medianMs, Map<String, Double> logEntriesPerTurn) {}

    private record Seen(long nanos, long recordTimestampMs) {}

    private final String bootstrapServers;
    private final SkeinTopics topics;

    TurnAnatomy(String bootstrapServers, SkeinTopics topics) {
        this.bootstrapServers = bootstrapServers;
        this.topics = topics;
    }

    Result run(TurnDriver driver, int turns) throws Exception {
        Map<String, Seen> invocations = new ConcurrentHashMap<>();
        Map<String, Seen> steps = new ConcurrentHashMap<>();
        try (Watcher<AgentInvocation> a = new Watcher<>(topics.agentRequests, AgentInvocation::getTurnId, invocations);
                Watcher<AgentStep> b = new Watcher<>(topics.agentSteps, AgentStep::getTurnId, steps)) {
            Map<TopicPartition, Long> before = endOffsets();
            double[][] segments = new double[6][turns];
            for (int i = 0; i < turns; i++) {
                long startNanos = System.nanoTime();
                long startMs = System.currentTimeMillis();
                TurnDriver.Answer answer =
                        driver.submit("anatomy", SkeinBench.SIMPLE_MESSAGE).get(60, TimeUnit.SECONDS);
                String turnId = answer.completed().getTurnId();
                Seen invocation = await(invocations, turnId);
                Seen step = await(steps, turnId);
                long answerMs = startMs + (answer.receivedNanos() - startNanos) / 1_000_000;
                long invocationMs = startMs + (invocation.nanos() - startNanos) / 1_000_000;
                segments[0][i] = (invocation.recordTimestampMs() - startMs);
                segments[1][i] = (invocationMs - invocation.recordTimestampMs());
                segments[2][i] = (step.nanos() - invocation.nanos()) / 1e6;
                segments[3][i] =
                        (answer.completed().getCompletedAtMs() - (startMs + (step.nanos() - startNanos) / 1_000_000));
                segments[4][i] = (answerMs - answer.completed().getCompletedAtMs());
                segments[5][i] = (answer.receivedNanos() - startNanos) / 1e6;
            }
            String[] names = {
                "turn produced -> topology processed it and emitted the invocation",
                "invocation emitted -> visible (topology transaction commit)",
                "invocation visible -> agent step visible (share fetch, demo agent, produce)",
                "step visible -> topology processed it and emitted TurnCompleted",
                "TurnCompleted emitted -> seen by the client (transaction commit, fetch)",
                "whole turn"
            };
            Map<String, Double> medians = new LinkedHashMap<>();
            for (int s = 0; s < names.length; s++) {
                double[] values = segments[s].clone();
                Arrays.sort(values);
                medians.put(names[s], values[values.length / 2]);
            }
            return new Result(turns, medians, perTurn(before, endOffsets(), turns));
        }
    }

    /** End offsets of every partition of the deployment's topics (its prefix) and changelogs (its application id). */
    private Map<TopicPartition, Long> endOffsets() throws Exception {
        String applicationId = topics.groupId("sessions") + "-";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            List<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(n -> n.startsWith(topics.prefix()) || n.startsWith(applicationId))
                    .toList();
            return EndOffsets.of(admin, names);
        }
    }

    /** Per topic (prefix dropped), entries added per turn, largest first; topics that did not grow are left out. */
    private Map<String, Double> perTurn(Map<TopicPartition, Long> before, Map<TopicPartition, Long> after, int turns) {
        Map<String, Long> added = new HashMap<>();
        after.forEach((tp, end) -> added.merge(tp.topic(), end - before.getOrDefault(tp, 0L), Long::sum));
        Map<String, Double> result = new LinkedHashMap<>();
        added.entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> result.put(shortName(e.getKey()), (double) e.getValue() / turns));
        return result;
    }

    private String shortName(String topic) {
        return topic.startsWith(topics.prefix())
                ? topic.substring(topics.prefix().length())
                : topic.substring(topics.groupId("sessions").length() + 1);
    }

    private static Seen await(Map<String, Seen> seen, String turnId) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Seen s;
        while ((s = seen.remove(turnId)) == null) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("the anatomy watcher did not see turn " + turnId + " within 5 s");
            }
            Thread.sleep(1); // the watcher saw it before the answer came back in all but a race
        }
        return s;
    }

    /** A read_committed reader of one topic that notes when each turn's record arrives. */
    private final class Watcher<V> implements AutoCloseable {
        private final KafkaConsumer<String, V> consumer;
        private final Thread thread;
        private volatile boolean running = true;

        Watcher(Topic<String, V> topic, Function<V, String> turnId, Map<String, Seen> seen) {
            Map<String, Object> config = new HashMap<>();
            config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(
                    config, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            thread = Thread.ofPlatform()
                    .name("bench-anatomy-" + topic.name())
                    .daemon(true)
                    .start(() -> {
                        try {
                            while (running) {
                                for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(100))) {
                                    if (record.value() != null) {
                                        seen.put(
                                                turnId.apply(record.value()),
                                                new Seen(System.nanoTime(), record.timestamp()));
                                    }
                                }
                            }
                        } catch (WakeupException e) {
                            if (running) {
                                throw e;
                            }
                        } finally {
                            consumer.close(Duration.ofSeconds(5));
                        }
                    });
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
    }
}
