package dev.skein.topologies.session;

import dev.skein.events.DoubleTexting;
import dev.skein.schemas.TenantAccess;
import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.routing.TierEnvelope;
import java.time.Duration;
import java.util.List;

/**
 * What the session state machine needs to know, validated on construction. Its defaults are
 * written once, in the app's {@code reference.conf} ({@code skein.session} and {@code skein.tiers}).
 *
 * @param defaultAgent agent for turns that name none and sessions without an active agent
 * @param turnTimeout wall-clock deadline of a turn, from its start, when the turn sets none
 * @param maxQueuedTurns turns a busy session holds before it rejects new ones
 * @param maxSteps agent steps one turn may take before it fails
 * @param maxAgentAttempts invocations of one step when the agent reports a retryable error
 * @param contextMessages at most this many messages of history are sent with each invocation
 * @param tiers tool tiers, smallest first: each call goes to the first that fits it and has a live worker
 * @param deadlineCheckInterval the least time between two checks for due turns ({@link DeadlineAlarm})
 * @param rememberedTurnIds finished turn ids kept per session to drop duplicates
 * @param workerTimeout a worker silent for longer than this is considered gone
 * @param cacheTtl how long a cacheable tool's result is reused, unless the tool sets its own
 * @param approvals calls held for a person's approval besides those of tools that require it themselves
 * @param access the agents each tenant's turns may use and the tools its agents may call
 * @param doubleTexting what a turn that arrives while its session is busy does, when neither the turn nor the
 *     session names a policy ({@code skein.session.double-texting})
 * @param context each agent's token budget and rolling summaries; {@code contextMessages} stays an
 *     upper bound on the messages of a window
 * @param traceKeepTurns decision traces kept per session, of its latest turns ({@code skein.trace.keep-turns})
 * @param agentTools the tools each agent is offered, among those its tenant may use
 * @param extraction memory extraction after each completed turn ({@code skein.memory.extractor})
 * @param retention how long idle sessions are kept ({@code skein.session.retention})
 */
public record SessionTopologyConfig(
        String defaultAgent,
        Duration turnTimeout,
        int maxQueuedTurns,
        int maxSteps,
        int maxAgentAttempts,
        int contextMessages,
        List<TierEnvelope> tiers,
        Duration deadlineCheckInterval,
        int rememberedTurnIds,
        Duration workerTimeout,
        Duration cacheTtl,
        ApprovalPolicy approvals,
        TenantAccess access,
        DoubleTexting doubleTexting,
        ContextSettings context,
        int traceKeepTurns,
        AgentTools agentTools,
        ExtractionSettings extraction,
        SessionRetention retention) {

    public SessionTopologyConfig {
        require(defaultAgent != null && !defaultAgent.isBlank(), "defaultAgent must be set");
        require(turnTimeout.toMillis() > 0, "turnTimeout must be positive");
        require(maxQueuedTurns >= 0, "maxQueuedTurns must be >= 0");
        require(maxSteps >= 1, "maxSteps must be >= 1");
        require(maxAgentAttempts >= 1, "maxAgentAttempts must be >= 1");
        require(contextMessages >= 1, "contextMessages must be >= 1");
        require(tiers != null && !tiers.isEmpty(), "at least one tool tier must be configured");
        require(deadlineCheckInterval.toMillis() > 0, "deadlineCheckInterval must be positive");
        require(rememberedTurnIds >= 1, "rememberedTurnIds must be >= 1");
        require(workerTimeout.toMillis() > 0, "workerTimeout must be positive");
        require(!cacheTtl.isNegative(), "cacheTtl must not be negative");
        require(approvals != null, "approvals must be set (ApprovalPolicy.NONE for none)");
        require(access != null, "access must be set (TenantAccess.OPEN for no limits)");
        require(context != null, "context must be set (ContextSettings.UNBOUNDED for message counts alone)");
        require(doubleTexting != null, "doubleTexting must be set (ENQUEUE to queue turns behind the active one)");
        require(agentTools != null, "agentTools must be set (AgentTools.ALL for every tool)");
        require(extraction != null, "extraction must be set (ExtractionSettings.OFF for none)");
        require(retention != null, "retention must be set (SessionRetention.OFF to keep sessions forever)");
        require(traceKeepTurns >= 1, "traceKeepTurns (skein.trace.keep-turns) must be >= 1");
        require(tiers.stream().map(TierEnvelope::name).distinct().count() == tiers.size(), "tier names must be unique");
        tiers = List.copyOf(tiers);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("session topology: " + message);
        }
    }
}
