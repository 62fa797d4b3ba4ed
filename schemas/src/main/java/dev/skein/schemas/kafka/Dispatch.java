package dev.skein.schemas.kafka;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.kafka.common.IsolationLevel;

/**
 * When agent runners and tool workers may start on a request of the session topology, set per
 * share group ({@code skein.agents.dispatch}, a tier's {@code dispatch}). What each guarantees is
 * in docs/dispatch.md; the topology keeps, in every mode, only answers to requests its committed
 * state made.
 */
public enum Dispatch {
    /** Requests are read once the topology's transaction committed them ({@code read_committed}). */
    COMMITTED,
    /**
     * Requests are read as soon as they are written ({@code read_uncommitted}): a request of a pass
     * the topology then aborts may run too.
     */
    SPECULATIVE,
    /**
     * For a tier: calls of tools declared free of side effects are read speculatively, by a second
     * share group ({@link #speculativeGroup}), and the others committed, by the tier's group.
     */
    BY_TOOL;

    /**
     * How long a speculative consumer's poll waits. Read uncommitted from the topology's
     * transactional producer, a share fetch can come back with nothing but the previous
     * transaction's commit marker, and the poll then waits out its timeout before it fetches again
     * (measured on Kafka 4.4.0: every second record about 0.8 s late with a one-second poll, none
     * late with 20 ms; docs/benchmarks.md, speculative dispatch).
     */
    public static final java.time.Duration SPECULATIVE_POLL_TIMEOUT = java.time.Duration.ofMillis(20);

    /** The name as configuration writes it: {@code committed}, {@code speculative}, {@code by-tool}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * @throws IllegalArgumentException naming the values, when {@code value} is none of them
     */
    public static Dispatch parse(String value) {
        for (Dispatch dispatch : values()) {
            if (dispatch.configName().equals(value)) {
                return dispatch;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a dispatch mode; use one of "
                + Arrays.stream(values()).map(Dispatch::configName).collect(Collectors.joining(", ")));
    }

    /** The isolation of the share group that reads all of a tier's or the agents' requests in this mode. */
    public IsolationLevel isolation() {
        return this == SPECULATIVE ? IsolationLevel.READ_UNCOMMITTED : IsolationLevel.READ_COMMITTED;
    }

    /** The second group of a {@link #BY_TOOL} tier: the calls free of side effects, read uncommitted. */
    public static String speculativeGroup(String group) {
        return group + "-speculative";
    }
}
