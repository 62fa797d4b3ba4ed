package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.ChatMessage;
import dev.skein.events.DoubleTexting;
import dev.skein.events.PendingCall;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnOutcome;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import dev.skein.topologies.context.ContextWindow;
import dev.skein.topologies.tracing.TopologySpans;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a turn: a requested turn starts at once when its session is idle; when it is busy,
 * the turn's double-texting policy decides: it waits in the session's queue (rejected when the
 * queue is full), is rejected, or interrupts the active turn (keeping or rolling back that turn's
 * messages) and starts; a started turn invokes its agent step by
 * step until it finishes, and then the next queued turn starts. Every turn, run or not, ends with
 * one {@link TurnCompleted}.
 */
final class Turns {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final SessionTopologyConfig config;
    private final Sessions sessions;
    private final ToolCatalog catalog;
    private final SessionOutput output;
    private final SessionContext context;
    private final Summaries summaries;
    private final AfterCompleted afterCompleted;

    /** What happens after a turn has completed with an answer, in the same pass ({@link Extractions}). */
    @FunctionalInterface
    interface AfterCompleted {
        void completed(Session session, ActiveTurn turn);
    }

    Turns(SessionTopologyConfig config, Sessions sessions, ToolCatalog catalog, SessionOutput output) {
        this(config, sessions, catalog, output, (session, turn) -> {});
    }

    Turns(
            SessionTopologyConfig config,
            Sessions sessions,
            ToolCatalog catalog,
            SessionOutput output,
            AfterCompleted afterCompleted) {
        this.afterCompleted = afterCompleted;
        this.config = config;
        this.sessions = sessions;
        this.catalog = catalog;
        this.output = output;
        this.context = new SessionContext(config);
        this.summaries = new Summaries(config.context().summaries(), context, sessions, output);
    }

    /** The session's rolling summaries, whose steps come back as agent steps of their own. */
    Summaries summaries() {
        return summaries;
    }

    /**
     * A new turn for the session at {@code address}: dropped as a duplicate, rejected when its
     * tenant may not use its agent (however the turn was produced), started when the session is
     * idle, and otherwise handled by its double-texting policy ({@link #policyOf}).
     */
    void request(SessionAddress address, TurnRequested turn) {
        Session session = sessions.open(address);
        SessionMeta meta = session.meta();
        String agent = firstNonBlank(turn.getAgent(), meta.getActiveAgent(), config.defaultAgent());
        TenantAccess.Rules rules = config.access().of(address.tenant());
        if (session.hasSeen(turn.getTurnId())) {
            session.drop("duplicate turn " + turn.getTurnId());
        } else if (!rules.allowsAgent(agent)) {
            endUnstarted(
                    session,
                    turn,
                    TurnStatus.REJECTED,
                    "agent '" + agent + "' is not available to tenant " + address.tenant() + "; it may use "
                            + rules.describeAgents());
        } else if (meta.getStatus() == SessionStatus.IDLE) {
            adoptPolicy(session, turn);
            start(session, turn);
        } else {
            arriveWhileBusy(session, turn);
        }
        session.save();
    }

    /** The policy of a turn that arrives while its session is busy: its own, else the session's, else the default. */
    static DoubleTexting policyOf(SessionMeta meta, TurnRequested turn, DoubleTexting configured) {
        if (turn.getDoubleTexting() != null) {
            return turn.getDoubleTexting();
        }
        return meta.getDoubleTexting() != null ? meta.getDoubleTexting() : configured;
    }

