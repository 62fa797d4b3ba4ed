package dev.skein.bench;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.TurnStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Every session's history as the session topology committed it: the {@code session-messages}
 * changelog read from the beginning to its end with read_committed (so what a restored store
 * holds, whichever process owns the partition), keyed {@code address 0x00 sequence}. Then each
 * soak session is checked against the turns sent to it: sequences 0..n-1 without a gap, and each
 * turn's messages present once.
 */
final class SoakHistory {

    /** A broken invariant in one session, with the evidence. */
    record Defect(String kind, String sessionId, String turnId, String detail) {}

    /** What the check found. {@code sessions} maps a session to its messages, by sequence. */
    record Findings(
            int sessionsChecked,
            long messages,
            long changelogRecords,
            long gaps,
            long duplicates,
            long missing,
            long strangers,
            List<Defect> defects) {}

    private final Map<String, TreeMap<Long, ChatMessage>> histories = new HashMap<>();
    /** Sequences written twice with different messages, in changelog order. */
    private final List<Defect> rewrites = new ArrayList<>();

    private long records;

    /** Reads the whole changelog up to {@code ends}, at most {@code timeout}. */
    static SoakHistory read(
            String bootstrapServers,
            String changelog,
            Map<TopicPartition, Long> ends,
            Deserializer<ChatMessage> values,
            Duration timeout) {
        SoakHistory history = new SoakHistory();
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = List.copyOf(ends.keySet());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the changelog " + changelog + " was not read to its end within "
                            + timeout + "; read up to "
                            + partitions.stream()
                                    .map(p -> p + "@" + consumer.position(p) + "/" + ends.get(p))
                                    .toList());
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    history.add(record, values == null ? null : values.deserialize(changelog, record.value()));
                }
            }
        }
        return history;
    }

    private void add(ConsumerRecord<byte[], byte[]> record, ChatMessage message) {
        records++;
        byte[] key = record.key();
        String address = new String(key, 0, key.length - Long.BYTES - 1, StandardCharsets.UTF_8);
        long sequence =
                ByteBuffer.wrap(key, key.length - Long.BYTES, Long.BYTES).getLong();
        TreeMap<Long, ChatMessage> messages = histories.computeIfAbsent(address, a -> new TreeMap<>());
        if (record.value() == null) {
            messages.remove(sequence);
            return;
        }
        ChatMessage before = messages.put(sequence, message);
        if (before != null && !sameMessage(before, message)) {
            rewrites.add(new Defect(
                    "sequence written twice",
                    sessionOf(address),
                    message.getTurnId(),
                    "sequence " + sequence + " at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                            + " was " + describe(before) + ", now " + describe(message)));
        }
    }

    private static boolean sameMessage(ChatMessage a, ChatMessage b) {
        return a.getRole() == b.getRole()
                && Objects.equals(a.getTurnId(), b.getTurnId())
                && Objects.equals(a.getContent(), b.getContent())
                && Objects.equals(a.getToolCallId(), b.getToolCallId());
    }

    private static String sessionOf(String address) {
        return address.substring(address.indexOf('/') + 1);
    }

    /** The messages of {@code sessionId}, by sequence (empty when it has none). */
    TreeMap<Long, ChatMessage> of(String sessionId) {
        return histories.getOrDefault(TurnDriver.TENANT + "/" + sessionId, new TreeMap<>());
    }

    /**
     * Checks each session against the turns sent to it ({@code sent}: session to its turns, with
     * their final status, null when none came).
     */
    Findings check(Map<String, Map<String, TurnStatus>> sent) {
        List<Defect> defects = new ArrayList<>(rewrites);
        long gaps = 0;
        long duplicates = rewrites.size();
        long missing = 0;
        long strangers = 0;
        long messages = 0;
        for (Map.Entry<String, Map<String, TurnStatus>> session : sent.entrySet()) {
            String sessionId = session.getKey();
            TreeMap<Long, ChatMessage> history = of(sessionId);
            messages += history.size();
            long expected = 0;
            for (long sequence : history.keySet()) {
                if (sequence != expected) {
                    gaps++;
                    defects.add(new Defect(
                            "gap",
                            sessionId,
                            null,
                            "sequence " + expected + (sequence - 1 > expected ? " to " + (sequence - 1) : "")
                                    + " missing; next is " + sequence));
                }
                expected = sequence + 1;
            }
            for (Map.Entry<Long, ChatMessage> stored : history.entrySet()) {
                if (stored.getValue().getSequence() != stored.getKey()) {
                    duplicates++;
                    defects.add(new Defect(
                            "stored under another sequence",
                            sessionId,
                            stored.getValue().getTurnId(),
                            "key " + stored.getKey() + ": " + describe(stored.getValue())));
                }
            }
            Map<String, List<ChatMessage>> byTurn = new LinkedHashMap<>();
            history.values()
                    .forEach(m -> byTurn.computeIfAbsent(m.getTurnId(), t -> new ArrayList<>())
                            .add(m));
            for (Map.Entry<String, List<ChatMessage>> turn : byTurn.entrySet()) {
                if (!session.getValue().containsKey(turn.getKey())) {
                    strangers++;
                    defects.add(new Defect(
                            "message of a turn not sent to this session",
                            sessionId,
                            turn.getKey(),
                            describe(turn.getValue().get(0))));
                    continue;
                }
                long users = turn.getValue().stream()
                        .filter(m -> m.getRole() == Role.USER)
                        .count();
                long answers =
                        turn.getValue().stream().filter(SoakHistory::isAnswer).count();
                Map<String, Long> toolResults = new HashMap<>();
                turn.getValue().stream()
                        .filter(m -> m.getRole() == Role.TOOL)
                        .forEach(m -> toolResults.merge(String.valueOf(m.getToolCallId()), 1L, Long::sum));
                long repeatedResults =
                        toolResults.values().stream().mapToLong(n -> n - 1).sum();
                if (users > 1 || answers > 1 || repeatedResults > 0) {
                    duplicates += Math.max(0, users - 1) + Math.max(0, answers - 1) + repeatedResults;
                    defects.add(new Defect(
                            "duplicate messages",
                            sessionId,
                            turn.getKey(),
                            users + " user messages, " + answers + " answers, " + repeatedResults
                                    + " repeated tool results: "
                                    + turn.getValue().stream()
                                            .map(SoakHistory::describe)
                                            .toList()));
                }
            }
            for (Map.Entry<String, TurnStatus> turn : session.getValue().entrySet()) {
                if (turn.getValue() != TurnStatus.COMPLETED) {
                    continue;
                }
                List<ChatMessage> stored = byTurn.getOrDefault(turn.getKey(), List.of());
                boolean hasUser = stored.stream().anyMatch(m -> m.getRole() == Role.USER);
                boolean hasAnswer = stored.stream().anyMatch(SoakHistory::isAnswer);
                if (!hasUser || !hasAnswer) {
                    missing++;
                    defects.add(new Defect(
                            "completed turn missing from the history",
                            sessionId,
                            turn.getKey(),
                            (hasUser ? "" : "no user message; ") + (hasAnswer ? "" : "no answer; ") + "stored: "
                                    + stored.stream().map(SoakHistory::describe).toList()));
                }
            }
        }
        return new Findings(sent.size(), messages, records, gaps, duplicates, missing, strangers, defects);
    }

    /** The assistant's final message of a turn: no tool calls. */
    private static boolean isAnswer(ChatMessage m) {
        return m.getRole() == Role.ASSISTANT && m.getToolCalls().isEmpty();
    }

    static String describe(ChatMessage m) {
        String content = m.getContent() == null ? "" : m.getContent();
        if (content.length() > 80) {
            content = content.substring(0, 80) + "...";
        }
        return "#" + m.getSequence() + " " + m.getRole() + " turn " + m.getTurnId()
                + (m.getToolCallId() == null ? "" : " call " + m.getToolCallId())
                + (m.getToolCalls().isEmpty()
                        ? ""
                        : " calls " + m.getToolCalls().size())
                + " '" + content + "'";
    }

    /** A session's history in words, for the report of a defect. */
    List<String> dump(String sessionId) {
        return of(sessionId).values().stream().map(SoakHistory::describe).toList();
    }
}
