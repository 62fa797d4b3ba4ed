package dev.skein.topologies.session;

import dev.skein.schemas.SessionAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Names and key layouts of the session topology's persistent stores. The names are persisted
 * (they name the changelog topics): never rename one.
 *
 * <ul>
 *   <li>{@link #MESSAGES}: {@code address 0x00 sequence(8 bytes, big-endian)} to ChatMessage.
 *       Appending a message is one put, so changelog bytes per message do not grow with the
 *       history, and a session's history is one prefix range scan in sequence order.
 *   <li>{@link #META}: session address to SessionMeta.
 *   <li>{@link #DEADLINES}: {@code deadline(8 bytes, big-endian) address} to turn id: an index
 *       that lets the punctuator visit only the turns that are due, oldest first, instead of
 *       scanning every session.
 *   <li>{@link #SUMMARIES}: session address to SessionSummary, the session's latest rolling
 *       summary (docs/context.md); one put per summary, deleted with the history.
 *   <li>{@link #TRACES}: {@code address 0x00 turnId} to TurnTrace, the decision trace of a turn
 *       ({@link TraceRecorder}); a session's traces are one prefix range, at most
 *       {@code skein.trace.keep-turns} of them.
 *   <li>{@link #ACTIVITY}: {@code tenant 0x00 bucket(8 bytes, big-endian) sessionId} to the session
 *       address: when each session was last touched, rounded down to the retention check interval
 *       ({@link SessionRetention}). Tenant first, so the expiry punctuator reads, per tenant, only the
 *       sessions idle for longer than that tenant's time to live ({@link SessionExpiry}). The key
 *       {@link #ACTIVITY_INDEXED} marks that the sessions older than the index were added to it.
 * </ul>
 */
public final class SessionStores {

    public static final String MESSAGES = "session-messages";
    public static final String META = "session-meta";
    public static final String DEADLINES = "session-deadlines";
    public static final String SUMMARIES = "session-summaries";
    public static final String TRACES = "turn-traces";
    public static final String ACTIVITY = "session-activity";

    /** The {@link #ACTIVITY} key that records that every session was indexed (an empty tenant, which no address has). */
    static final Bytes ACTIVITY_INDEXED = Bytes.wrap(new byte[] {0});

    /** Kafka Streams' name for the changelog topic of {@code store} in application {@code applicationId}. */
    public static String changelogTopic(String applicationId, String store) {
        return applicationId + "-" + store + "-changelog";
    }

    public static final String TOOL_CATALOG = "tool-catalog";
    public static final String WORKERS = "workers";

    /** Separates the address from the sequence; sorts before every character an address may hold. */
    private static final byte SEPARATOR = 0;

    private SessionStores() {}

    /** The key of message {@code sequence} of the session at {@code address}. */
    public static Bytes messageKey(String address, long sequence) {
        byte[] prefix = messageKeyPrefix(address);
        return Bytes.wrap(ByteBuffer.allocate(prefix.length + Long.BYTES)
                .put(prefix)
                .putLong(sequence)
                .array());
    }

    /** What every {@link #messageKey} of the session at {@code address} starts with, and nothing else's. */
    public static byte[] messageKeyPrefix(String address) {
        byte[] utf8 = address.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(utf8.length + 1).put(utf8).put(SEPARATOR).array();
    }

    /** The key of the decision trace of turn {@code turnId} of the session at {@code address}. */
    public static Bytes traceKey(String address, String turnId) {
        byte[] prefix = messageKeyPrefix(address);
        byte[] turn = turnId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(prefix.length + turn.length)
                .put(prefix)
                .put(turn)
                .array());
    }

    /** The sequence number encoded in a {@link #messageKey}. */
    public static long sequenceOf(Bytes messageKey) {
        byte[] key = messageKey.get();
        return ByteBuffer.wrap(key, key.length - Long.BYTES, Long.BYTES).getLong();
    }

    /** The key of a turn deadline in the {@link #DEADLINES} index. */
    public static Bytes deadlineKey(long deadlineMs, String address) {
        byte[] suffix = address.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + suffix.length)
                .putLong(deadlineMs)
                .put(suffix)
                .array());
    }

    /** The smallest deadline key at or after {@code deadlineMs} (for range bounds). */
    public static Bytes deadlineBound(long deadlineMs) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(deadlineMs).array());
    }

    /** The deadline encoded in a {@link #deadlineKey}. */
    static long deadlineOf(Bytes deadlineKey) {
        return ByteBuffer.wrap(deadlineKey.get(), 0, Long.BYTES).getLong();
    }

    static String addressOfDeadline(Bytes deadlineKey) {
        byte[] key = deadlineKey.get();
        return new String(key, Long.BYTES, key.length - Long.BYTES, StandardCharsets.UTF_8);
    }

    /** The key of the session at {@code address} in the {@link #ACTIVITY} index, in {@code bucket}. */
    public static Bytes activityKey(SessionAddress address, long bucket) {
        byte[] session = address.sessionId().getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(activityPrefixLength(address.tenant()) + session.length)
                .put(activityBound(address.tenant(), bucket).get())
                .put(session)
                .array());
    }

    /** The smallest {@link #ACTIVITY} key of {@code tenant} in {@code bucket} or later. */
    static Bytes activityBound(String tenant, long bucket) {
        byte[] utf8 = tenant.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(activityPrefixLength(tenant))
                .put(utf8)
                .put(SEPARATOR)
                .putLong(bucket)
                .array());
    }

    /**
     * The smallest {@link #ACTIVITY} key after every key of {@code tenant}: tenant characters all sort
     * after 0x01, so no other tenant's keys fall between.
     */
    static Bytes activityAfter(String tenant) {
        byte[] utf8 = tenant.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(
                ByteBuffer.allocate(utf8.length + 1).put(utf8).put((byte) 1).array());
    }

    /** The tenant of an {@link #ACTIVITY} key; empty for {@link #ACTIVITY_INDEXED}. */
    public static String tenantOfActivity(Bytes activityKey) {
        byte[] key = activityKey.get();
        int end = 0;
        while (end < key.length && key[end] != SEPARATOR) {
            end++;
        }
        return new String(key, 0, end, StandardCharsets.UTF_8);
    }

    /** The bucket of an {@link #ACTIVITY} key of {@code tenant}. */
    public static long bucketOfActivity(Bytes activityKey, String tenant) {
        int offset = tenant.getBytes(StandardCharsets.UTF_8).length + 1;
        return ByteBuffer.wrap(activityKey.get(), offset, Long.BYTES).getLong();
    }

    /** The session id of an {@link #ACTIVITY} key of {@code tenant}; empty for a key too short to hold one. */
    public static String sessionOfActivity(Bytes activityKey, String tenant) {
        byte[] key = activityKey.get();
        int offset = activityPrefixLength(tenant);
        return key.length <= offset ? "" : new String(key, offset, key.length - offset, StandardCharsets.UTF_8);
    }

    private static int activityPrefixLength(String tenant) {
        return tenant.getBytes(StandardCharsets.UTF_8).length + 1 + Long.BYTES;
    }
}
