package dev.skein.topologies.session;

import dev.skein.events.AgentInvocation;
import dev.skein.events.DeadLetter;
import dev.skein.events.ToolRequest;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A {@link SessionOutput} that keeps what the state machine emits, for tests to read. */
final class RecordingOutput implements SessionOutput {

    final List<AgentInvocation> invocations = new ArrayList<>();
    final List<ToolRequest> requests = new ArrayList<>();
    final List<TurnCompleted> completions = new ArrayList<>();
    final List<Map.Entry<String, DeadLetter>> deadLetters = new ArrayList<>();

    @Override
    public void invoke(SessionAddress address, AgentInvocation invocation) {
        requireOwnSession(address, invocation.getTenant(), invocation.getSessionId());
        invocations.add(invocation);
    }

    @Override
    public void request(ToolRequest request) {
        requests.add(request);
    }

    @Override
    public void complete(SessionAddress address, TurnCompleted completed) {
        requireOwnSession(address, completed.getTenant(), completed.getSessionId());
        completions.add(completed);
    }

    @Override
    public void deadLetter(String key, DeadLetter letter) {
        deadLetters.add(Map.entry(key, letter));
    }

    AgentInvocation lastInvocation() {
        return invocations.getLast();
    }

    TurnCompleted lastCompletion() {
        return completions.getLast();
    }

    /** Forgets what was emitted so far, so a test reads only what the next event causes. */
    void clear() {
        invocations.clear();
        requests.clear();
        completions.clear();
        deadLetters.clear();
    }

    // An event keyed by one session but about another would reach the wrong client.
    private static void requireOwnSession(SessionAddress address, String tenant, String sessionId) {
        if (!address.equals(new SessionAddress(tenant, sessionId))) {
            throw new AssertionError("event for " + tenant + "/" + sessionId + " emitted under key " + address);
        }
    }
}
