package dev.skein.topologies.session;

import dev.skein.events.ActiveTurn;
import dev.skein.events.AgentStep;
import dev.skein.events.PendingExtraction;
import dev.skein.events.SessionMeta;
import dev.skein.events.StepKind;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.TraceEntry;
import dev.skein.schemas.ExtractionRequests;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import dev.skein.topologies.routing.TierRouter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory extraction after each completed turn (docs/memory.md). In the pass that completes the
 * turn, the extractor agent is invoked like any agent (purpose EXTRACT, turn id {@code
 * extract~<turnId>}) with the turn as a transcript; its answer's memories become {@code remember}
 * calls on the memory tools' tier, whose call ids (the memories' ids) are derived from the session,
 * the turn and each memory's place in the answer ({@link ExtractionRequests#callId}). Taking the
 * same answer twice therefore writes the same memories again, and a redelivered call rewrites its
 * one memory: nothing is lost at a crash (every step is a record in the log, taken under
 * exactly-once) and nothing is duplicated.
 *
 * <p>An extraction is no turn: the session's next turn starts at once, nothing is added to its
 * history or its stream, and it gets no completion. It is recorded in the extracted turn's
 * decision trace and counted ({@link ExtractionCounts}). A failed one (the agent's error after its
 * attempts, an answer without JSON, no tier serving {@code remember}) is given up, logged with its
 * cause and dead-lettered; one that has not finished within its timeout is given up when the
 * session next takes an event; a session holds at most {@link #MAX_PENDING}.
 */
final class Extractions {

    /** What a session's decision trace calls the entries of its extractions. */
    static final String TRACE_KIND = "memory-extraction";
    /** Extractions one session may have outstanding; the oldest is given up for a new one. */
    static final int MAX_PENDING = 8;

    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);
    private static final String REMEMBER = "remember";

    /** Where an event that ends an extraction as failed goes: the dead letters, with its cause. */
    @FunctionalInterface
    interface Rejected {
        Rejected NONE = (address, event, cause) -> {};

        void reject(SessionAddress address, SpecificRecord event, String cause);
    }

    private final SessionTopologyConfig config;
    private final ExtractionSettings settings;
    private final Sessions sessions;
    private final ToolCatalog catalog;
    private final TierRouter router;
    private final SessionOutput output;
    private final ExtractionCounts counts;
    private final Rejected rejected;
    private final ToolArguments arguments = new ToolArguments();

    Extractions(
            SessionTopologyConfig config,
            Sessions sessions,
            ToolCatalog catalog,
            TierRouter router,
            SessionOutput output,
            ExtractionCounts counts,
            Rejected rejected) {
        this.config = config;
        this.settings = config.extraction();
        this.sessions = sessions;
        this.catalog = catalog;
        this.router = router;
        this.output = output;
        this.counts = counts;
        this.rejected = rejected;
    }

    /**
     * A turn has completed with an answer (its messages are in the history): asks the extractor
     * for its memories, when extraction is on for the turn's agent, the turn has a user, and the
     * tenant may use {@code remember}. A turn without a user is not extracted from: its memories
     * would be the tenant's shared ones, read by every user.
     */
    void afterTurn(Session session, ActiveTurn turn) {
        SessionMeta meta = session.meta();
        if (!settings.extractsFrom(turn.getAgent()) || turn.getUserId() == null) {
            return;
        }
        TenantAccess.Rules rules = config.access().of(meta.getTenant());
        if (!rules.allowsTool(REMEMBER)) {
            log.debug("session {}: no extraction, tenant may not use {}", session.address(), REMEMBER);
            return;
        }
        expire(session);
        long through = meta.getNextSequence() - 1;
        long from = ExtractionPrompt.firstOfTurn(session, turn.getTurnId());
        List<PendingExtraction> pending = pendingOf(meta);
        while (pending.size() >= MAX_PENDING) {
            PendingExtraction oldest = pending.removeFirst();
            giveUp(session, oldest, "given up for a newer one: the session has " + MAX_PENDING + " outstanding");
        }
        PendingExtraction extraction = PendingExtraction.newBuilder()
                .setTurnId(turn.getTurnId())
                .setAgent(settings.agent())
                .setUserId(turn.getUserId())
                .setFromSequence(from)
                .setThroughSequence(through)
                .setRequestedAtMs(sessions.now())
                .setAttempt(1)
                .setWriting(new ArrayList<>())
                .build();
        pending.add(extraction);
        counts.count(ExtractionCounts.REQUESTED);
        explain(
                session,
                extraction,
                "requested",
                null,
                "memories of messages " + from + ".." + through + " asked of extractor '" + settings.agent()
                        + "' for user " + turn.getUserId());
        invoke(session, extraction);
    }

    /** The extractor's step: its FINAL answer's memories become remember calls; an error is retried or given up. */
    void onStep(SessionAddress address, AgentStep step) {
        Session session = sessions.find(address).orElse(null);
        if (session == null) {
            return;
        }
        expire(session);
        PendingExtraction extraction = find(session, ExtractionRequests.sourceTurn(step.getTurnId()));
        if (extraction == null || !extraction.getWriting().isEmpty()) {
            // Answered already (a redelivered step), or given up: its memories are written once.
            session.drop("stale extraction step " + step.getTurnId());
        } else if (step.getKind() == StepKind.ERROR) {
            if (step.getRetryable() && extraction.getAttempt() < config.maxAgentAttempts()) {
                extraction.setAttempt(extraction.getAttempt() + 1);
                log.info(
                        "session {}: extraction from turn {} failed ('{}'), attempt {} of {}",
                        address,
                        extraction.getTurnId(),
                        step.getError(),
                        extraction.getAttempt(),
                        config.maxAgentAttempts());
                invoke(session, extraction);
            } else {
                fail(session, extraction, step, "extractor '" + step.getAgent() + "' failed: " + step.getError());
            }
        } else if (step.getKind() != StepKind.FINAL) {
            fail(
                    session,
                    extraction,
                    step,
                    "extractor '" + step.getAgent() + "' asked for " + step.getKind()
                            + "; an extractor answers with the memories' JSON and calls no tools");
        } else {
            write(session, extraction, step);
        }
        session.save();
    }

    /** A remember call's result: the extraction is done when every call has answered. */
    void onResult(SessionAddress address, ToolResult result) {
        Session session = sessions.find(address).orElse(null);
        if (session == null) {
            return;
        }
        expire(session);
        PendingExtraction extraction = find(session, ExtractionRequests.sourceTurn(result.getTurnId()));
        if (extraction == null || !extraction.getWriting().contains(result.getCallId())) {
            session.drop("stale or duplicate extraction result " + result.getCallId());
            session.save();
            return;
        }
        List<String> writing = new ArrayList<>(extraction.getWriting());
        writing.remove(result.getCallId());
        extraction.setWriting(writing);
        if (result.getStatus() == ToolStatus.OK) {
            counts.count(ExtractionCounts.WRITTEN);
            explain(session, extraction, "written", result.getCallId(), "memory " + result.getCallId() + " written");
        } else {
            counts.count(ExtractionCounts.WRITE_FAILED);
            log.warn(
                    "session {}: memory {} extracted from turn {} not written: {}",
                    address,
                    result.getCallId(),
                    extraction.getTurnId(),
                    result.getOutput());
            explain(
                    session,
                    extraction,
                    "write-failed",
                    result.getCallId(),
                    "memory " + result.getCallId() + " not written: " + result.getOutput());
        }
        if (writing.isEmpty()) {
            pendingOf(session.meta()).remove(extraction);
        }
        session.save();
    }

    private void write(Session session, PendingExtraction extraction, AgentStep step) {
        ExtractionAnswer answer;
        try {
            answer = ExtractionAnswer.parse(step.getContent());
        } catch (IllegalArgumentException e) {
            fail(
                    session,
                    extraction,
                    step,
                    "extractor '" + step.getAgent() + "' answered no memories JSON: " + e.getMessage());
            return;
        }
        List<String> memories = answer.rememberArguments();
        if (memories.isEmpty()) {
            pendingOf(session.meta()).remove(extraction);
            explain(
                    session,
                    extraction,
                    "nothing",
                    null,
                    "the extractor found nothing to remember"
                            + (answer.skipped() == 0 ? "" : " (" + answer.skipped() + " malformed memories skipped)"));
            return;
        }
        ToolDefinition tool = catalog.tool(REMEMBER);
        long now = sessions.now();
        TierRouter.Route route = tool == null
                ? new TierRouter.Route.Refused("no live worker offers the remember tool (skein.memory.enabled)")
                : router.route(REMEMBER, tool.getResources(), catalog.workers(), now);
        if (route instanceof TierRouter.Route.Refused refused) {
            fail(
                    session,
                    extraction,
                    step,
                    "memories extracted from turn " + extraction.getTurnId() + " cannot be written: "
                            + refused.reason());
            return;
        }
        String tier = ((TierRouter.Route.Tier) route).name();
        SessionAddress address = session.address();
        List<String> writing = new ArrayList<>();
        int skipped = answer.skipped();
        int left = Math.max(0, memories.size() - settings.maxMemories());
        for (int i = 0; i < memories.size() - left; i++) {
            String callId = ExtractionRequests.callId(address.sessionId(), extraction.getTurnId(), i + 1);
            if (arguments.problem(tool, memories.get(i)) != null) {
                skipped++;
                continue;
            }
            writing.add(callId);
            output.request(ToolRequest.newBuilder()
                    .setTenant(address.tenant())
                    .setSessionId(address.sessionId())
                    .setTurnId(ExtractionRequests.turnId(extraction.getTurnId()))
                    .setStep(0)
                    .setCallId(callId)
                    .setTool(REMEMBER)
                    .setArgumentsJson(memories.get(i))
                    .setTier(tier)
                    .setResources(tool.getResources())
                    .setDeadlineMs(
                            extraction.getRequestedAtMs() + settings.timeout().toMillis())
                    .setRequestedAtMs(now)
                    .setUserId(extraction.getUserId())
                    .build());
        }
        String why = writing.size() + " memories sent to tier " + tier
                + (skipped == 0 ? "" : "; " + skipped + " malformed ones skipped")
                + (left == 0 ? "" : "; " + left + " over max-memories left out");
        if (writing.isEmpty()) {
            pendingOf(session.meta()).remove(extraction);
        } else {
            extraction.setWriting(writing);
        }
        explain(session, extraction, "answered", null, why);
    }

    /** The extraction's invocation, its transcript read from the history again at each attempt. */
    private void invoke(Session session, PendingExtraction extraction) {
        output.invoke(
                session.address(),
                ExtractionPrompt.invocation(
                        session,
                        extraction,
                        config.context().budgetOf(extraction.getAgent()),
                        extraction.getRequestedAtMs() + settings.timeout().toMillis(),
                        sessions.now()));
    }

    /** Gives up the extractions of the session that have not finished within the timeout. */
    private void expire(Session session) {
        long now = sessions.now();
        List<PendingExtraction> pending = pendingOf(session.meta());
        for (PendingExtraction extraction : List.copyOf(pending)) {
            if (now - extraction.getRequestedAtMs() >= settings.timeout().toMillis()) {
                pending.remove(extraction);
                giveUp(session, extraction, "not finished within " + settings.timeout());
            }
        }
    }

    private void fail(Session session, PendingExtraction extraction, AgentStep step, String cause) {
        pendingOf(session.meta()).remove(extraction);
        giveUp(session, extraction, cause);
        rejected.reject(session.address(), step, cause);
    }

    private void giveUp(Session session, PendingExtraction extraction, String cause) {
        counts.count(ExtractionCounts.FAILED);
        log.warn("session {}: extraction from turn {} given up: {}", session.address(), extraction.getTurnId(), cause);
        explain(session, extraction, "failed", null, cause);
    }

    private void explain(Session session, PendingExtraction extraction, String outcome, String callId, String why) {
        output.explain(
                session.address(),
                extraction.getTurnId(),
                TraceEntry.newBuilder()
                        .setKind(TRACE_KIND)
                        .setOutcome(outcome)
                        .setAgent(extraction.getAgent())
                        .setAttempt(extraction.getAttempt())
                        .setTimeMs(0)
                        .setDecision(why)
                        // Not the entry's callId: the trace's tool rows are the turn's own calls.
                        .setDetail(callId == null ? new LinkedHashMap<>() : Map.of("memoryId", callId)));
    }

    private static PendingExtraction find(Session session, String turnId) {
        return pendingOf(session.meta()).stream()
                .filter(p -> p.getTurnId().equals(turnId))
                .findFirst()
                .orElse(null);
    }

    /** The session's list, made one of our own (a stored meta's Avro array cannot remove). */
    private static List<PendingExtraction> pendingOf(SessionMeta meta) {
        if (!(meta.getPendingExtractions() instanceof ArrayList<PendingExtraction>)) {
            meta.setPendingExtractions(new ArrayList<>(meta.getPendingExtractions()));
        }
        return meta.getPendingExtractions();
    }
}
