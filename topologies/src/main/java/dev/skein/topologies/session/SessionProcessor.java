package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.DeadLetter;
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
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SessionAddress;
import dev.skein.topologies.cache.ResultCache;
import dev.skein.topologies.routing.TierRouter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session state machine. One instance per stream task; every event of a session reaches the
 * same instance because all inputs are keyed by session address and co-partitioned.
 *
 * <p>Inputs: TurnRequested, SessionCommand, AgentStep, ToolResult. Outputs (by child name):
 * AgentInvocation, ToolRequest, TurnCompleted, DeadLetter. Every state change and the events it
 * emits commit together under exactly-once.
 *
 * <p>Events that do not fit the state (an old step, an unknown or answered call id, a seen turn
 * id) are dropped and counted in {@link SessionMeta#getEventsDropped()}: under at-least-once
 * delivery from agent runners and workers such duplicates are normal, not errors.
 */
public final class SessionProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

    public static final String TO_AGENT_REQUESTS = "to-agent-requests";
    public static final String TO_TOOL_REQUESTS = "to-tool-requests";
    public static final String TO_RESPONSES = "to-responses";
    public static final String TO_DEAD_LETTERS = "to-dead-letters";

    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final SessionTopologyConfig config;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<Bytes, ChatMessage> messages;
    private KeyValueStore<String, SessionMeta> metas;
    private KeyValueStore<Bytes, String> deadlines;
    private TimestampedKeyValueStore<String, ToolDefinition> catalog;
    private TimestampedKeyValueStore<String, WorkerHeartbeat> workers;
    private ResultCache cache;
    private final TierRouter router;
    private final ToolArguments arguments = new ToolArguments();

    public SessionProcessor(SessionTopologyConfig config) {
        this.config = config;
        this.router = new TierRouter(config.tiers(), config.workerTimeout());
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.messages = context.getStateStore(SessionStores.MESSAGES);
        this.metas = context.getStateStore(SessionStores.META);
        this.deadlines = context.getStateStore(SessionStores.DEADLINES);
        this.catalog = context.getStateStore(SessionStores.TOOL_CATALOG);
        this.workers = context.getStateStore(SessionStores.WORKERS);
        this.cache = new ResultCache(context.getStateStore(ResultCache.STORE), config.cacheTtl());
        context.schedule(config.deadlineCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::expireDeadlines);
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        String address = record.key();
        SpecificRecord event = record.value();
        String mismatch = addressMismatch(address, event);
        if (mismatch != null) {
            deadLetter(record, mismatch);
            return;
        }
        switch (event) {
            case TurnRequested turn -> onTurn(address, turn);
            case AgentStep step -> onStep(address, step);
            case ToolResult result -> onToolResult(address, result);
            case SessionCommand command -> onCommand(address, command);
            default ->
                deadLetter(record, "unexpected event type " + event.getSchema().getFullName());
        }
    }

    // ---- turns -------------------------------------------------------------------------------

    private void onTurn(String address, TurnRequested turn) {
        SessionMeta meta = metaOf(address, turn.getTenant(), turn.getSessionId());
        if (hasSeen(meta, turn.getTurnId())) {
            drop(address, meta, "duplicate turn " + turn.getTurnId());
            saveMeta(address, meta);
            return;
        }
        if (meta.getStatus() != SessionStatus.IDLE) {
            if (meta.getQueuedTurns().size() >= config.maxQueuedTurns()) {
                emitCompletion(
                        address,
                        turn.getTenant(),
                        turn.getSessionId(),
                        turn.getTurnId(),
                        null,
                        TurnStatus.REJECTED,
                        null,
                        "session " + address + " is busy and already has "
                                + meta.getQueuedTurns().size() + " queued turns (limit " + config.maxQueuedTurns()
                                + "); send the turn again when the current ones have completed",
                        0,
                        0,
                        turn.getRequestedAtMs());
                rememberTurn(meta, turn.getTurnId());
            } else {
                meta.getQueuedTurns().add(turn);
                log.debug(
                        "session {} turn {} queued behind {}",
                        address,
                        turn.getTurnId(),
                        meta.getActiveTurn().getTurnId());
            }
            saveMeta(address, meta);
            return;
        }
        startTurn(address, meta, turn);
        saveMeta(address, meta);
    }

    private void startTurn(String address, SessionMeta meta, TurnRequested turn) {
        long now = now();
        String agent = firstNonBlank(turn.getAgent(), meta.getActiveAgent(), config.defaultAgent());
        append(
                address,
                meta,
                message(meta, Role.USER, turn.getTurnId(), agent, now).setContent(turn.getMessage()));
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
                .setDeadlineMs(now + timeout)
                .setToolCallCount(0)
                .setPendingCalls(new ArrayList<>())
                .build();
        meta.setActiveTurn(active);
        meta.setStatus(SessionStatus.AWAITING_AGENT);
        deadlines.put(SessionStores.deadlineKey(active.getDeadlineMs(), address), active.getTurnId());
        invokeAgent(address, meta);
    }

    private void invokeAgent(String address, SessionMeta meta) {
        ActiveTurn active = meta.getActiveTurn();
        AgentInvocation invocation = AgentInvocation.newBuilder()
                .setTenant(meta.getTenant())
                .setSessionId(meta.getSessionId())
                .setTurnId(active.getTurnId())
                .setStep(active.getStep())
                .setAttempt(active.getAgentAttempt())
                .setAgent(active.getAgent())
                .setMessages(SessionHistory.window(messages, address, meta, config.contextMessages()))
                .setTools(availableTools())
                .setDeadlineMs(active.getDeadlineMs())
                .setRequestedAtMs(now())
                .build();
        context.forward(new Record<>(address, invocation, now()), TO_AGENT_REQUESTS);
    }

    private List<ToolDefinition> availableTools() {
        return valuesOf(catalog);
    }

    /** Every value of a global store (the catalog, the heartbeats): small, read whole. */
    private static <V> List<V> valuesOf(TimestampedKeyValueStore<String, V> store) {
        List<V> values = new ArrayList<>();
        try (KeyValueIterator<String, ValueAndTimestamp<V>> it = store.all()) {
            it.forEachRemaining(kv -> {
                if (kv.value != null && kv.value.value() != null) {
                    values.add(kv.value.value());
                }
            });
        }
        return values;
    }

    // ---- agent steps -------------------------------------------------------------------------

    private void onStep(String address, AgentStep step) {
        SessionMeta meta = metas.get(address);
        ActiveTurn active = meta == null ? null : meta.getActiveTurn();
        if (active == null
                || meta.getStatus() != SessionStatus.AWAITING_AGENT
                || !active.getTurnId().equals(step.getTurnId())
                || active.getStep() != step.getStep()) {
            if (meta != null) {
                drop(address, meta, "stale agent step " + step.getTurnId() + "#" + step.getStep());
                saveMeta(address, meta);
            }
            return;
        }
        switch (step.getKind()) {
            case FINAL -> finishWithAnswer(address, meta, step);
            case TOOL_CALLS -> {
                if (step.getToolCalls().isEmpty()) {
                    finishTurn(
                            address,
                            meta,
                            TurnStatus.FAILED,
                            null,
                            "agent '" + active.getAgent() + "' asked for tool calls but named none");
                } else {
                    dispatchToolCalls(address, meta, step);
                }
            }
            case ERROR -> onAgentError(address, meta, step);
            case HANDOFF -> handOff(address, meta, step);
        }
        saveMeta(address, meta);
    }

    private void finishWithAnswer(String address, SessionMeta meta, AgentStep step) {
        ActiveTurn active = meta.getActiveTurn();
        String answer = step.getContent() == null ? "" : step.getContent();
        append(
                address,
                meta,
                message(meta, Role.ASSISTANT, active.getTurnId(), active.getAgent(), now())
                        .setContent(answer));
        finishTurn(address, meta, TurnStatus.COMPLETED, answer, null);
    }

    /**
     * The Swarm pattern: the active agent called its platform tool {@code transfer_to_<agent>}.
     * The call and its result are recorded like any tool call (so the history shows both agents
     * and stays well-formed for providers), the session's active agent changes, and the same turn
     * continues with the new agent's step.
     */
    private void handOff(String address, SessionMeta meta, AgentStep step) {
        ActiveTurn active = meta.getActiveTurn();
        String target = step.getHandoffTo();
        if (target == null || target.isBlank() || step.getToolCalls().size() != 1) {
            finishTurn(
                    address,
                    meta,
                    TurnStatus.FAILED,
                    null,
                    "agent '" + active.getAgent()
                            + "' asked for a handoff without naming exactly one agent to hand to");
            return;
        }
        ToolCall transfer = step.getToolCalls().getFirst();
        long now = now();
        append(
                address,
                meta,
                message(meta, Role.ASSISTANT, active.getTurnId(), active.getAgent(), now)
                        .setContent(step.getContent())
                        .setToolCalls(List.of(transfer)));
        append(
                address,
                meta,
                message(meta, Role.TOOL, active.getTurnId(), active.getAgent(), now)
                        .setToolCallId(transfer.getCallId())
                        .setToolName(transfer.getName())
                        .setToolStatus(ToolStatus.OK)
                        .setContent("Transferred to agent '" + target + "'; it continues the conversation."));
        log.info(
                "session {} turn {}: agent {} hands off to {}", address, active.getTurnId(), active.getAgent(), target);
        if (active.getStep() + 1 >= config.maxSteps()) {
            finishTurn(
                    address,
                    meta,
                    TurnStatus.FAILED,
                    null,
                    "agents did not give an answer within " + config.maxSteps() + " steps (the last, '"
                            + active.getAgent() + "', handed off to '" + target + "')");
            meta.setActiveAgent(target);
            return;
        }
        meta.setActiveAgent(target);
        active.setAgent(target);
        active.setStep(active.getStep() + 1);
        active.setAgentAttempt(1);
        invokeAgent(address, meta);
    }

    private void onAgentError(String address, SessionMeta meta, AgentStep step) {
        ActiveTurn active = meta.getActiveTurn();
        if (step.getRetryable() && active.getAgentAttempt() < config.maxAgentAttempts()) {
            active.setAgentAttempt(active.getAgentAttempt() + 1);
            log.info(
                    "session {} turn {} step {}: agent error '{}', attempt {} of {}",
                    address,
                    active.getTurnId(),
                    active.getStep(),
                    step.getError(),
                    active.getAgentAttempt(),
                    config.maxAgentAttempts());
            invokeAgent(address, meta);
            return;
        }
        String why = step.getRetryable() ? " (gave up after " + active.getAgentAttempt() + " attempts)" : "";
        finishTurn(
                address,
                meta,
                TurnStatus.FAILED,
                null,
                "agent '" + active.getAgent() + "' failed: " + step.getError() + why);
    }

    private void dispatchToolCalls(String address, SessionMeta meta, AgentStep step) {
        ActiveTurn active = meta.getActiveTurn();
        long now = now();
        append(
                address,
                meta,
                message(meta, Role.ASSISTANT, active.getTurnId(), active.getAgent(), now)
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
                entry.setResult(immediateError(
                        meta,
                        active,
                        call,
                        "call id " + call.getCallId() + " is used twice in one step; each tool call needs its own id"));
                continue;
            }
            ToolDefinition tool = toolNamed(call.getName());
            String refusal = refusal(call, tool);
            if (refusal != null) {
                entry.setResult(immediateError(meta, active, call, refusal));
                continue;
            }
            if (tool.getRequiresApproval()) {
                // Held (before any cache lookup: every run needs its approval) until a person approves or denies it
                // (SessionCommand), or the turn's deadline passes.
                entry.setAwaitingApproval(true);
                log.info(
                        "session {} turn {}: call {} to {} waits for approval",
                        address,
                        active.getTurnId(),
                        call.getCallId(),
                        call.getName());
                continue;
            }
            Optional<ToolResult> cached = cache.lookup(tool, call.getArgumentsJson(), now);
            if (cached.isPresent()) {
                entry.setResult(answerFromCache(cached.get(), meta, active, call));
                continue;
            }
            dispatch(address, meta, entry, tool, call.getArgumentsJson(), now);
        }
        active.setPendingCalls(pending);
        active.setToolCallCount(active.getToolCallCount() + pending.size());
        meta.setStatus(SessionStatus.AWAITING_TOOLS);
        advanceIfAllAnswered(address, meta);
    }

    /** Routes one call to a tier and sends it, or answers it with the reason it cannot run. */
    private void dispatch(
            String address, SessionMeta meta, PendingCall entry, ToolDefinition tool, String argumentsJson, long now) {
        ActiveTurn active = meta.getActiveTurn();
        TierRouter.Route route = router.route(tool.getName(), tool.getResources(), valuesOf(workers), now);
        if (route instanceof TierRouter.Route.Refused refused) {
            entry.setResult(immediateError(
                    meta, active, new ToolCall(entry.getCallId(), tool.getName(), argumentsJson), refused.reason()));
            return;
        }
        String tier = ((TierRouter.Route.Tier) route).name();
        entry.setTier(tier);
        ToolRequest request = ToolRequest.newBuilder()
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
                .build();
        context.forward(new Record<>(entry.getCallId(), request, now), TO_TOOL_REQUESTS);
    }

    private ToolDefinition toolNamed(String name) {
        ValueAndTimestamp<ToolDefinition> found = catalog.get(name);
        return found == null ? null : found.value();
    }

    private ToolResult answerFromCache(ToolResult cached, SessionMeta meta, ActiveTurn active, ToolCall call) {
        return ToolResult.newBuilder(cached)
                .setTenant(meta.getTenant())
                .setSessionId(meta.getSessionId())
                .setTurnId(active.getTurnId())
                .setStep(active.getStep())
                .setCallId(call.getCallId())
                .setCached(true)
                .setDeliveryCount(0)
                .build();
    }

    /** Why a call cannot be dispatched, in words the agent can act on; null when it can. */
    private String refusal(ToolCall call, ToolDefinition tool) {
        if (tool == null && call.getName().startsWith("transfer_to_")) {
            return "a handoff (" + call.getName() + ") must be the only call of its step, to an agent this agent"
                    + " may hand to; call it alone";
        }
        if (tool == null) {
            String known = availableTools().stream()
                    .map(ToolDefinition::getName)
                    .sorted()
                    .collect(Collectors.joining(", "));
            return "unknown tool '" + call.getName() + "'; available tools: " + (known.isEmpty() ? "none" : known);
        }
        return arguments.problem(tool, call.getArgumentsJson());
    }

    private ToolResult immediateError(SessionMeta meta, ActiveTurn active, ToolCall call, String error) {
        return ToolResult.newBuilder()
                .setTenant(meta.getTenant())
                .setSessionId(meta.getSessionId())
                .setTurnId(active.getTurnId())
                .setStep(active.getStep())
                .setCallId(call.getCallId())
                .setTool(call.getName())
                .setStatus(ToolStatus.ERROR)
                .setOutput(error)
                .setCompletedAtMs(now())
                .build();
    }

    // ---- tool results ------------------------------------------------------------------------

    private void onToolResult(String address, ToolResult result) {
        SessionMeta meta = metas.get(address);
        ActiveTurn active = meta == null ? null : meta.getActiveTurn();
        if (meta == null) {
            return;
        }
        PendingCall call = active == null
                        || meta.getStatus() != SessionStatus.AWAITING_TOOLS
                        || !active.getTurnId().equals(result.getTurnId())
                        || active.getStep() != result.getStep()
                ? null
                : active.getPendingCalls().stream()
                        .filter(p -> p.getCallId().equals(result.getCallId()))
                        .findFirst()
                        .orElse(null);
        if (call == null || call.getResult() != null) {
            // A redelivered request (worker crash) or a result after a timeout: the first one counts.
            drop(address, meta, "stale or duplicate tool result " + result.getCallId());
            saveMeta(address, meta);
            return;
        }
        call.setResult(result);
        ToolDefinition tool = toolNamed(call.getTool());
        if (tool != null) {
            cache.remember(tool, call.getArgumentsJson(), result, now());
        }
        advanceIfAllAnswered(address, meta);
        saveMeta(address, meta);
    }

    private void advanceIfAllAnswered(String address, SessionMeta meta) {
        ActiveTurn active = meta.getActiveTurn();
        if (active.getPendingCalls().stream().anyMatch(p -> p.getResult() == null)) {
            return;
        }
        appendToolMessages(address, meta);
        if (active.getStep() + 1 >= config.maxSteps()) {
            finishTurn(
                    address,
                    meta,
                    TurnStatus.FAILED,
                    null,
                    "agent '" + active.getAgent() + "' did not give an answer within " + config.maxSteps() + " steps");
            return;
        }
        active.setStep(active.getStep() + 1);
        active.setAgentAttempt(1);
        active.setPendingCalls(new ArrayList<>());
        meta.setStatus(SessionStatus.AWAITING_AGENT);
        invokeAgent(address, meta);
    }

    /** Tool messages in call order; calls without a result get an error message so history stays well-formed. */
    private void appendToolMessages(String address, SessionMeta meta) {
        ActiveTurn active = meta.getActiveTurn();
        for (PendingCall call : active.getPendingCalls()) {
            ToolResult result = call.getResult();
            ChatMessage.Builder message = message(meta, Role.TOOL, active.getTurnId(), active.getAgent(), now())
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
            append(address, meta, message);
        }
    }

    // ---- commands ----------------------------------------------------------------------------

    private void onCommand(String address, SessionCommand command) {
        SessionMeta meta = metas.get(address);
        if (meta == null) {
            log.debug("session {}: command {} for a session that does not exist", address, command.getKind());
            return;
        }
        switch (command.getKind()) {
            case CLEAR_HISTORY -> clearHistory(address, meta);
            case CANCEL_TURN -> cancelTurn(address, meta, command);
            case APPROVE_TOOL_CALL, DENY_TOOL_CALL -> decideApproval(address, meta, command);
        }
        saveMeta(address, meta);
    }

    private void clearHistory(String address, SessionMeta meta) {
        if (meta.getActiveTurn() != null) {
            finishTurn(address, meta, TurnStatus.CANCELLED, null, "the session's history was cleared", false);
        }
        for (TurnRequested queued : meta.getQueuedTurns()) {
            emitCompletion(
                    address,
                    meta.getTenant(),
                    meta.getSessionId(),
                    queued.getTurnId(),
                    null,
                    TurnStatus.CANCELLED,
                    null,
                    "the session's history was cleared",
                    0,
                    0,
                    queued.getRequestedAtMs());
            rememberTurn(meta, queued.getTurnId());
        }
        meta.getQueuedTurns().clear();
        for (long seq = meta.getFirstSequence(); seq < meta.getNextSequence(); seq++) {
            messages.delete(SessionStores.messageKey(address, seq));
        }
        meta.setFirstSequence(meta.getNextSequence());
        log.info("session {}: history cleared", address);
    }

    private void decideApproval(String address, SessionMeta meta, SessionCommand command) {
        ActiveTurn active = meta.getActiveTurn();
        PendingCall call = active == null
                ? null
                : active.getPendingCalls().stream()
                        .filter(p -> p.getCallId().equals(command.getCallId()) && p.getAwaitingApproval())
                        .findFirst()
                        .orElse(null);
        if (call == null) {
            drop(address, meta, command.getKind() + " for call " + command.getCallId() + ", which awaits no approval");
            return;
        }
        call.setAwaitingApproval(false);
        ToolDefinition tool = toolNamed(call.getTool());
        ToolCall asked = new ToolCall(call.getCallId(), call.getTool(), call.getArgumentsJson());
        if (command.getKind() == CommandKind.DENY_TOOL_CALL) {
            call.setResult(immediateError(
                    meta,
                    active,
                    asked,
                    "a person denied this call" + (command.getReason() == null ? "" : ": " + command.getReason())));
        } else if (tool == null) {
            call.setResult(immediateError(meta, active, asked, "tool " + call.getTool() + " is no longer available"));
        } else {
            log.info("session {} turn {}: call {} approved", address, active.getTurnId(), call.getCallId());
            dispatch(address, meta, call, tool, call.getArgumentsJson(), now());
        }
        advanceIfAllAnswered(address, meta);
    }

    private void cancelTurn(String address, SessionMeta meta, SessionCommand command) {
        ActiveTurn active = meta.getActiveTurn();
        String turnId = command.getTurnId();
        String reason = command.getReason() == null ? "cancelled on request" : "cancelled: " + command.getReason();
        if (active != null && (turnId == null || turnId.equals(active.getTurnId()))) {
            finishTurn(address, meta, TurnStatus.CANCELLED, null, reason);
            return;
        }
        meta.getQueuedTurns().removeIf(queued -> {
            if (!queued.getTurnId().equals(turnId)) {
                return false;
            }
            emitCompletion(
                    address,
                    meta.getTenant(),
                    meta.getSessionId(),
                    queued.getTurnId(),
                    null,
                    TurnStatus.CANCELLED,
                    null,
                    reason,
                    0,
                    0,
                    queued.getRequestedAtMs());
            rememberTurn(meta, queued.getTurnId());
            return true;
        });
    }

    // ---- deadlines ---------------------------------------------------------------------------

    private void expireDeadlines(long now) {
        List<KeyValue<Bytes, String>> due = new ArrayList<>();
        try (KeyValueIterator<Bytes, String> it =
                deadlines.range(SessionStores.deadlineBound(0), SessionStores.deadlineBound(now))) {
            it.forEachRemaining(due::add);
        }
        for (KeyValue<Bytes, String> entry : due) {
            deadlines.delete(entry.key);
            String address = SessionStores.addressOfDeadline(entry.key);
            SessionMeta meta = metas.get(address);
            ActiveTurn active = meta == null ? null : meta.getActiveTurn();
            if (active == null || !active.getTurnId().equals(entry.value) || active.getDeadlineMs() > now) {
                continue;
            }
            String waitingFor = meta.getStatus() == SessionStatus.AWAITING_TOOLS
                    ? "tool results ("
                            + active.getPendingCalls().stream()
                                    .filter(p -> p.getResult() == null)
                                    .map(p -> p.getTool() + " " + p.getCallId()
                                            + (p.getAwaitingApproval() ? " awaiting approval" : ""))
                                    .collect(Collectors.joining(", "))
                            + ")"
                    : "agent '" + active.getAgent() + "' (step " + active.getStep() + ")";
            long allowed = active.getDeadlineMs() - active.getStartedAtMs();
            log.warn(
                    "session {} turn {}: deadline of {} ms passed while waiting for {}",
                    address,
                    active.getTurnId(),
                    allowed,
                    waitingFor);
            finishTurn(
                    address,
                    meta,
                    TurnStatus.FAILED,
                    null,
                    "turn timed out after " + allowed + " ms while waiting for " + waitingFor);
            saveMeta(address, meta);
        }
    }

    // ---- ending a turn -----------------------------------------------------------------------

    private void finishTurn(String address, SessionMeta meta, TurnStatus status, String answer, String error) {
        finishTurn(address, meta, status, answer, error, true);
    }

    private void finishTurn(
            String address, SessionMeta meta, TurnStatus status, String answer, String error, boolean startNext) {
        ActiveTurn active = meta.getActiveTurn();
        if (meta.getStatus() == SessionStatus.AWAITING_TOOLS) {
            appendToolMessages(address, meta);
        }
        deadlines.delete(SessionStores.deadlineKey(active.getDeadlineMs(), address));
        emitCompletion(
                address,
                meta.getTenant(),
                meta.getSessionId(),
                active.getTurnId(),
                active.getAgent(),
                status,
                answer,
                error,
                active.getStep() + 1,
                active.getToolCallCount(),
                active.getRequestedAtMs());
        if (status == TurnStatus.COMPLETED) {
            meta.setTurnsCompleted(meta.getTurnsCompleted() + 1);
        } else if (status == TurnStatus.FAILED) {
            meta.setTurnsFailed(meta.getTurnsFailed() + 1);
        }
        rememberTurn(meta, active.getTurnId());
        meta.setActiveTurn(null);
        meta.setStatus(SessionStatus.IDLE);
        if (startNext && !meta.getQueuedTurns().isEmpty()) {
            startTurn(address, meta, meta.getQueuedTurns().removeFirst());
        }
    }

    private void emitCompletion(
            String address,
            String tenant,
            String sessionId,
            String turnId,
            String agent,
            TurnStatus status,
            String answer,
            String error,
            int steps,
            int toolCalls,
            long requestedAtMs) {
        TurnCompleted completed = TurnCompleted.newBuilder()
                .setTenant(tenant)
                .setSessionId(sessionId)
                .setTurnId(turnId)
                .setStatus(status)
                .setAnswer(answer)
                .setError(error)
                .setAgent(agent)
                .setSteps(steps)
                .setToolCalls(toolCalls)
                .setRequestedAtMs(requestedAtMs)
                .setCompletedAtMs(now())
                .build();
        if (status != TurnStatus.COMPLETED) {
            log.info("session {} turn {} {}: {}", address, turnId, status, error);
        }
        context.forward(new Record<>(address, completed, now()), TO_RESPONSES);
    }

    // ---- state helpers -----------------------------------------------------------------------

    private SessionMeta metaOf(String address, String tenant, String sessionId) {
        SessionMeta meta = metas.get(address);
        if (meta != null) {
            return meta;
        }
        long now = now();
        return SessionMeta.newBuilder()
                .setTenant(tenant)
                .setSessionId(sessionId)
                .setFirstSequence(0)
                .setNextSequence(0)
                .setStatus(SessionStatus.IDLE)
                .setQueuedTurns(new ArrayList<>())
                .setRecentTurnIds(new ArrayList<>())
                .setCreatedAtMs(now)
                .setUpdatedAtMs(now)
                .build();
    }

    private void saveMeta(String address, SessionMeta meta) {
        meta.setUpdatedAtMs(now());
        metas.put(address, meta);
    }

    private ChatMessage.Builder message(SessionMeta meta, Role role, String turnId, String agent, long now) {
        return ChatMessage.newBuilder()
                .setSequence(meta.getNextSequence())
                .setRole(role)
                .setToolCalls(new ArrayList<>())
                .setTurnId(turnId)
                .setAgent(agent)
                .setTimestampMs(now);
    }

    /** One put per message: the changelog carries only the new message, never the history. */
    private void append(String address, SessionMeta meta, ChatMessage.Builder message) {
        messages.put(
                SessionStores.messageKey(address, meta.getNextSequence()),
                message.setSequence(meta.getNextSequence()).build());
        meta.setNextSequence(meta.getNextSequence() + 1);
    }

    private boolean hasSeen(SessionMeta meta, String turnId) {
        return meta.getRecentTurnIds().contains(turnId)
                || (meta.getActiveTurn() != null
                        && meta.getActiveTurn().getTurnId().equals(turnId))
                || meta.getQueuedTurns().stream().anyMatch(q -> q.getTurnId().equals(turnId));
    }

    private void rememberTurn(SessionMeta meta, String turnId) {
        List<String> recent = meta.getRecentTurnIds();
        recent.add(turnId);
        while (recent.size() > config.rememberedTurnIds()) {
            recent.removeFirst();
        }
    }

    private void drop(String address, SessionMeta meta, String what) {
        meta.setEventsDropped(meta.getEventsDropped() + 1);
        log.debug("session {}: dropped {}", address, what);
    }

    private void deadLetter(Record<String, SpecificRecord> record, String cause) {
        log.warn("dead letter from session topology: key {}: {}", record.key(), cause);
        context.forward(new Record<>(record.key(), deadLetterOf(record.value(), cause), now()), TO_DEAD_LETTERS);
    }

    private DeadLetter deadLetterOf(SpecificRecord value, String cause) {
        var metadata = context.recordMetadata();
        return DeadLetter.newBuilder()
                .setTopic(metadata.map(m -> m.topic()).orElse("unknown"))
                .setPartition(metadata.map(m -> m.partition()).orElse(-1))
                .setOffset(metadata.map(m -> m.offset()).orElse(-1L))
                .setValue(null)
                .setComponent("session-topology")
                .setCause(cause + (value == null ? "" : "; event: " + abbreviate(value.toString())))
                .setTimestampMs(now())
                .build();
    }

    /** Null when the event belongs to the session its key names; otherwise what is wrong. */
    private static String addressMismatch(String address, SpecificRecord event) {
        if (event == null) {
            return "record has no value";
        }
        SessionAddress parsed;
        try {
            parsed = SessionAddress.parse(address);
        } catch (IllegalArgumentException e) {
            return "invalid session address key: " + e.getMessage();
        }
        Object tenant = event.getSchema().getField("tenant") == null
                ? null
                : event.get(event.getSchema().getField("tenant").pos());
        Object session = event.getSchema().getField("sessionId") == null
                ? null
                : event.get(event.getSchema().getField("sessionId").pos());
        if (!parsed.tenant().equals(tenant) || !parsed.sessionId().equals(session)) {
            return "key " + address + " does not match the event's tenant/sessionId " + tenant + "/" + session;
        }
        return null;
    }

    private long now() {
        return context.currentSystemTimeMs();
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        throw new IllegalStateException("no value");
    }

    private static String abbreviate(String text) {
        return text == null || text.length() <= 200 ? String.valueOf(text) : text.substring(0, 200) + "...";
    }
}
