// A turn's decision trace (GET /v1/sessions/{id}/turns/{turnId}/trace) as a timeline: the latency
// breakdown, every event of the turn in causal order on one time axis, and each tool call's
// decision (dispatched, cached, refused, held, approved, denied) with its queue wait and run time.
import {api, sessionPath} from './api.js';
import {el, link, badge, table, ms} from './dom.js';

const SEGMENTS = [
  ['agentMs', 'agent', 'seg-agent'],
  ['toolMs', 'tools', 'seg-tool'],
  ['queueWaitMs', 'queue waits', 'seg-queue'],
  ['commitWaitMs', 'commit waits', 'seg-commit'],
  ['otherMs', 'other', 'seg-other'],
];

export function mount(container, {session, turnId}) {
  let stopped = false;
  const body = el('div', {id: 'trace'}, el('p', {class: 'muted'}, 'Loading the trace…'));
  container.append(
    el('h1', {}, 'Decision trace of turn ', el('span', {class: 'mono'}, turnId)),
    el('p', {}, 'Session ', link(session, 'chat', session)),
    body);
  api(sessionPath(session, 'turns', turnId, 'trace')).then(
    (trace) => {
      if (!stopped) body.replaceChildren(render(trace));
    },
    (error) => {
      if (stopped) return;
      if (error.status === 404) {
        // Either this server has no trace endpoint yet ("no route"), or it knows no such turn.
        const noRoute = /^no route/.test(error.message);
        body.replaceChildren(el('div', {class: 'notice unavailable', id: 'trace-unavailable'},
          el('b', {}, 'Trace not available. '),
          noRoute ? 'This server does not serve decision traces (GET …/turns/{turnId}/trace).'
            : 'The server has no trace of this turn.',
          el('div', {class: 'muted'}, error.message)));
      } else {
        body.replaceChildren(el('p', {class: 'notice error'}, 'Reading the trace failed: ' + error.message));
      }
    });
  return () => {
    stopped = true;
  };
}

function render(trace) {
  const start = trace.requestedAtMs ?? trace.events?.[0]?.timeMs ?? 0;
  const end = Math.max(trace.completedAtMs ?? 0, ...(trace.events ?? []).map((e) => e.timeMs ?? 0), start + 1);
  return el('div', {id: 'trace-timeline'},
    summary(trace),
    breakdown(trace.latency),
    el('h2', {}, 'Timeline'),
    timeline(trace.events ?? [], start, end),
    el('h2', {}, 'Tool calls'),
    tools(trace.tools ?? []));
}

function summary(trace) {
  const tokens = trace.tokens ? (trace.tokens.input ?? '–') + ' in, ' + (trace.tokens.output ?? '–') + ' out' : '–';
  return el('div', {class: 'cards'},
    card('status', badge(trace.status ?? 'unknown')),
    card('agent', trace.agent ?? '–'),
    card('total', ms(trace.latency?.totalMs)),
    card('events', String((trace.events ?? []).length)),
    card('tool calls', String((trace.tools ?? []).length)),
    card('tokens', tokens));
}

function card(label, value) {
  return el('div', {class: 'card'}, el('div', {class: 'muted'}, label), el('div', {class: 'big'}, value));
}

function breakdown(latency) {
  if (!latency) return null;
  const total = Math.max(1, latency.totalMs ?? SEGMENTS.reduce((n, [key]) => n + (latency[key] ?? 0), 0));
  const bar = el('div', {class: 'bar', id: 'latency-bar'});
  const legend = el('div', {class: 'legend'});
  for (const [key, label, css] of SEGMENTS) {
    const value = latency[key] ?? 0;
    const segment = el('span', {class: css, title: label + ' ' + ms(value)});
    segment.style.width = Math.max(0, (value / total) * 100).toFixed(2) + '%';
    bar.append(segment);
    legend.append(el('span', {}, el('i', {class: css}), label + ' ' + ms(value)));
  }
  return el('div', {}, el('h2', {}, 'Where the time went'), bar, legend);
}

function timeline(events, start, end) {
  if (events.length === 0) return el('p', {class: 'notice'}, 'The trace has no events.');
  const span = Math.max(1, end - start);
  return el('ol', {class: 'timeline'}, events.map((e) => {
    const at = (e.timeMs ?? start) - start;
    const dot = el('span', {class: 'dot', title: ms(at)});
    dot.style.left = Math.max(0, Math.min(100, (at / span) * 100)).toFixed(2) + '%';
    const where = [e.topic, e.partition !== undefined && e.partition !== null ? 'p' + e.partition : null,
      e.offset !== undefined && e.offset !== null ? '@' + e.offset : null].filter(Boolean).join(' ');
    const who = [e.agent ? 'agent ' + e.agent : null, e.step !== undefined && e.step !== null ? 'step ' + e.step : null,
      e.stepKind].filter(Boolean).join(', ');
    const detail = e.detail && Object.keys(e.detail).length > 0
      ? el('details', {}, el('summary', {}, 'detail'), el('pre', {}, JSON.stringify(e.detail, null, 2))) : null;
    return el('li', {class: 'event', dataset: {kind: e.kind ?? ''}},
      el('span', {class: 'when'}, '+' + ms(at)),
      el('div', {},
        el('span', {class: 'what'}, e.kind ?? 'event'), ' ',
        // The short outcome (cached, dispatched, dropped...) as a badge; the decision is a sentence.
        e.detail && e.detail.outcome ? badge(e.detail.outcome) : null, ' ',
        el('span', {class: 'muted'}, [who, where].filter(Boolean).join(' · ')),
        e.decision ? el('div', {class: 'decision'}, e.decision) : null,
        el('div', {class: 'track'}, dot),
        detail));
  }));
}

function tools(calls) {
  if (calls.length === 0) return el('p', {class: 'muted'}, 'No tool was called in this turn.');
  const longest = Math.max(1, ...calls.map((c) => (c.queueWaitMs ?? 0) + (c.durationMs ?? 0)));
  return table(['call', 'tool', 'decision', 'why', 'tier', 'worker', 'attempts', 'status', 'queue wait', 'ran', ''],
    calls.map((c) => {
      const wait = el('span', {class: 'seg-queue', title: 'queue wait ' + ms(c.queueWaitMs)});
      const run = el('span', {class: 'seg-tool', title: 'ran ' + ms(c.durationMs)});
      wait.style.left = '0%';
      wait.style.width = (((c.queueWaitMs ?? 0) / longest) * 100).toFixed(2) + '%';
      run.style.left = wait.style.width;
      run.style.width = (((c.durationMs ?? 0) / longest) * 100).toFixed(2) + '%';
      return el('tr', {class: 'trace-tool', dataset: {callId: c.callId ?? ''}},
        el('td', {class: 'mono'}, c.callId ?? ''),
        el('td', {}, c.tool ?? ''),
        el('td', {}, badge(c.decision ?? '–')),
        el('td', {}, c.reason ?? ''),
        el('td', {}, c.tier ?? '–'),
        el('td', {class: 'mono'}, c.worker ?? '–'),
        el('td', {}, c.attempts === undefined || c.attempts === null ? '–' : String(c.attempts)),
        el('td', {}, c.status ? badge(c.status) : '–', c.error ? el('div', {class: 'error'}, c.error) : null),
        el('td', {}, ms(c.queueWaitMs)),
        el('td', {}, ms(c.durationMs)),
        el('td', {class: 'gantt-cell'}, el('div', {class: 'gantt'}, wait, run)));
    }));
}