    private void arriveWhileBusy(Session session, TurnRequested turn) {
        SessionMeta meta = session.meta();
        String activeId = session.active().getTurnId();
        DoubleTexting policy = policyOf(meta, turn, config.doubleTexting());
        switch (policy) {
            case REJECT ->
                endUnstarted(
                        session,
                        turn,
                        TurnStatus.REJECTED,
                        "session " + session.address() + " is busy with turn " + activeId
                                + " and the double-texting policy is reject; send the turn again when " + activeId
                                + " has completed, or with \"doubleTexting\": \"enqueue\" or \"interrupt\"");
            case INTERRUPT, ROLLBACK -> {
                adoptPolicy(session, turn);
                supersede(session, turn, policy == DoubleTexting.ROLLBACK);
            }
            case ENQUEUE -> {
                if (meta.getQueuedTurns().size() >= config.maxQueuedTurns()) {
                    endUnstarted(
                            session,
                            turn,
                            TurnStatus.REJECTED,
                            "session " + session.address() + " is busy and already has "
                                    + meta.getQueuedTurns().size() + " queued turns (limit " + config.maxQueuedTurns()
                                    + "); send the turn again when the current ones have completed");
                } else {
                    adoptPolicy(session, turn);
                    meta.getQueuedTurns().add(turn);
                    log.debug("session {} turn {} queued behind {}", session.address(), turn.getTurnId(), activeId);
                    output.explain(
                            session.address(),
                            turn.getTurnId(),
                            TraceExplanations.queued("queued behind turn " + activeId));
                }
            }
        }
    }

    /** A sticky policy becomes the session's once the session takes the turn; a refused turn changes nothing. */
    private static void adoptPolicy(Session session, TurnRequested turn) {
        if (turn.getStickyDoubleTexting() && turn.getDoubleTexting() != null) {
            session.meta().setDoubleTexting(turn.getDoubleTexting());
        }
    }

    /**
     * Interrupt or rollback: the active turn ends CANCELLED where it stands (its calls still out are
     * abandoned: their results, and its agent's late step, no longer match the active turn and are
     * dropped), the queued turns end CANCELLED without running, and {@code turn} starts. Each of
     * them gets its one completion, naming {@code turn} as the one that superseded it.
     */
    private void supersede(Session session, TurnRequested turn, boolean rollback) {
        SessionMeta meta = session.meta();
        String by = turn.getTurnId();
        log.info(
                "session {} turn {}: {} by turn {}",
                session.address(),
                session.active().getTurnId(),
                rollback ? "rolled back" : "interrupted",
                by);
        String reason = (rollback ? "rolled back" : "interrupted") + " by turn " + by + ", sent while it ran";
        end(session, TurnStatus.CANCELLED, null, reason, false, by, rollback);
        for (TurnRequested queued : meta.getQueuedTurns()) {
            endUnstarted(
                    session,
                    queued,
                    TurnStatus.CANCELLED,
                    "superseded by turn " + by + ", which interrupted the session before this turn started",
                    by);
        }
        meta.getQueuedTurns().clear();
        start(session, turn);
    }

    /**
     * Sends the active turn's current step and attempt to its agent, with the tools and the context
     * window built within the agent's budget ({@link SessionContext}); then asks for a summary of
     * what the window left out, when enough did ({@link Summaries}).
     */
    void invokeAgent(Session session) {
        SessionMeta meta = session.meta();
        ActiveTurn active = session.active();
        List<ToolDefinition> tools = offeredTools(meta.getTenant(), active.getAgent());
        // A new dispatch per invocation: only answers that echo it count (Dispatches).
        active.setDispatchId(Dispatches.newId());
        ContextWindow.Built window = context.window(session, active.getAgent(), tools);
        output.invoke(session.address(), context.invocation(session, tools, window, sessions.now()));
        summaries.afterWindow(session, window, active.getAgent());
    }

    /**
     * The tools of the catalog that {@code agent} is offered in a session of {@code tenant}: those the
     * tenant may use ({@code skein.tenants}) that the agent's tool list names ({@link AgentTools}).
     * A call of another is refused ({@link ToolCalls}), so offering fewer costs nothing but tokens saved.
     */
    List<ToolDefinition> offeredTools(String tenant, String agent) {
        return catalog.tools().stream()
                .filter(tool -> config.access().allowsTool(tenant, tool.getName()))
                .filter(tool -> config.agentTools().offers(agent, tool.getName()))
                .toList();
    }

    /** Whether {@code agent}'s tool list names {@code tool} (the tenant's rules aside). */
    boolean offers(String agent, String tool) {
        return config.agentTools().offers(agent, tool);
    }

    /** The tool patterns of {@code agent}, for the error of a call it was not offered. */
    List<String> toolPatternsOf(String agent) {
        return config.agentTools().patternsOf(agent);
    }

