package dev.skein.ingress;

import dev.skein.events.DoubleTexting;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SkeinTopics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Each tenant's load across every instance, from the topics themselves: every turn written to
 * {@code skein.turns} (by any instance, or any producer) and every completion on
 * {@code skein.responses}. A turn is in flight from its record until its completion; since every
 * turn gets exactly one completion, the count of a tenant's turns in flight is exact once both
 * are read, a few milliseconds behind. At start both topics are read from {@link #lookback} ago
 * (longer than any turn may take, {@code skein.session.turn-timeout}), so a restarted instance
 * knows the turns still running.
 *
 * <p>The turns and completions of the session partitions that {@code ownsPartition} accepts are
 * also counted as per-tenant metrics ({@code skein_tenant_turns_total{tenant,status}},
 * {@code skein_tenant_tool_calls_total{tenant}}), so that every completion is counted by exactly
 * one instance and the sum over instances is the cluster's. A record that cannot be read is
 * skipped here: the session topology dead-letters bad turns and the ingress's session events
 * bad completions, so it is not dead-lettered twice.
 */
public final class KafkaTenantLoad implements TenantLoad, AutoCloseable {

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    private static final TopicTail.Names NAMES = new TopicTail.Names(
            "skein-ingress-tenant-load", "tenant load", "tenant load reader", "quotas count no new turns");

    private final SkeinTopics topics;
    private final IntPredicate ownsPartition;
    private final MeterRegistry metrics;
    private final TenantCounts counts;
    private final TopicTail tail;

    /**
     * @param lookback how far back the topics are read at start: longer than a turn may take
     * @param ownsPartition whether this instance counts a session partition's metrics (it holds it)
     * @param metrics where per-tenant counters go; null for none
     */
    public KafkaTenantLoad(
            Map<String, Object> kafkaClientProps,
            SkeinTopics topics,
            Duration lookback,
            IntPredicate ownsPartition,
            MeterRegistry metrics) {
        this.topics = topics;
        this.counts = new TenantCounts(lookback);
        this.ownsPartition = ownsPartition;
        this.metrics = metrics;
        // Last statement: the reader thread starts here and sees a fully built object.
        this.tail = new TopicTail(
                TopicTail.consumer(TopicTail.consumerConfig(kafkaClientProps, NAMES.thread())),
                List.of(topics.turns.name(), topics.responses.name()),
                TopicTail.From.RECENT,
                lookback,
                POLL_TIMEOUT,
                NAMES,
                this::onRecord,
                TopicTail.Rejects.LOG_ONLY,
                () -> {});
    }

    private void onRecord(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return;
        }
        if (record.topic().equals(topics.turns.name())) {
            TurnRequested turn = topics.turns.valueSerde().deserializer().deserialize(record.topic(), record.value());
            admitted(turn.getTenant(), turn.getSessionId(), turn.getTurnId(), record.timestamp());
            if (turn.getStickyDoubleTexting() && turn.getDoubleTexting() != null) {
                // The session adopts it unless it refuses the turn; a rare refusal is corrected by the
                // session itself, which stays the authority (SessionAdmission).
                counts.adopted(turn.getTenant(), turn.getSessionId(), turn.getDoubleTexting());
            }
        } else {
            TurnCompleted done =
                    topics.responses.valueSerde().deserializer().deserialize(record.topic(), record.value());
            counts.completed(done.getTurnId());
            if (metrics != null && ownsPartition.test(record.partition())) {
                Counter.builder("skein.tenant.turns")
                        .description("Turns completed, by tenant and status (counted by the instance that holds the"
                                + " session: sum over instances)")
                        .tag("tenant", done.getTenant())
                        .tag("status", done.getStatus().name())
                        .register(metrics)
                        .increment();
                Counter.builder("skein.tenant.tool.calls")
                        .description("Tool calls of completed turns, by tenant")
                        .tag("tenant", done.getTenant())
                        .register(metrics)
                        .increment(done.getToolCalls());
            }
        }
    }

    @Override
    public void admitted(String tenant, String sessionId, String turnId, long atMs) {
        counts.admitted(tenant, sessionId, turnId, atMs);
    }

    @Override
    public void withdrawn(String turnId) {
        counts.withdrawn(turnId);
    }

    @Override
    public int turnsInLastMinute(String tenant) {
        return counts.turnsInLastMinute(tenant);
    }

    @Override
    public long oldestTurnInLastMinuteMs(String tenant) {
        return counts.oldestTurnInLastMinuteMs(tenant);
    }

    @Override
    public int activeTurns(String tenant) {
        return counts.activeTurns(tenant);
    }

    @Override
    public int queuedTurns(String tenant) {
        return counts.queuedTurns(tenant);
    }

    @Override
    public int inFlight(String tenant, String sessionId) {
        return counts.inFlight(tenant, sessionId);
    }

    @Override
    public String oldestInFlight(String tenant, String sessionId) {
        return counts.oldestInFlight(tenant, sessionId);
    }

    @Override
    public DoubleTexting policy(String tenant, String sessionId) {
        return counts.policy(tenant, sessionId);
    }

    /** Why the counts are not current, or null while the reader runs (for health). */
    public String problem() {
        return tail.problem();
    }

    @Override
    public void close() {
        tail.close();
    }
}
