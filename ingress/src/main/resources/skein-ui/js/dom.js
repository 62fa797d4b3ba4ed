// Builds elements from text: whatever the server sends (agent answers, tool output, error
// messages) becomes text nodes or attribute values, never HTML, so it cannot add markup or script.

/**
 * el('td', {class: 'x'}, 'text', child) creates an element. Attributes named on* add listeners;
 * `dataset` sets data-* attributes; children are nodes or strings (strings become text nodes).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Appends children (nodes, strings, arrays of them; null and false are skipped). */
export function append(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A link inside the UI: the target is built from encoded parts, never taken from server text. */
export function link(text, ...route) {
  return el('a', {href: '#/' + route.map((part) => encodeURIComponent(part)).join('/')}, text);
}

export function badge(text, kind = text) {
  return el('span', {class: 'badge ' + String(kind).replace(/[^A-Za-z_-]/g, '')}, text);
}

/** A bar of one share (0..1) in a .meter; the width is set through the CSSOM, which CSP allows. */
export function meter(share) {
  const fill = el('span');
  const bounded = Number.isFinite(share) ? Math.max(0, Math.min(1, share)) : 0;
  fill.style.width = (bounded * 100).toFixed(1) + '%';
  return el('span', {class: 'meter', title: Number.isFinite(share) ? (share * 100).toFixed(0) + '%' : 'n/a'}, fill);
}

/** A table in a box that scrolls sideways on narrow screens. */
export function table(headers, rows) {
  return el('div', {class: 'table-box'}, el('table', {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {scope: 'col'}, h)))),
    el('tbody', {}, rows)));
}

export function ms(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return '–';
  const n = Number(value);
  return n >= 10000 ? (n / 1000).toFixed(1) + ' s' : Math.round(n) + ' ms';
}

export function bytes(value) {
  if (!Number.isFinite(value)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return (unit === 0 ? n : n.toFixed(1)) + ' ' + units[unit];
}

export function ago(iso) {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return '–';
  const seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (seconds < 90) return seconds + ' s ago';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min ago';
  return new Date(at).toLocaleString();
}
