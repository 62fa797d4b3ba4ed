package dev.skein.topologies.session;

import dev.skein.events.AgentInvocation;
import dev.skein.events.DeadLetter;
import dev.skein.events.ToolRequest;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
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

    /** Forwards to the processor's children, stamped with the task's wall-clock time. */
    static SessionOutput forwardingTo(ProcessorContext<String, SpecificRecord> context) {
        return new SessionOutput() {
            @Override
            public void invoke(SessionAddress address, AgentInvocation invocation) {
                forward(address.toString(), invocation, SessionProcessor.TO_AGENT_REQUESTS);
            }

            @Override
            public void request(ToolRequest request) {
                forward(request.getCallId(), request, SessionProcessor.TO_TOOL_REQUESTS);
            }

            @Override
            public void complete(SessionAddress address, TurnCompleted completed) {
                forward(address.toString(), completed, SessionProcessor.TO_RESPONSES);
            }

            @Override
            public void deadLetter(String key, DeadLetter letter) {
                forward(key, letter, SessionProcessor.TO_DEAD_LETTERS);
            }

            private void forward(String key, SpecificRecord value, String child) {
                context.forward(new Record<>(key, value, context.currentSystemTimeMs()), child);
            }
        };
    }
}