    /**
     * Every call of the step has its result: records them in call order and invokes the agent
     * for the next step, or fails the turn when it has used all its steps.
     */
    void continueAfterTools(Session session) {
        ActiveTurn active = session.active();
        if (active.getStep() + 1 >= config.maxSteps()) {
            // Still awaiting tools: finish records the tool messages, once.
            finish(
                    session,
                    TurnStatus.FAILED,
                    null,
                    "agent '" + active.getAgent() + "' did not give an answer within " + config.maxSteps() + " steps");
            return;
        }
        appendToolMessages(session);
        active.setStep(active.getStep() + 1);
        active.setAgentAttempt(1);
        active.setPendingCalls(new ArrayList<>());
        session.meta().setStatus(SessionStatus.AWAITING_AGENT);
        invokeAgent(session);
    }

    /** Ends the active turn, then starts the next queued one. */
    void finish(Session session, TurnStatus status, String answer, String error) {
        end(session, status, answer, error, false, null, false);
        startNextQueued(session);
    }

    /**
     * Completes the active turn with the agent's answer, then starts the next queued one.
     *
     * @param awaitingInput the answer asks the user for input, which the next turn brings
     */
    void finishAnswered(Session session, String answer, boolean awaitingInput) {
        ActiveTurn active = session.active();
        end(session, TurnStatus.COMPLETED, answer, null, awaitingInput, null, false);
        afterCompleted.completed(session, active);
        startNextQueued(session);
    }

    private void startNextQueued(Session session) {
        SessionMeta meta = session.meta();
        if (!meta.getQueuedTurns().isEmpty()) {
            start(session, meta.getQueuedTurns().removeFirst());
        }
    }

    /** Ends a turn that never started (rejected, or taken out of the queue) and remembers its id. */
    void endUnstarted(Session session, TurnRequested turn, TurnStatus status, String error) {
        endUnstarted(session, turn, status, error, null);
    }

    private void endUnstarted(Session session, TurnRequested turn, TurnStatus status, String error, String by) {
        emit(
                session,
                completion(session, turn.getTurnId(), status)
                        .setError(error)
                        .setSupersededBy(by)
                        .setSteps(0)
                        .setToolCalls(0)
                        .setRequestedAtMs(turn.getRequestedAtMs())
                        .build());
        session.rememberTurn(turn.getTurnId());
    }

    private void start(Session session, TurnRequested turn) {
        SessionMeta meta = session.meta();
        long now = sessions.now();
        String agent = firstNonBlank(turn.getAgent(), meta.getActiveAgent(), config.defaultAgent());
        if (turn.getAgent() != null && !turn.getAgent().isBlank()) {
            // A turn that names its agent hands the session to it, as a handoff does: the turns
            // after it that name none go to the same agent, not back to the default.
            meta.setActiveAgent(turn.getAgent());
        }
        session.append(Session.message(Role.USER, turn.getTurnId(), agent, now).setContent(turn.getMessage()));
        long timeout = turn.getTimeoutMs() != null && turn.getTimeoutMs() > 0
                ? turn.getTimeoutMs()
                : config.turnTimeout().toMillis();
        ActiveTurn active = ActiveTurn.newBuilder()
                .setTurnId(turn.getTurnId())
                .setAgent(agent)
                .setStep(0)
                .setAgentAttempt(1)
                .setRequestedAtMs(turn.getRequestedAtMs())
                .setStartedAtMs(now)
                // A timeout past the end of time is none, not a deadline wrapped into the past.
                .setDeadlineMs(timeout > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeout)
                .setToolCallCount(0)
                .setUserId(turn.getUserId())
                .setTraceparent(TopologySpans.held())
                .setPendingCalls(new ArrayList<>())
                .build();
        meta.setActiveTurn(active);
        meta.setStatus(SessionStatus.AWAITING_AGENT);
        session.scheduleDeadline();
        invokeAgent(session);
    }

    /** Ends the active turn and leaves the queue as it is. */
    void finishWithoutStartingNext(Session session, TurnStatus status, String answer, String error) {
        end(session, status, answer, error, false, null, false);
    }

