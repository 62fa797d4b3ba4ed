package dev.skein.ingress;

import dev.skein.events.TraceEntry;
import dev.skein.events.TurnTrace;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON of a turn's decision trace ({@code GET /v1/sessions/:id/turns/:turnId/trace}): the
 * entries the session topology recorded, as they are, then two views derived from them, one row per
 * tool call and the turn's latency cut into its parts. Field names are an API (docs/api.md,
 * "Decision trace"): add, never rename.
 */
final class TraceJson {

    private TraceJson() {}

    static JsonObject of(TurnTrace trace) {
        List<TraceEntry> entries = trace.getEntries();
        JsonArray events = new JsonArray();
        for (int i = 0; i < entries.size(); i++) {
            events.add(event(i, entries.get(i)));
        }
        return new JsonObject()
                .put("tenant", trace.getTenant())
                .put("sessionId", trace.getSessionId())
                .put("turnId", trace.getTurnId())
                .put("status", trace.getStatus() == null ? "RUNNING" : trace.getStatus())
                .put("agent", trace.getAgent())
                .put("requestedAtMs", trace.getRequestedAtMs())
                .put("completedAtMs", trace.getCompletedAtMs())
                .put("events", events)
                .put("tools", tools(entries))
                .put("latency", latency(trace, entries))
                .put("tokens", tokens(entries));
    }

    private static JsonObject event(int index, TraceEntry e) {
        JsonObject detail = new JsonObject();
        e.getDetail().forEach((k, v) -> detail.put(k.toString(), v == null ? null : v.toString()));
        putIfSet(detail, "outcome", e.getOutcome());
        putIfSet(detail, "offsetExact", e.getOffsetExact());
        putIfSet(detail, "recordTimeMs", e.getRecordTimeMs());
        putIfSet(detail, "producedAtMs", e.getProducedAtMs());
        putIfSet(detail, "startedAtMs", e.getStartedAtMs());
        putIfSet(detail, "attempt", e.getAttempt());
        putIfSet(detail, "callId", e.getCallId());
        putIfSet(detail, "tool", e.getTool());
        putIfSet(detail, "tier", e.getTier());
        putIfSet(detail, "worker", e.getWorker());
        putIfSet(detail, "attempts", e.getAttempts());
        putIfSet(detail, "deliveryCount", e.getDeliveryCount());
        putIfSet(detail, "status", e.getStatus());
        putIfSet(detail, "error", e.getError());
        putIfSet(detail, "durationMs", e.getDurationMs());
        putIfSet(detail, "inputTokens", e.getInputTokens());
        putIfSet(detail, "outputTokens", e.getOutputTokens());
        return new JsonObject()
                .put("index", index)
                .put("kind", e.getKind())
                .put("topic", e.getTopic())
                .put("partition", e.getPartition())
                .put("offset", e.getOffset())
                .put("timeMs", e.getTimeMs())
                .put("agent", e.getAgent())
                .put("step", e.getStep())
                .put("stepKind", e.getStepKind())
                .put("detail", detail)
                .put("decision", e.getDecision());
    }

    /** One row per call, in the order the agent asked for them, with the decision that settled it. */
    private static JsonArray tools(List<TraceEntry> entries) {
        Map<String, JsonObject> calls = new LinkedHashMap<>();
        Map<String, Long> dispatchedAt = new HashMap<>();
        for (TraceEntry e : entries) {
            if (e.getCallId() == null || dropped(e)) {
                continue;
            }
            JsonObject call = calls.computeIfAbsent(
                    e.getCallId(),
                    id -> new JsonObject()
                            .put("callId", id)
                            .put("tool", e.getTool())
                            .put("decision", null)
                            .put("reason", null)
                            .put("tier", null)
                            .put("worker", null)
                            .put("attempts", null)
                            .put("status", null)
                            .put("error", null)
                            .put("queueWaitMs", null)
                            .put("durationMs", null)
                            .put("step", e.getStep()));
            switch (e.getKind()) {
                case "tool-call", "tool-requested" -> {
                    if (ranks(e.getOutcome()) >= ranks(call.getString("decision"))) {
                        call.put("decision", e.getOutcome()).put("reason", e.getDecision());
                    }
                    if (e.getTier() != null) {
                        call.put("tier", e.getTier());
                        dispatchedAt.put(e.getCallId(), e.getTimeMs());
                    }
                    if (e.getWorker() != null) {
                        call.put("worker", e.getWorker());
                    }
                }
                case "tool-result" -> {
                    if (call.getString("status") == null) {
                        call.put("worker", e.getWorker())
                                .put("attempts", e.getAttempts())
                                .put("status", e.getStatus())
                                .put("error", e.getError())
                                .put("durationMs", e.getDurationMs());
                        Long sent = dispatchedAt.get(e.getCallId());
                        Long started = startOf(e);
                        call.put("queueWaitMs", sent == null || started == null ? null : Math.max(0, started - sent));
                    }
                }
                default -> {}
            }
        }
        return new JsonArray(new ArrayList<>(calls.values()));
    }

