// Reads the samples of Prometheus' text format (what GET /metrics answers): enough for the pools
// view's gauges, which have plain label values (tier and resource names).
const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** [{name, labels, value}] for each sample line; comments and malformed lines are skipped. */
export function parseSamples(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key] = value.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    samples.push({name: match[1], labels, value: Number(match[3])});
  }
  return samples;
}

/** The samples of one metric, by the value of one label: {small: 3, large: 0}. */
export function byLabel(samples, name, label) {
  const values = {};
  for (const s of samples) {
    if (s.name === name && s.labels[label] !== undefined) values[s.labels[label]] = s.value;
  }
  return values;
}
