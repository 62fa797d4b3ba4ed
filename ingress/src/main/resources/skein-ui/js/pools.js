// Live pools: each tier's workers, queue depth, tasks and utilisation (the tier gauges of
// GET /metrics), every worker's capabilities and load (GET /v1/workers), and the tools
// (GET /v1/tools). Refreshed every few seconds while the view is open.
import {api} from './api.js';
import {el, badge, meter, table, bytes, ago} from './dom.js';
import {parseSamples, byLabel} from './prometheus.js';

const REFRESH_MS = 2000;
const RESOURCES = ['cpus', 'gpus', 'memory'];

export function mount(container) {
  let stopped = false;
  let timer = null;
  const updated = el('span', {class: 'muted', id: 'pools-updated'});
  const tiersBox = el('div', {id: 'tiers'});
  const workersBox = el('div', {id: 'workers'});
  const toolsBox = el('div', {id: 'tools'});
  container.append(el('div', {class: 'row'}, el('h1', {}, 'Pools'), updated),
    el('h2', {}, 'Tiers'), tiersBox, el('h2', {}, 'Workers'), workersBox, el('h2', {}, 'Tools'), toolsBox);

  async function refresh() {
    try {
      await show();
    } finally {
      if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  async function show() {
    const [workers, tools, metrics] = await Promise.allSettled([
      api('/v1/workers'), api('/v1/tools'), api('/metrics', {text: true})]);
    if (stopped) return;
    const samples = metrics.status === 'fulfilled' ? parseSamples(metrics.value) : null;
    const workerList = workers.status === 'fulfilled' ? workers.value.workers : null;
    tiersBox.replaceChildren(tiers(samples, workerList, metrics.reason));
    workersBox.replaceChildren(workerList ? workersTable(workerList) : failed('workers', workers.reason));
    toolsBox.replaceChildren(tools.status === 'fulfilled' ? toolsTable(tools.value.tools) : failed('tools', tools.reason));
    updated.textContent = 'updated ' + new Date().toLocaleTimeString();
  }

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function failed(what, error) {
  return el('p', {class: 'notice error'}, 'The ' + what + ' cannot be read: ' + (error?.message ?? 'unknown error'));
}

/** One card per tier: from the tier gauges when /metrics answers, else from the heartbeats alone. */
function tiers(samples, workers, metricsError) {
  const fromMetrics = samples !== null && samples.some((s) => s.name === 'skein_tier_workers_live');
  // Tiers in the order the workers list them (smallest first, as configured), then any other the gauges name.
  const names = new Set();
  for (const w of workers ?? []) (w.tiers ?? []).forEach((t) => names.add(t));
  const depth = samples ? byLabel(samples, 'skein_tier_queue_depth', 'tier') : {};
  const live = samples ? byLabel(samples, 'skein_tier_workers_live', 'tier') : {};
  const inFlight = samples ? byLabel(samples, 'skein_tier_tasks_in_flight', 'tier') : {};
  const admitted = samples ? byLabel(samples, 'skein_tier_tasks_admitted', 'tier') : {};
  Object.keys(live).forEach((t) => names.add(t));
  Object.keys(depth).forEach((t) => names.add(t));
  const cards = [...names].map((tier) => {
    const serving = (workers ?? []).filter((w) => w.live && (w.tiers ?? []).includes(tier));
    const utilisation = fromMetrics ? metricUtilisation(samples, tier) : heartbeatUtilisation(serving);
    return el('div', {class: 'card tier', dataset: {tier}},
      el('div', {class: 'muted'}, 'tier'), el('div', {class: 'big'}, tier),
      el('div', {}, 'live workers: ', el('b', {class: 'live-workers'}, String(fromMetrics ? live[tier] ?? 0 : serving.length))),
      el('div', {}, 'queue depth: ', el('b', {class: 'queue-depth'}, fromMetrics ? number(depth[tier]) : 'n/a')),
      el('div', {}, 'tasks in flight: ', el('b', {}, fromMetrics ? number(inFlight[tier]) :
        String(serving.reduce((n, w) => n + (w.inFlight ?? 0), 0)))),
      fromMetrics ? el('div', {}, 'admitted: ', el('b', {}, number(admitted[tier]))) : null,
      Object.entries(utilisation).map(([resource, share]) =>
        el('div', {}, meter(share), ' ', resource, ' ', Number.isFinite(share) ? Math.round(share * 100) + '%' : 'n/a')));
  });
  const agentDepth = samples ? byLabel(samples, 'skein_agents_queue_depth', 'group') : {};
  const agents = Object.entries(agentDepth).map(([group, value]) =>
    el('div', {class: 'card'}, el('div', {class: 'muted'}, 'agent runners ' + group),
      el('div', {}, 'queue depth: ', el('b', {}, number(value)))));
  const note = fromMetrics ? null : el('p', {class: 'muted'}, 'Queue depths come from /metrics, which ' +
    (metricsError ? 'answered: ' + metricsError.message : 'has no tier gauges on this instance') + '; the rest is from heartbeats.');
  if (cards.length === 0 && agents.length === 0) {
    return el('div', {}, note, el('p', {class: 'notice'}, 'No tier has a worker yet.'));
  }
  return el('div', {}, note, el('div', {class: 'cards'}, cards, agents));
}

function metricUtilisation(samples, tier) {
  const shares = {};
  for (const s of samples) {
    if (s.name === 'skein_tier_resource_utilisation' && s.labels.tier === tier) shares[s.labels.resource] = s.value;
  }
  return shares;
}

function heartbeatUtilisation(workers) {
  const shares = {};
  for (const resource of RESOURCES) {
    const key = resource === 'memory' ? 'memoryBytes' : resource;
    const offered = workers.reduce((n, w) => n + (w.capabilities?.[key] ?? 0), 0);
    const used = workers.reduce((n, w) => n + (w.inUse?.[key] ?? 0), 0);
    shares[resource] = offered > 0 ? used / offered : 0;
  }
  return shares;
}

function number(value) {
  if (value === undefined) return '–';
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : 'n/a';
}

function resources(spec) {
  if (!spec) return '–';
  const custom = Object.entries(spec.custom ?? {}).map(([k, v]) => k + ' ' + v);
  return [spec.cpus + ' cpus', spec.gpus + ' gpus', spec.memory ?? bytes(spec.memoryBytes), ...custom].join(', ');
}

function workersTable(workers) {
  if (workers.length === 0) return el('p', {class: 'notice'}, 'No worker has sent a heartbeat.');
  return table(['worker', 'state', 'host', 'tiers', 'capabilities', 'in use', 'in flight', 'admitted', 'released', 'heartbeat', 'tools'],
    workers.map((w) => el('tr', {class: 'worker', dataset: {worker: w.id}},
      el('td', {class: 'mono'}, w.id),
      el('td', {}, w.stopping ? badge('stopping', 'down') : w.live ? badge('live') : badge('silent', 'down')),
      el('td', {}, w.host ?? ''),
      el('td', {}, (w.tiers ?? []).join(', ')),
      el('td', {}, resources(w.capabilities)),
      el('td', {}, resources(w.inUse)),
      el('td', {}, String(w.inFlight)),
      el('td', {}, String(w.admitted)),
      el('td', {}, String(w.released)),
      el('td', {title: w.lastHeartbeat ?? ''}, ago(w.lastHeartbeat)),
      el('td', {}, [...(w.tools ?? [])].sort().join(', ')))));
}

function toolsTable(tools) {
  if (tools.length === 0) return el('p', {class: 'notice'}, 'No tool is offered.');
  // 'approval' is the tool's own flag; skein.session.approvals may hold other tools too (docs/api.md).
  return table(['tool', 'needs', 'timeout', 'retries', 'cacheable', 'requires approval', 'description'],
    tools.map((t) => el('tr', {dataset: {tool: t.name}},
      el('td', {class: 'mono'}, t.name),
      el('td', {}, resources(t.resources)),
      el('td', {}, t.timeoutMs + ' ms'),
      el('td', {}, String((t.retry?.maxAttempts ?? 1) - 1)),
      el('td', {}, t.cacheable ? 'yes' : 'no'),
      el('td', {}, t.requiresApproval ? badge('required', 'held') : 'no'),
      el('td', {class: 'muted'}, t.description ?? ''))));
}
