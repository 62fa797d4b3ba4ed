package dev.skein.adapters;

import dev.skein.schemas.kafka.Dispatch;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How an {@link AgentRunner} works. Built with {@link #builder()}: the values that Skein's configuration holds
 * ({@code skein.agents.*}, {@code skein.session.default-agent}) have no default here and must be
 * given; the internal tunables have one.
 *
 * @param groupId the share group; runners with the same group split the requests
 * @param defaultAgent the adapter for invocations whose agent name is blank
 * @param agentTimeout how long an adapter may take; keep it under the broker's record lock
 *     ({@code group.share.record.lock.duration.ms}, 30 s by default) or the request is
 *     delivered again while it still runs
 * @param maxInFlight how many requests one runner works on at once (the records of one poll)
 * @param pollTimeout how long a poll waits for records
 * @param sessionTimeout the share group's session timeout ({@code share.session.timeout.ms}): how
 *     long the partitions of a runner that died without leaving stay assigned to it, so that
 *     nobody fetches their requests; empty keeps the broker's {@code group.share.session.timeout.ms}
 * @param dispatch when a request may be taken: {@link Dispatch#SPECULATIVE} as soon as the topology
 *     wrote it, {@link Dispatch#COMMITTED} once its transaction committed (docs/dispatch.md)
 * @param deltaWindow how long after a text delta record the next pieces of streamed text are held
 *     and sent as one record ({@code skein.agents.delta-window}); zero sends one record per piece
 * @param consumers share consumers of the runner ({@code skein.agents.consumers}), which split
 *     {@code maxInFlight} between them: a slow model call holds back only its own consumer's next
 *     poll, the others go on taking requests
 */
public record AgentRunnerOptions(
        String groupId,
        String defaultAgent,
        Duration agentTimeout,
        int maxInFlight,
        Duration pollTimeout,
        Optional<Duration> sessionTimeout,
        Dispatch dispatch,
        Duration deltaWindow,
        int consumers) {

    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    /** The default of {@code skein.agents.delta-window}. */
    public static final Duration DEFAULT_DELTA_WINDOW = Duration.ofMillis(20);
    /** The default of {@code skein.agents.consumers}. */
    public static final int DEFAULT_CONSUMERS = 1;

    public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofSeconds(1);

    public AgentRunnerOptions {
        requireText("groupId", groupId);
        requireText("defaultAgent", defaultAgent);
        if (agentTimeout == null || agentTimeout.isNegative() || agentTimeout.isZero()) {
            throw new IllegalArgumentException("agentTimeout must be positive, got " + agentTimeout);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(dispatch, "dispatch");
        if (deltaWindow == null || deltaWindow.isNegative()) {
            throw new IllegalArgumentException("deltaWindow must be zero or positive, got " + deltaWindow);
        }
        if (consumers < 1 || consumers > 64) {
            throw new IllegalArgumentException("consumers must be 1 to 64, got " + consumers);
        }
        if (dispatch == Dispatch.BY_TOOL) {
            throw new IllegalArgumentException("agent runners dispatch committed or speculative, not by-tool");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void requireText(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " must not be blank");
        }
    }

    /**
     * Collects the options; {@link #build()} fails naming the first required one that is
     * missing: group id, default agent, agent timeout, session timeout and dispatch.
     */
    public static final class Builder {
        private String groupId;
        private String defaultAgent;
        private Duration agentTimeout;
        private Optional<Duration> sessionTimeout;
        private Dispatch dispatch;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
        private Duration deltaWindow = DEFAULT_DELTA_WINDOW;
        private int consumers = DEFAULT_CONSUMERS;

        private Builder() {}

        /** Required ({@code skein.agents.share-group}, or {@code <prefix>agents} when empty). */
        public Builder groupId(String id) {
            this.groupId = id;
            return this;
        }

        /** Required ({@code skein.session.default-agent}, resolved). */
        public Builder defaultAgent(String name) {
            this.defaultAgent = name;
            return this;
        }

        /** Required ({@code skein.agents.timeout}). */
        public Builder agentTimeout(Duration timeout) {
            this.agentTimeout = timeout;
            return this;
        }

        /** Required ({@code skein.agents.session-timeout}); empty keeps the broker's. */
        public Builder sessionTimeout(Optional<Duration> timeout) {
            this.sessionTimeout = timeout;
            return this;
        }

        public Builder sessionTimeout(Duration timeout) {
            return sessionTimeout(Optional.of(timeout));
        }

        /** Required ({@code skein.agents.dispatch}). */
        public Builder dispatch(Dispatch mode) {
            this.dispatch = mode;
            return this;
        }

        /** Default {@link #DEFAULT_MAX_IN_FLIGHT}. */
        public Builder maxInFlight(int max) {
            this.maxInFlight = max;
            return this;
        }

        /** Default {@link #DEFAULT_POLL_TIMEOUT}. */
        public Builder pollTimeout(Duration timeout) {
            this.pollTimeout = timeout;
            return this;
        }

        /** Default {@link #DEFAULT_DELTA_WINDOW} ({@code skein.agents.delta-window}). */
        public Builder deltaWindow(Duration window) {
            this.deltaWindow = window;
            return this;
        }

        /** Default {@link #DEFAULT_CONSUMERS} ({@code skein.agents.consumers}). */
        public Builder consumers(int count) {
            this.consumers = count;
            return this;
        }

        /**
         * @throws IllegalStateException naming a required option that was not given
         * @throws IllegalArgumentException naming an option whose value is invalid
         */
        public AgentRunnerOptions build() {
            return new AgentRunnerOptions(
                    required("groupId", groupId),
                    required("defaultAgent", defaultAgent),
                    required("agentTimeout", agentTimeout),
                    maxInFlight,
                    pollTimeout,
                    required("sessionTimeout", sessionTimeout),
                    required("dispatch", dispatch),
                    deltaWindow,
                    consumers);
        }

        private static <T> T required(String name, T value) {
            if (value == null) {
                throw new IllegalStateException("agent runner option " + name + " is required and was not given");
            }
            return value;
        }
    }
}
