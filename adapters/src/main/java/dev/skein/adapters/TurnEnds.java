package dev.skein.adapters;

import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SkeinTopics;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The turns that have ended, as {@code skein.responses} shows them, so that the agent runner stops
 * working for a turn that no longer wants its answer (interrupted or rolled back by a newer turn,
 * cancelled, timed out): an invocation of an ended turn is not run, and a call in flight is told
 * to stop (its thread is interrupted). Every runner reads the whole topic from its end, with a
 * consumer of its own and no group: the runner that holds a call is whichever the share group
 * picked.
 *
 * <p>A hint, not a guarantee: the session topology drops the late step of an ended turn anyway.
 * When the topic cannot be read (no Read ACL on it, say) the runner lets every call run to its
 * end, as it would without this, and says so once.
 */
final class TurnEnds implements AutoCloseable {

    /** Ended turns remembered, for invocations that arrive after their turn's completion. */
    static final int REMEMBERED = 10_000;

    private static final Logger log = LoggerFactory.getLogger(TurnEnds.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration TOPIC_RETRY = Duration.ofSeconds(2);

    private final SkeinTopics topics;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, Set<Future<?>>> running = new ConcurrentHashMap<>();
    private final Set<String> ended = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    });
    private volatile boolean closed;
    private Thread reader;

    TurnEnds(Map<String, Object> kafkaConfig, SkeinTopics topics) {
        this.topics = topics;
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "skein-agent-turn-ends");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Starts reading from the topic's end: only turns that end from now on matter. */
    synchronized void start() {
        reader = Thread.ofPlatform().name("skein-agent-turn-ends").daemon().start(this::read);
    }

    /** Whether the turn's completion has been seen. */
    boolean hasEnded(String address, String turnId) {
        synchronized (ended) {
            return ended.contains(key(address, turnId));
        }
    }

    /** A call made for the turn; {@link #finished} when it returns. Cancelled at once if the turn has ended. */
    void running(String address, String turnId, Future<?> call) {
        String key = key(address, turnId);
        running.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(call);
        if (hasEnded(address, turnId)) {
            call.cancel(true);
        }
    }

    void finished(String address, String turnId, Future<?> call) {
        running.computeIfPresent(key(address, turnId), (k, calls) -> {
            calls.remove(call);
            return calls.isEmpty() ? null : calls;
        });
    }

    /** The turn is over: its calls in flight are interrupted, and its later invocations skipped. */
    void ended(String address, String turnId) {
        String key = key(address, turnId);
        synchronized (ended) {
            ended.add(key);
        }
        Set<Future<?>> calls = running.remove(key);
        if (calls != null) {
            log.info("[{} turn {}] the turn has ended: its agent call is told to stop", address, turnId);
            calls.forEach(call -> call.cancel(true));
        }
    }

    private void read() {
        String topic = topics.responses.name();
        try (consumer) {
            List<TopicPartition> partitions = partitions(topic);
            if (partitions.isEmpty()) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            while (!closed) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    onRecord(record);
                }
            }
        } catch (WakeupException e) {
            // close(): the only way out of a poll.
        } catch (KafkaException e) {
            log.warn(
                    "Agent runner cannot read {} ({}): agent calls of turns that end early (interrupted,"
                            + " cancelled, timed out) run to their end; grant Read on {} to stop them",
                    topic,
                    e.getMessage(),
                    topic);
        }
    }

    private List<TopicPartition> partitions(String topic) {
        while (!closed) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(topic, TOPIC_RETRY);
            } catch (TimeoutException e) {
                // The brokers are not reachable yet: the runner's other clients wait for them too.
                continue;
            }
            if (infos != null && !infos.isEmpty()) {
                return infos.stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition()))
                        .toList();
            }
            // Created by the core at its start, which may come after this runner's.
            log.debug("topic {} does not exist yet; looking again in {}", topic, TOPIC_RETRY);
            try {
                Thread.sleep(TOPIC_RETRY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
        }
        return List.of();
    }

    private void onRecord(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        try {
            TurnCompleted done =
                    topics.responses.valueSerde().deserializer().deserialize(record.topic(), record.value());
            ended(record.key(), done.getTurnId());
        } catch (SerializationException e) {
            // Not ours to dead-letter: the ingress's session events reader does, once.
            log.debug("unreadable completion at {}-{}@{}", record.topic(), record.partition(), record.offset());
        }
    }

    private static String key(String address, String turnId) {
        return address + " " + turnId;
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        Thread thread;
        synchronized (this) {
            thread = reader;
        }
        if (thread == null) {
            consumer.close();
            return;
        }
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
