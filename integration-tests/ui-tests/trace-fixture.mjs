// A decision trace in the shape (kinds, outcomes in detail.outcome, decisions as sentences) GET /v1/sessions/{id}/turns/{turnId}/trace answers (issue 15):
// two tool calls, one cached and one retried, and hostile text where the server's text goes.
export const HOSTILE = '<img src=x onerror="window.__pwned=3">';

export function traceOf(session, turnId) {
  const t0 = 1764590000000;
  const event = (index, kind, topic, offset, dt, extra = {}) => ({
    index, kind, topic, partition: 1, offset, timeMs: t0 + dt, agent: 'demo', step: 0, stepKind: null,
    detail: {}, decision: null, ...extra,
  });
  return {
    tenant: 'acme', sessionId: session, turnId, status: 'COMPLETED', agent: 'demo',
    requestedAtMs: t0, completedAtMs: t0 + 420,
    events: [
      event(0, 'turn-requested', 'skein.turns', 10, 0),
      event(1, 'agent-invoked', 'skein.agent-requests', 11, 8),
      event(2, 'agent-step', 'skein.agent-steps', 12, 60, {stepKind: 'TOOL_CALLS', detail: {calls: 2}}),
      event(3, 'tool-call', null, null, 70, {decision: 'calculator answered from the result cache ' + HOSTILE, detail: {outcome: 'cached', callId: 'c1'}}),
      event(4, 'tool-requested', 'skein.tools.small', 14, 72, {decision: 'count_primes dispatched to tier small', detail: {outcome: 'dispatched', callId: 'c2'}}),
      event(5, 'tool-result', 'skein.tool-results', 15, 300, {detail: {callId: 'c2', attempt: 2}}),
      event(6, 'agent-step', 'skein.agent-steps', 16, 380, {step: 1, stepKind: 'FINAL'}),
      event(7, 'turn-completed', 'skein.responses', 17, 420),
    ],
    tools: [
      {callId: 'c1', tool: 'calculator', decision: 'cached', reason: 'same arguments within the cache TTL', tier: 'small',
        worker: 'w1', attempts: 0, status: 'OK', error: null, queueWaitMs: 0, durationMs: 0, step: 0},
      {callId: 'c2', tool: 'count_primes', decision: 'dispatched', reason: HOSTILE, tier: 'small', worker: 'w2',
        attempts: 2, status: 'OK', error: 'attempt 1: ' + HOSTILE, queueWaitMs: 40, durationMs: 180, step: 0},
    ],
    latency: {totalMs: 420, agentMs: 110, toolMs: 180, queueWaitMs: 40, commitWaitMs: 50, otherMs: 40},
    tokens: {input: 120, output: 14},
  };
}
