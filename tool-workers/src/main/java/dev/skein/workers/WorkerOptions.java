package dev.skein.workers;

import dev.skein.schemas.kafka.Dispatch;
import dev.skein.workers.node.NodeCapabilities;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * How a {@link ToolWorker} runs. Built with {@link #builder()}: the values that Skein's
 * configuration holds ({@code skein.worker.*} in {@code reference.conf}) have no default here and
 * must be given; the internal tunables have one.
 *
 * @param workerId this worker's id in heartbeats, results and the catalog
 * @param tiers the tiers whose requests it takes, one share group each
 * @param capabilities what this node offers to calls (detected, with overrides)
 * @param heartbeatInterval how often it reports itself to {@code workers}
 * @param maxInFlight how many requests of one tier it holds at once (the records of one poll)
 * @param sessionTimeout the tier share groups' {@code share.session.timeout.ms}: how long the
 *     partitions of a worker that died without leaving stay assigned to it, so that nobody fetches
 *     their requests; empty keeps the broker's {@code group.share.session.timeout.ms}
 * @param pollTimeout how long a poll waits for records
 * @param deliveryLimit the share groups' {@code share.delivery.count.limit}: at this delivery a
 *     request that no worker could take is answered with an error instead of released again
 * @param drainTimeout how long {@link ToolWorker#close()} lets running calls finish before
 *     interrupting them
 * @param dispatch each tier's dispatch mode (docs/dispatch.md): which share groups this worker
 *     joins on the tier's topic and which calls each takes
 * @param consumers share consumers per share group of a tier ({@code skein.worker.consumers}),
 *     which split {@code maxInFlight} between them: a long call holds back only its own
 *     consumer's next poll, the others go on taking requests
 */
public record WorkerOptions(
        String workerId,
        List<String> tiers,
        NodeCapabilities capabilities,
        Duration heartbeatInterval,
        int maxInFlight,
        Optional<Duration> sessionTimeout,
        Duration pollTimeout,
        int deliveryLimit,
        Duration drainTimeout,
        Map<String, Dispatch> dispatch,
        int consumers) {

    /** The broker's default {@code share.delivery.count.limit}. */
    public static final int DEFAULT_DELIVERY_LIMIT = 5;

    public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** The default of {@code skein.worker.consumers}. */
    public static final int DEFAULT_CONSUMERS = 1;

    public WorkerOptions {
        if (workerId == null || workerId.isBlank()) {
            throw new IllegalArgumentException("workerId must not be blank");
        }
        if (tiers == null || tiers.isEmpty()) {
            throw new IllegalArgumentException("a worker needs at least one tier");
        }
        for (String tier : tiers) {
            if (tier == null || !tier.matches("[a-z0-9-]{1,64}")) {
                throw new IllegalArgumentException("tier '" + tier + "' must be 1 to 64 of a-z 0-9 -");
            }
        }
        tiers = List.copyOf(new LinkedHashSet<>(tiers));
        Objects.requireNonNull(capabilities, "capabilities");
        if (heartbeatInterval == null || heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException("heartbeatInterval must be positive, got " + heartbeatInterval);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        if (deliveryLimit < 2) {
            throw new IllegalArgumentException(
                    "deliveryLimit must be at least 2 (the broker's minimum), got " + deliveryLimit);
        }
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must be zero or positive, got " + drainTimeout);
        }
        Objects.requireNonNull(dispatch, "dispatch");
        for (String tier : tiers) {
            if (!dispatch.containsKey(tier)) {
                throw new IllegalArgumentException("tier " + tier + " has no dispatch mode");
            }
        }
        dispatch = Map.copyOf(dispatch);
        if (consumers < 1 || consumers > 64) {
            throw new IllegalArgumentException("consumers must be 1 to 64, got " + consumers);
        }
    }

    /** The dispatch mode of {@code tier}, one this worker serves. */
    public Dispatch dispatch(String tier) {
        Dispatch mode = dispatch.get(tier);
        if (mode == null) {
            throw new IllegalArgumentException("worker " + workerId + " does not serve tier " + tier);
        }
        return mode;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The id of a worker whose configuration names none: {@code <host>-<pid>}. */
    public static String localWorkerId() {
        return LocalHost.name() + "-" + ProcessHandle.current().pid();
    }

    /**
     * Collects the options; {@link #build()} fails naming the first required one that is missing:
     * worker id, tiers, capabilities, heartbeat interval, max in flight, session timeout and dispatch.
     */
    public static final class Builder {
        private String workerId;
        private List<String> tiers;
        private NodeCapabilities capabilities;
        private Duration heartbeatInterval;
        private Integer maxInFlight;
        private Optional<Duration> sessionTimeout;
        private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
        private int deliveryLimit = DEFAULT_DELIVERY_LIMIT;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private Function<String, Dispatch> dispatch;
        private int consumers = DEFAULT_CONSUMERS;

        private Builder() {}

        /** Required ({@code skein.worker.id}; see {@link #localWorkerId()} for an empty one). */
        public Builder workerId(String id) {
            this.workerId = id;
            return this;
        }

        /** Required ({@code skein.worker.tiers}, or the tiers the node can serve). */
        public Builder tiers(List<String> names) {
            this.tiers = names;
            return this;
        }

        /** Serves only {@code tier}. */
        public Builder tier(String tier) {
            return tiers(List.of(tier));
        }

        /** Required ({@code skein.worker.cpus}, {@code gpus}, {@code memory}, {@code resources}). */
        public Builder capabilities(NodeCapabilities offered) {
            this.capabilities = offered;
            return this;
        }

        /** Required ({@code skein.worker.heartbeat-interval}). */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = interval;
            return this;
        }

        /** Required ({@code skein.worker.max-in-flight}). */
        public Builder maxInFlight(int max) {
            this.maxInFlight = max;
            return this;
        }

        /** Required ({@code skein.worker.session-timeout}); empty keeps the broker's. */
        public Builder sessionTimeout(Optional<Duration> timeout) {
            this.sessionTimeout = timeout;
            return this;
        }

        public Builder sessionTimeout(Duration timeout) {
            return sessionTimeout(Optional.of(timeout));
        }

        /** Required: each tier's {@code dispatch}, else {@code skein.worker.dispatch}. */
        public Builder dispatch(Function<String, Dispatch> modeOfTier) {
            this.dispatch = modeOfTier;
            return this;
        }

        /** Every tier in {@code mode}. */
        public Builder dispatch(Dispatch mode) {
            return dispatch(tier -> mode);
        }

        /** Default {@link #DEFAULT_POLL_TIMEOUT}. */
        public Builder pollTimeout(Duration timeout) {
            this.pollTimeout = timeout;
            return this;
        }

        /** Default {@link #DEFAULT_DELIVERY_LIMIT}; must match the share groups' limit. */
        public Builder deliveryLimit(int limit) {
            this.deliveryLimit = limit;
            return this;
        }

        /** Default {@link #DEFAULT_DRAIN_TIMEOUT}. */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = timeout;
            return this;
        }

        /** Default {@link #DEFAULT_CONSUMERS} ({@code skein.worker.consumers}). */
        public Builder consumers(int perGroup) {
            this.consumers = perGroup;
            return this;
        }

        /**
         * @throws IllegalStateException naming a required option that was not given
         * @throws IllegalArgumentException naming an option whose value is invalid
         */
        public WorkerOptions build() {
            Map<String, Dispatch> modes = null;
            if (dispatch != null && tiers != null) {
                modes = new LinkedHashMap<>();
                for (String tier : tiers) {
                    modes.put(tier, dispatch.apply(tier));
                }
            }
            return new WorkerOptions(
                    required("workerId", workerId),
                    required("tiers", tiers),
                    required("capabilities", capabilities),
                    required("heartbeatInterval", heartbeatInterval),
                    required("maxInFlight", maxInFlight),
                    required("sessionTimeout", sessionTimeout),
                    pollTimeout,
                    deliveryLimit,
                    drainTimeout,
                    required("dispatch", modes),
                    consumers);
        }

        private static <T> T required(String name, T value) {
            if (value == null) {
                throw new IllegalStateException("worker option " + name + " is required and was not given");
            }
            return value;
        }
    }
}
