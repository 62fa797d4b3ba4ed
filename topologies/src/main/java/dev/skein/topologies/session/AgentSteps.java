package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.AgentStep;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the state machine does with an agent's step: a final answer ends the turn, tool calls go
 * to {@link ToolCalls}, a retryable error invokes the agent again (up to
 * {@link SessionTopologyConfig#maxAgentAttempts()}), and a handoff passes the turn to another
 * agent. A step for another turn or step than the one awaited is dropped.
 */
final class AgentSteps {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final SessionTopologyConfig config;
    private final Sessions sessions;
    private final Turns turns;
    private final ToolCalls toolCalls;

    AgentSteps(SessionTopologyConfig config, Sessions sessions, Turns turns, ToolCalls toolCalls) {
        this.config = config;
        this.sessions = sessions;
        this.turns = turns;
        this.toolCalls = toolCalls;
    }

    void onStep(SessionAddress address, AgentStep step) {
        Session session = sessions.find(address).orElse(null);
        if (session == null) {
            return;
        }
        ActiveTurn active = session.active();
        if (active == null
                || session.meta().getStatus() != SessionStatus.AWAITING_AGENT
                || !active.getTurnId().equals(step.getTurnId())
                || active.getStep() != step.getStep()) {
            session.drop("stale agent step " + step.getTurnId() + "#" + step.getStep());
            session.save();
            return;
        }
        if (Dispatches.answersAnother(active, step.getDispatchId())) {
            // Speculative dispatch: the step answers an invocation of an aborted pass (its replay
            // made the one the committed state awaits, under a new id).
            session.dropSpeculative("agent-step", "agent step " + step.getTurnId() + "#" + step.getStep());
            session.save();
            return;
        }
        switch (step.getKind()) {
            case FINAL -> finishWithAnswer(session, step);
            case TOOL_CALLS -> {
                if (step.getToolCalls().isEmpty()) {
                    turns.finish(
                            session,
                            TurnStatus.FAILED,
                            null,
                            "agent '" + active.getAgent() + "' asked for tool calls but named none");
                } else {
                    toolCalls.dispatch(session, step);
                }
            }
            case ERROR -> onAgentError(session, step);
            case HANDOFF -> handOff(session, step);
        }
        session.save();
    }

    private void finishWithAnswer(Session session, AgentStep step) {
        ActiveTurn active = session.active();
        String answer = step.getContent() == null ? "" : step.getContent();
        // The continuation travels in the history, where the agent's adapter finds it next turn.
        session.append(Session.message(Role.ASSISTANT, active.getTurnId(), active.getAgent(), sessions.now())
                .setContent(answer)
                .setContinuation(step.getContinuation())
                .setAwaitingInput(step.getAwaitingInput()));
        turns.finishAnswered(session, answer, step.getAwaitingInput());
    }

    /**
     * The Swarm pattern: the active agent called its platform tool {@code transfer_to_<agent>}.
     * The call and its result are recorded like any tool call (so the history shows both agents
     * and stays well-formed for providers), the session's active agent changes, and the same turn
     * continues with the new agent's step.
     */
    private void handOff(Session session, AgentStep step) {
        SessionMeta meta = session.meta();
        ActiveTurn active = session.active();
        String target = step.getHandoffTo();
        if (target == null || target.isBlank() || step.getToolCalls().size() != 1) {
            turns.finish(
                    session,
                    TurnStatus.FAILED,
                    null,
                    "agent '" + active.getAgent()
                            + "' asked for a handoff without naming exactly one agent to hand to");
            return;
        }
        if (!config.access().allowsAgent(meta.getTenant(), target)) {
            turns.finish(
                    session,
                    TurnStatus.FAILED,
                    null,
                    "agent '" + active.getAgent() + "' handed off to '" + target + "', which tenant " + meta.getTenant()
                            + " may not use; it may use "
                            + config.access().of(meta.getTenant()).describeAgents());
            return;
        }
        ToolCall transfer = step.getToolCalls().getFirst();
        long now = sessions.now();
        session.append(Session.message(Role.ASSISTANT, active.getTurnId(), active.getAgent(), now)
                .setContent(step.getContent())
                .setToolCalls(List.of(transfer)));
        session.append(Session.message(Role.TOOL, active.getTurnId(), active.getAgent(), now)
                .setToolCallId(transfer.getCallId())
                .setToolName(transfer.getName())
                .setToolStatus(ToolStatus.OK)
                .setContent("Transferred to agent '" + target + "'; it continues the conversation."));
        log.info(
                "session {} turn {}: agent {} hands off to {}",
                session.address(),
                active.getTurnId(),
                active.getAgent(),
                target);
        // Before finish, which may start the next queued turn: that turn goes to the new agent too.
        meta.setActiveAgent(target);
        if (active.getStep() + 1 >= config.maxSteps()) {
            turns.finish(
                    session,
                    TurnStatus.FAILED,
                    null,
                    "agents did not give an answer within " + config.maxSteps() + " steps (the last, '"
                            + active.getAgent() + "', handed off to '" + target + "')");
            return;
        }
        active.setAgent(target);
        active.setStep(active.getStep() + 1);
        active.setAgentAttempt(1);
        turns.invokeAgent(session);
    }

    private void onAgentError(Session session, AgentStep step) {
        ActiveTurn active = session.active();
        if (step.getRetryable() && active.getAgentAttempt() < config.maxAgentAttempts()) {
            active.setAgentAttempt(active.getAgentAttempt() + 1);
            log.info(
                    "session {} turn {} step {}: agent error '{}', attempt {} of {}",
                    session.address(),
                    active.getTurnId(),
                    active.getStep(),
                    step.getError(),
                    active.getAgentAttempt(),
                    config.maxAgentAttempts());
            turns.invokeAgent(session);
            return;
        }
        String why = step.getRetryable() ? " (gave up after " + active.getAgentAttempt() + " attempts)" : "";
        turns.finish(
                session, TurnStatus.FAILED, null, "agent '" + active.getAgent() + "' failed: " + step.getError() + why);
    }
}