    /**
     * @param by the turn that superseded this one (interrupt, rollback); null otherwise
     * @param rollback remove the turn's messages instead of closing them with tool results and a marker
     */
    private void end(
            Session session,
            TurnStatus status,
            String answer,
            String error,
            boolean awaitingInput,
            String by,
            boolean rollback) {
        SessionMeta meta = session.meta();
        ActiveTurn active = session.active();
        if (rollback) {
            int removed = session.rollBack(active.getTurnId());
            log.debug("session {} turn {}: {} messages rolled back", session.address(), active.getTurnId(), removed);
        } else {
            if (meta.getStatus() == SessionStatus.AWAITING_TOOLS) {
                appendToolMessages(session);
            }
            if (status == TurnStatus.FAILED || status == TurnStatus.CANCELLED) {
                appendOutcomeMarker(session, status, error);
            }
        }
        session.cancelDeadline();
        emit(
                session,
                completion(session, active.getTurnId(), status)
                        .setAnswer(answer)
                        .setError(error)
                        .setAgent(active.getAgent())
                        .setSteps(active.getStep() + 1)
                        .setToolCalls(active.getToolCallCount())
                        .setRequestedAtMs(active.getRequestedAtMs())
                        .setAwaitingInput(awaitingInput)
                        .setSupersededBy(by)
                        .setRolledBack(rollback)
                        .build());
        if (status == TurnStatus.COMPLETED) {
            meta.setTurnsCompleted(meta.getTurnsCompleted() + 1);
        } else if (status == TurnStatus.FAILED) {
            meta.setTurnsFailed(meta.getTurnsFailed() + 1);
        }
        session.rememberTurn(active.getTurnId());
        meta.setActiveTurn(null);
        meta.setStatus(SessionStatus.IDLE);
    }

    /**
     * The assistant message that closes a turn which ended without an answer: its user message
     * then never stands alone, so the history (and every context window cut from it) alternates
     * user and assistant as providers require, and the next invocation's model sees that the
     * request failed and why. Marked with {@link ChatMessage#getOutcome()} so clients and adapters
     * can tell it from an answer.
     */
    private void appendOutcomeMarker(Session session, TurnStatus status, String error) {
        ActiveTurn active = session.active();
        boolean failed = status == TurnStatus.FAILED;
        String why = error == null || error.isBlank() ? "no reason given" : error;
        session.append(Session.message(Role.ASSISTANT, active.getTurnId(), active.getAgent(), sessions.now())
                .setContent("[turn " + (failed ? "failed" : "cancelled") + ": " + why + "]")
                .setOutcome(failed ? TurnOutcome.FAILED : TurnOutcome.CANCELLED));
    }

    /** Tool messages in call order; calls without a result get an error message so history stays well-formed. */
    private void appendToolMessages(Session session) {
        ActiveTurn active = session.active();
        for (PendingCall call : active.getPendingCalls()) {
            ToolResult result = call.getResult();
            ChatMessage.Builder message = Session.message(
                            Role.TOOL, active.getTurnId(), active.getAgent(), sessions.now())
                    .setToolCallId(call.getCallId())
                    .setToolName(call.getTool());
            if (result == null) {
                message.setToolStatus(ToolStatus.ERROR)
                        .setContent("no result: the turn ended before the tool answered");
            } else {
                message.setToolStatus(result.getStatus())
                        .setContent(result.getOutput())
                        .setWorker(result.getWorker())
                        .setCached(result.getCached())
                        .setDeliveryCount(result.getDeliveryCount());
            }
            session.append(message);
        }
    }

    private TurnCompleted.Builder completion(Session session, String turnId, TurnStatus status) {
        return TurnCompleted.newBuilder()
                .setTenant(session.meta().getTenant())
                .setSessionId(session.meta().getSessionId())
                .setTurnId(turnId)
                .setStatus(status)
                .setCompletedAtMs(sessions.now());
    }

    private void emit(Session session, TurnCompleted completed) {
        if (completed.getStatus() != TurnStatus.COMPLETED) {
            log.info(
                    "session {} turn {} {}: {}",
                    session.address(),
                    completed.getTurnId(),
                    completed.getStatus(),
                    completed.getError());
        }
        output.complete(session.address(), completed);
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        throw new IllegalStateException("no value");
    }
}
