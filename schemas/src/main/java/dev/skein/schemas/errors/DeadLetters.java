package dev.skein.schemas.errors;

import dev.skein.events.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The one way a {@link DeadLetter} is built, whoever rejects the record: where it came from
 * (topic, partition, offset), its raw key and value when they are known, what rejected it and why.
 *
 * <pre>{@code
 * DeadLetter letter = DeadLetters.from(record.topic(), record.partition(), record.offset())
 *         .key(record.key())
 *         .value(record.value())
 *         .rejectedBy("worker:" + workerId, "tool request has no call id");
 * }</pre>
 */
public final class DeadLetters {

    /** The partition and offset of a record whose origin is not known (for example, one built in memory). */
    public static final int UNKNOWN_PARTITION = -1;

    public static final long UNKNOWN_OFFSET = -1L;

    private final String topic;
    private final int partition;
    private final long offset;
    private ByteBuffer key;
    private ByteBuffer value;
    private long timestampMs = -1;

    private DeadLetters(String topic, int partition, long offset) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.partition = partition;
        this.offset = offset;
    }

    /** A dead letter for the record at {@code topic}-{@code partition}@{@code offset}. */
    public static DeadLetters from(String topic, int partition, long offset) {
        return new DeadLetters(topic, partition, offset);
    }

    /** The record's raw key; null when it had none. */
    public DeadLetters key(byte[] rawKey) {
        this.key = rawKey == null ? null : ByteBuffer.wrap(rawKey);
        return this;
    }

    /** The record's key as a string (UTF-8); null when it had none. */
    public DeadLetters key(String rawKey) {
        return key(rawKey == null ? null : rawKey.getBytes(StandardCharsets.UTF_8));
    }

    /** The record's raw value; null when it had none or it is not known. */
    public DeadLetters value(byte[] rawValue) {
        this.value = rawValue == null ? null : ByteBuffer.wrap(rawValue);
        return this;
    }

    /** When it was rejected; the current time unless set (a Streams processor passes its own clock). */
    public DeadLetters at(long epochMs) {
        this.timestampMs = epochMs;
        return this;
    }

    /** The dead letter: {@code component} says what rejected the record, {@code cause} why. */
    public DeadLetter rejectedBy(String component, String cause) {
        return DeadLetter.newBuilder()
                .setTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key)
                .setValue(value)
                .setComponent(Objects.requireNonNull(component, "component"))
                .setCause(Objects.requireNonNull(cause, "cause"))
                .setTimestampMs(timestampMs >= 0 ? timestampMs : System.currentTimeMillis())
                .build();
    }
}
