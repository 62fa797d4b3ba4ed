package dev.skein.topologies.session;

import dev.skein.events.ToolRequest;
import dev.skein.schemas.kafka.Dispatch;
import java.time.Duration;
import java.util.Map;

/**
 * When the session topology asks Kafka Streams to end its transaction ({@code
 * skein.streams.requested-commits}, docs/dispatch.md, "Requested commits"). Off, the transaction
 * ends every {@code skein.streams.commit-interval}. On, Kafka Streams' own interval is only a long
 * fallback, and the topology requests a commit when a pass emitted something that a
 * {@code read_committed} reader waits for, but not when all it emitted is read uncommitted
 * (speculative dispatch): the answer to a speculative request can then be handled in the same
 * transaction as the request, and one commit publishes both.
 *
 * @param enabled whether the topology requests commits at all
 * @param minSpacing at most one requested commit per stream thread per this long; what must wait
 *     is requested by a wall-clock punctuator as soon as the spacing allows
 * @param speculativeGrace how long speculative output may wait for its answer in the open
 *     transaction before a commit is requested for it anyway
 * @param agents the agent runners' dispatch: {@link Dispatch#SPECULATIVE} makes invocations
 *     speculative output
 * @param tiers each tier's dispatch; a tier not named is {@link Dispatch#COMMITTED}
 */
public record CommitRequests(
        boolean enabled, Duration minSpacing, Duration speculativeGrace, Dispatch agents, Map<String, Dispatch> tiers) {

    /** Kafka Streams' interval alone decides (the behaviour before requested commits existed). */
    public static final CommitRequests OFF =
            new CommitRequests(false, Duration.ZERO, Duration.ZERO, Dispatch.COMMITTED, Map.of());

    public CommitRequests {
        if (minSpacing == null || minSpacing.isNegative()) {
            throw new IllegalArgumentException("requested commits: minSpacing must be zero or more");
        }
        if (speculativeGrace == null || speculativeGrace.isNegative()) {
            throw new IllegalArgumentException("requested commits: speculativeGrace must be zero or more");
        }
        if (agents == null || agents == Dispatch.BY_TOOL) {
            throw new IllegalArgumentException("requested commits: agents dispatch must be committed or speculative");
        }
        tiers = Map.copyOf(tiers);
    }

    /** Whether an agent invocation is read uncommitted, so no reader waits for its commit. */
    boolean speculativeInvocation() {
        return agents == Dispatch.SPECULATIVE;
    }

    /** Whether this tool request is read uncommitted: its tier's dispatch and, on a by-tool tier, its side effects. */
    boolean speculative(ToolRequest request) {
        return switch (tiers.getOrDefault(request.getTier(), Dispatch.COMMITTED)) {
            case SPECULATIVE -> true;
            case BY_TOOL -> !request.getSideEffects();
            case COMMITTED -> false;
        };
    }

    /**
     * How often the punctuator looks for output that waits: twice per the shorter of the grace and
     * the spacing, so that what waits is committed within about 1.5 times either.
     */
    Duration checkInterval() {
        long ms = Math.min(minSpacing.toMillis(), speculativeGrace.toMillis()) / 2;
        return Duration.ofMillis(Math.max(1, ms));
    }
}
