package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.AgentStep;
import dev.skein.events.CommandKind;
import dev.skein.events.PendingCall;
import dev.skein.events.Role;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import dev.skein.topologies.cache.ResultCache;
import dev.skein.topologies.routing.TierRouter;
import dev.skein.topologies.tracing.TopologySpans;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tool calls of one agent step, from the step to their results. Each call is checked
 * against the catalog and its argument schema, held for a person's approval when the tool or the
 * {@link ApprovalPolicy} requires it, answered from the {@link ResultCache} when it can be, or routed to a tier by the
 * {@link TierRouter} and sent. A call that cannot run is answered at once with an error the agent
 * can act on; so is a call of a tool the session's tenant may not use ({@link TenantAccess}), which
 * is also counted ({@link RefusedCalls}). When every call has its result, the turn goes on ({@link Turns#continueAfterTools}).
 */
final class ToolCalls {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final Sessions sessions;
    private final ToolCatalog catalog;
    private final ResultCache cache;
    private final TierRouter router;
    private final ApprovalPolicy approvals;
    private final Turns turns;
    private final SessionOutput output;
    private final ToolArguments arguments = new ToolArguments();
    private final TenantAccess access;
    private final RefusedCalls refused;

    ToolCalls(
            Sessions sessions,
            ToolCatalog catalog,
            ResultCache cache,
            TierRouter router,
            ApprovalPolicy approvals,
            TenantAccess access,
            RefusedCalls refused,
            Turns turns,
            SessionOutput output) {
        this.sessions = sessions;
        this.catalog = catalog;
        this.cache = cache;
        this.router = router;
        this.approvals = approvals;
        this.access = access;
        this.refused = refused;
        this.turns = turns;
        this.output = output;
    }

    /** Records the step's calls in the history and sends, holds or answers each of them. */
    void dispatch(Session session, AgentStep step) {
        SessionMeta meta = session.meta();
        ActiveTurn active = session.active();
        long now = sessions.now();
        session.append(Session.message(Role.ASSISTANT, active.getTurnId(), active.getAgent(), now)
                .setContent(step.getContent())
                .setToolCalls(new ArrayList<>(step.getToolCalls())));
        List<PendingCall> pending = new ArrayList<>();
        Set<String> callIds = new HashSet<>();
        for (ToolCall call : step.getToolCalls()) {
            PendingCall entry = PendingCall.newBuilder()
                    .setCallId(call.getCallId())
                    .setTool(call.getName())
                    .setArgumentsJson(call.getArgumentsJson())
                    .build();
            pending.add(entry);
            if (!callIds.add(call.getCallId())) {
                String twice =
                        "call id " + call.getCallId() + " is used twice in one step; each tool call needs its own id";
                entry.setResult(immediateError(session, call, twice));
                explain(session, "refused", call.getCallId(), call.getName(), null, twice);
                continue;
            }
            ToolDefinition tool = catalog.tool(call.getName());
            String refusal = refusal(call, tool, meta.getTenant(), active.getAgent());
            if (refusal != null) {
                entry.setResult(immediateError(session, call, refusal));
                explain(session, "refused", call.getCallId(), call.getName(), null, refusal);
                continue;
            }
            if (tool.getRequiresApproval() || approvals.requires(tool.getName(), active.getAgent(), meta.getTenant())) {
                // Held (before any cache lookup: every run needs its approval) until a person approves or denies it
                // (SessionCommand), or the turn's deadline passes. The tool may require it, or the deployment
                // for every session, the agent that asks or the session's tenant.
                entry.setAwaitingApproval(true);
                entry.setHeldTraceparent(TopologySpans.held());
                entry.setHeldAtMs(now);
                log.info(
                        "session {} turn {}: call {} to {} waits for approval",
                        session.address(),
                        active.getTurnId(),
                        call.getCallId(),
                        call.getName());
                explain(
                        session,
                        "held",
                        call.getCallId(),
                        call.getName(),
                        null,
                        "held for a person's approval: "
                                + (tool.getRequiresApproval()
                                        ? "the tool requires it"
                                        : "the approval policy requires it"));
                continue;
            }
            Optional<ToolResult> cached = cache.lookup(tool, call.getArgumentsJson(), now);
            if (cached.isPresent()) {
                TopologySpans.cached(call.getName(), call.getCallId());
                entry.setResult(answerFromCache(cached.get(), session, call));
                explain(
                        session,
                        "cached",
                        call.getCallId(),
                        call.getName(),
                        cached.get().getWorker(),
                        "answered from the result cache: " + tool.getName() + " is cacheable and ran with the same"
                                + " arguments before (worker " + cached.get().getWorker() + ")");
                continue;
            }
            send(session, entry, tool, call.getArgumentsJson(), now);
        }
        active.setPendingCalls(pending);
        active.setToolCallCount(active.getToolCallCount() + pending.size());
        meta.setStatus(SessionStatus.AWAITING_TOOLS);
        continueIfAllAnswered(session);
    }

    /** A worker's result: the first for an awaited call counts; any other is dropped. */
    void onResult(SessionAddress address, ToolResult result) {
        Session session = sessions.find(address).orElse(null);
        if (session == null) {
            return;
        }
        ActiveTurn active = session.active();
        PendingCall call = active == null
                        || session.meta().getStatus() != SessionStatus.AWAITING_TOOLS
                        || !active.getTurnId().equals(result.getTurnId())
                        || active.getStep() != result.getStep()
                ? null
                : active.getPendingCalls().stream()
                        .filter(p -> p.getCallId().equals(result.getCallId()))
                        .findFirst()
                        .orElse(null);
        if (call == null || call.getResult() != null) {
            // A redelivered request (worker crash) or a result after a timeout: the first one counts.
            session.drop("stale or duplicate tool result " + result.getCallId());
            session.save();
            return;
        }
        call.setResult(result);
        ToolDefinition tool = catalog.tool(call.getTool());
        if (tool != null) {
            cache.remember(tool, call.getArgumentsJson(), result, sessions.now());
        }
        continueIfAllAnswered(session);
        session.save();
    }

    /** A person's approval or denial of a held call; a decision for a call that awaits none is dropped. */
    void decide(Session session, SessionCommand command) {
        ActiveTurn active = session.active();
        PendingCall call = active == null
                ? null
                : active.getPendingCalls().stream()
                        .filter(p -> p.getCallId().equals(command.getCallId()) && p.getAwaitingApproval())
                        .findFirst()
                        .orElse(null);
        if (call == null) {
            session.drop(command.getKind() + " for call " + command.getCallId() + ", which awaits no approval");
            return;
        }
        call.setAwaitingApproval(false);
        boolean approved = command.getKind() != CommandKind.DENY_TOOL_CALL;
        // What the decision sends continues the turn's trace (the call's), not the command's.
        try (Scope ignored = TopologySpans.decided(
                call.getHeldTraceparent(), call.getHeldAtMs(), call.getTool(), call.getCallId(), approved)) {
            apply(session, call, approved, command);
        }
    }

    private void apply(Session session, PendingCall call, boolean approved, SessionCommand command) {
        ActiveTurn active = session.active();
        ToolDefinition tool = catalog.tool(call.getTool());
        ToolCall asked = new ToolCall(call.getCallId(), call.getTool(), call.getArgumentsJson());
        if (!approved) {
            String denied =
                    "a person denied this call" + (command.getReason() == null ? "" : ": " + command.getReason());
            call.setResult(immediateError(session, asked, denied));
            explain(session, "denied", call.getCallId(), call.getTool(), null, denied);
        } else if (tool == null) {
            call.setResult(immediateError(session, asked, "tool " + call.getTool() + " is no longer available"));
        } else {
            log.info("session {} turn {}: call {} approved", session.address(), active.getTurnId(), call.getCallId());
            explain(session, "approved", call.getCallId(), call.getTool(), null, "a person approved this call");
            send(session, call, tool, call.getArgumentsJson(), sessions.now());
        }
        continueIfAllAnswered(session);
    }

    private void continueIfAllAnswered(Session session) {
        if (session.active().getPendingCalls().stream().allMatch(p -> p.getResult() != null)) {
            turns.continueAfterTools(session);
        }
    }

    /** Routes one call to a tier and sends it, or answers it with the reason it cannot run. */
    private void send(Session session, PendingCall entry, ToolDefinition tool, String argumentsJson, long now) {
        SessionMeta meta = session.meta();
        ActiveTurn active = session.active();
        TierRouter.Route route = router.route(tool.getName(), tool.getResources(), catalog.workers(), now);
        if (route instanceof TierRouter.Route.Refused refused) {
            entry.setResult(immediateError(
                    session, new ToolCall(entry.getCallId(), tool.getName(), argumentsJson), refused.reason()));
            explain(session, "refused", entry.getCallId(), tool.getName(), null, refused.reason());
            return;
        }
        String tier = ((TierRouter.Route.Tier) route).name();
        entry.setTier(tier);
        output.request(ToolRequest.newBuilder()
                .setTenant(meta.getTenant())
                .setSessionId(meta.getSessionId())
                .setTurnId(active.getTurnId())
                .setStep(active.getStep())
                .setCallId(entry.getCallId())
                .setTool(tool.getName())
                .setArgumentsJson(argumentsJson)
                .setTier(tier)
                .setResources(tool.getResources())
                .setDeadlineMs(active.getDeadlineMs())
                .setRequestedAtMs(now)
                .setUserId(active.getUserId())
                .build());
    }

    /** The decision trace's entry of a decision on a call that sends no request ({@link SessionOutput#explain}). */
    private void explain(Session session, String outcome, String callId, String tool, String worker, String why) {
        ActiveTurn active = session.active();
        output.explain(
                session.address(),
                active.getTurnId(),
                TraceExplanations.call(outcome, active.getStep(), callId, tool, why)
                        .setWorker(worker));
    }

    /** Why a call cannot be dispatched, in words the agent can act on; null when it can. */
    private String refusal(ToolCall call, ToolDefinition tool, String tenant, String agent) {
        if (tool == null && call.getName().startsWith("transfer_to_")) {
            return "a handoff (" + call.getName() + ") must be the only call of its step, to an agent this agent"
                    + " may hand to; call it alone";
        }
        TenantAccess.Rules rules = access.of(tenant);
        boolean tenantMay = tool != null && rules.allowsTool(tool.getName());
        if (!tenantMay || !turns.offers(agent, tool.getName())) {
            // What the agent was offered: the same list its invocation carried.
            String known = turns.offeredTools(tenant, agent).stream()
                    .map(ToolDefinition::getName)
                    .sorted()
                    .collect(Collectors.joining(", "));
            String available = "; available tools: " + (known.isEmpty() ? "none" : known);
            if (tool == null) {
                return "unknown tool '" + call.getName() + "'" + available;
            }
            if (!tenantMay) {
                refused.toolNotAllowed(tenant, tool.getName());
                log.info("tenant {}: a call of tool {} refused: the tenant may not use it", tenant, tool.getName());
                return "tool '" + tool.getName() + "' is not available to this tenant's agents" + available;
            }
            log.info("agent {}: a call of tool {} refused: the agent is not offered it", agent, tool.getName());
            return "tool '" + tool.getName() + "' is not offered to agent '" + agent + "' (its tools: "
                    + String.join(", ", turns.toolPatternsOf(agent)) + ")" + available;
        }
        return arguments.problem(tool, call.getArgumentsJson());
    }

    private ToolResult answerFromCache(ToolResult cached, Session session, ToolCall call) {
        return ToolResult.newBuilder(cached)
                .setTenant(session.meta().getTenant())
                .setSessionId(session.meta().getSessionId())
                .setTurnId(session.active().getTurnId())
                .setStep(session.active().getStep())
                .setCallId(call.getCallId())
                .setCached(true)
                .setDeliveryCount(0)
                .build();
    }

    private ToolResult immediateError(Session session, ToolCall call, String error) {
        return ToolResult.newBuilder()
                .setTenant(session.meta().getTenant())
                .setSessionId(session.meta().getSessionId())
                .setTurnId(session.active().getTurnId())
                .setStep(session.active().getStep())
                .setCallId(call.getCallId())
                .setTool(call.getName())
                .setStatus(ToolStatus.ERROR)
                .setOutput(error)
                .setCompletedAtMs(sessions.now())
                .build();
    }
}
