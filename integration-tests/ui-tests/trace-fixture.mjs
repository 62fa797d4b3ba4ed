// A decision trace in the shape GET /v1/sessions/{id}/turns/{turnId}/trace answers (issue 15):
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
      event(0, 'TURN_REQUESTED', 'skein.turns', 10, 0),
      event(1, 'AGENT_REQUESTED', 'skein.agent-requests', 11, 8),
      event(2, 'AGENT_STEP', 'skein.agent-steps', 12, 60, {stepKind: 'TOOL_CALLS', detail: {calls: 2}}),
      event(3, 'TOOL_CACHED', 'skein.tools.small', 13, 70, {decision: 'cached', detail: {callId: 'c1', note: HOSTILE}}),
      event(4, 'TOOL_DISPATCHED', 'skein.tools.small', 14, 72, {decision: 'dispatched', detail: {callId: 'c2'}}),
      event(5, 'TOOL_RESULT', 'skein.tool-results', 15, 300, {detail: {callId: 'c2', attempt: 2}}),
      event(6, 'AGENT_STEP', 'skein.agent-steps', 16, 380, {step: 1, stepKind: 'FINAL'}),
      event(7, 'TURN_COMPLETED', 'skein.responses', 17, 420),
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