    /**
     * Which decision on a call settles it when there are several: a held call is then approved or
     * denied; an approved one is then dispatched, and stays "approved".
     */
    private static int ranks(String outcome) {
        if (outcome == null) {
            return -1;
        }
        return switch (outcome) {
            case "denied", "approved" -> 3;
            case "held" -> 2;
            default -> 1;
        };
    }

    /**
     * The turn's time, cut along its critical path: the waits of its records in queues (the turn
     * behind others of its session, invocations in agent-requests, calls in their tier's topic),
     * the agents' and tools' own time, commit waits (from a record's production to the topology
     * taking it: its producer's transaction and the task's poll), approval waits, and the rest.
     */
    private static JsonObject latency(TurnTrace trace, List<TraceEntry> entries) {
        long queue = 0;
        long agent = 0;
        long tool = 0;
        long commit = 0;
        long approval = 0;
        Long requested = null;
        Long lastInvoked = null;
        Map<String, Long> sent = new HashMap<>();
        Map<String, Long> held = new HashMap<>();
        Map<Integer, TraceEntry> lastResultOfStep = new LinkedHashMap<>();
        for (TraceEntry e : entries) {
            if (dropped(e)) {
                continue;
            }
            switch (e.getKind()) {
                case "turn-requested" -> {
                    requested = e.getTimeMs();
                    commit += since(e.getProducedAtMs(), e.getTimeMs());
                }
                case "agent-invoked" -> {
                    if (lastInvoked == null && requested != null) {
                        queue += Math.max(0, e.getTimeMs() - requested);
                    }
                    lastInvoked = e.getTimeMs();
                }
                case "agent-step" -> {
                    if (lastInvoked != null && e.getStartedAtMs() != null) {
                        queue += since(lastInvoked, e.getStartedAtMs());
                        agent += since(e.getStartedAtMs(), e.getProducedAtMs());
                    } else if (lastInvoked != null) {
                        agent += since(lastInvoked, e.getProducedAtMs());
                    }
                    commit += since(e.getProducedAtMs(), e.getTimeMs());
                }
                case "tool-call" -> {
                    if ("held".equals(e.getOutcome())) {
                        held.put(e.getCallId(), e.getTimeMs());
                    } else if (held.containsKey(e.getCallId())) {
                        approval += since(held.get(e.getCallId()), e.getTimeMs());
                    }
                }
                case "tool-requested" -> sent.put(e.getCallId(), e.getTimeMs());
                case "tool-result" -> lastResultOfStep.put(e.getStep(), e);
                default -> {}
            }
        }
        // Calls of one step run side by side: the one whose result came last held the turn up.
        for (TraceEntry last : lastResultOfStep.values()) {
            Long dispatched = sent.get(last.getCallId());
            Long started = startOf(last);
            if (dispatched != null && started != null) {
                queue += since(dispatched, started);
                tool += since(started, last.getProducedAtMs());
            }
            commit += since(last.getProducedAtMs(), last.getTimeMs());
        }
        Long total = trace.getRequestedAtMs() == null || trace.getCompletedAtMs() == null
                ? null
                : trace.getCompletedAtMs() - trace.getRequestedAtMs();
        return new JsonObject()
                .put("totalMs", total)
                .put("agentMs", agent)
                .put("toolMs", tool)
                .put("queueWaitMs", queue)
                .put("commitWaitMs", commit)
                .put("approvalWaitMs", approval)
                .put("otherMs", total == null ? null : total - agent - tool - queue - commit - approval);
    }

    private static JsonObject tokens(List<TraceEntry> entries) {
        Long input = null;
        Long output = null;
        for (TraceEntry e : entries) {
            if ("agent-step".equals(e.getKind()) && !dropped(e)) {
                input = add(input, e.getInputTokens());
                output = add(output, e.getOutputTokens());
            }
        }
        return new JsonObject().put("input", input).put("output", output);
    }

    /** When a worker started a call: echoed, else its completion less its duration. */
    private static Long startOf(TraceEntry result) {
        if (result.getStartedAtMs() != null) {
            return result.getStartedAtMs();
        }
        return result.getProducedAtMs() == null || result.getDurationMs() == null
                ? null
                : result.getProducedAtMs() - result.getDurationMs();
    }

    private static boolean dropped(TraceEntry e) {
        return "dropped".equals(e.getOutcome());
    }

    /** The time from {@code from} to {@code to}; 0 when either is unknown or the clocks disagree. */
    private static long since(Long from, Long to) {
        return from == null || to == null || from <= 0 || to <= 0 ? 0 : Math.max(0, to - from);
    }

    /** A sum that stays null (unknown) until some step reports its tokens. */
    private static Long add(Long sum, Long value) {
        if (value == null) {
            return sum;
        }
        return sum == null ? value : Long.valueOf(sum + value);
    }

    private static void putIfSet(JsonObject json, String key, Object value) {
        if (value != null) {
            json.put(key, value);
        }
    }
}
