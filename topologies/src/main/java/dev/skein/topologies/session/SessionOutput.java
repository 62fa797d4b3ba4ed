package dev.skein.topologies.session;

import dev.skein.events.AgentDelta;
import dev.skein.events.AgentInvocation;
import dev.skein.events.DeadLetter;
import dev.skein.events.DeltaKind;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.ToolRequest;
import dev.skein.events.TraceEntry;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import dev.skein.topologies.tracing.TopologySpans;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What the session state machine emits. In the topology each kind goes to its child node of
 * {@link SessionProcessor} (the names are persisted in the topology: never rename one); tests of
 * the parts of the state machine record them instead.
 */
interface SessionOutput {

    /** Asks the session's agent for its next step, keyed by session address. */
    void invoke(SessionAddress address, AgentInvocation invocation);

    /** Sends a tool call to its tier's topic, keyed by call id (each call is its own unit of work). */
    void request(ToolRequest request);

    /** Reports how a turn ended, keyed by session address. */
    void complete(SessionAddress address, TurnCompleted completed);

    /** Sends a record the state machine cannot take to the dead-letter topic, under its own key. */
    void deadLetter(String key, DeadLetter letter);

    /**
     * Explains a decision that emits no record of its own (a call answered from the cache, refused
     * or held, a turn queued) in the turn's decision trace ({@link TraceRecorder}); nothing elsewhere.
     */
    default void explain(SessionAddress address, String turnId, TraceEntry.Builder entry) {}

    /**
     * Forwards to the processor's children, stamped with the task's wall-clock time. A turn's first
     * invocation and its completion are also written to {@code skein.deltas} as
     * {@link DeltaKind#TURN_STARTED} and {@link DeltaKind#TURN_COMPLETED}, in the same transaction
     * as the rest: a session's stream is then one partition of one topic, and a client's position
     * in it is a partition and an offset (docs/architecture.md, "Streams and positions").
     */
    static SessionOutput forwardingTo(ProcessorContext<String, SpecificRecord> context) {
        return new SessionOutput() {
            @Override
            public void invoke(SessionAddress address, AgentInvocation invocation) {
                // A summary or an extraction is no turn: a session's stream shows only its turns.
                if (invocation.getStep() == 0
                        && invocation.getAttempt() == 1
                        && invocation.getPurpose() != InvocationPurpose.SUMMARY
                        && invocation.getPurpose() != InvocationPurpose.EXTRACT) {
                    forward(address.toString(), marker(invocation, DeltaKind.TURN_STARTED), SessionProcessor.TO_DELTAS);
                }
                forward(address.toString(), invocation, SessionProcessor.TO_AGENT_REQUESTS);
            }

            @Override
            public void request(ToolRequest request) {
                forward(request.getCallId(), request, SessionProcessor.TO_TOOL_REQUESTS);
            }

            @Override
            public void complete(SessionAddress address, TurnCompleted completed) {
                if (completed.getTraceId() == null) {
                    completed.setTraceId(TopologySpans.traceId());
                }
                forward(address.toString(), completed, SessionProcessor.TO_RESPONSES);
                AgentDelta end = AgentDelta.newBuilder()
                        .setTenant(completed.getTenant())
                        .setSessionId(completed.getSessionId())
                        .setTurnId(completed.getTurnId())
                        .setStep(Math.max(0, completed.getSteps() - 1))
                        .setKind(DeltaKind.TURN_COMPLETED)
                        .setAgent(completed.getAgent())
                        .setTimestampMs(completed.getCompletedAtMs())
                        .setCompletion(completed)
                        .build();
                forward(address.toString(), end, SessionProcessor.TO_DELTAS);
            }

            @Override
            public void deadLetter(String key, DeadLetter letter) {
                forward(key, letter, SessionProcessor.TO_DEAD_LETTERS);
            }

            private AgentDelta marker(AgentInvocation invocation, DeltaKind kind) {
                return AgentDelta.newBuilder()
                        .setTenant(invocation.getTenant())
                        .setSessionId(invocation.getSessionId())
                        .setTurnId(invocation.getTurnId())
                        .setStep(0)
                        .setKind(kind)
                        .setAgent(invocation.getAgent())
                        .setTimestampMs(invocation.getRequestedAtMs())
                        .build();
            }

            private void forward(String key, SpecificRecord value, String child) {
                context.forward(TopologySpans.traced(new Record<>(key, value, context.currentSystemTimeMs())), child);
            }
        };
    }
}
