// The tenant's sessions (GET /v1/sessions), newest activity first, a page at a time.
import {api} from './api.js';
import {el, link, badge, table, ago} from './dom.js';

const PAGE = 50;

export function mount(container) {
  let stopped = false;
  const problem = el('p', {class: 'error', role: 'alert'});
  const note = el('p', {class: 'muted'});
  const body = el('div', {id: 'sessions'});
  const more = el('button', {type: 'button', class: 'secondary', hidden: true}, 'More');
  const refresh = el('button', {type: 'button', class: 'secondary'}, 'Refresh');
  container.append(el('div', {class: 'row'}, el('h1', {}, 'Sessions'), refresh), problem, note, body, more);
  let rows = [];
  let next = null;

  async function load(cursor) {
    problem.textContent = '';
    const query = new URLSearchParams({limit: String(PAGE)});
    if (cursor) query.set('cursor', cursor);
    try {
      const page = await api('/v1/sessions?' + query);
      if (stopped) return;
      rows = cursor ? rows.concat(page.sessions) : page.sessions;
      next = page.next;
      note.textContent = page.complete ? '' : 'Some partitions did not answer (' +
        (page.missingPartitions ?? []).join(', ') + '): the list may be short.';
      render();
    } catch (e) {
      if (!stopped) problem.textContent = 'Listing the sessions failed: ' + e.message;
    }
  }

  function render() {
    more.hidden = !next;
    if (rows.length === 0) {
      body.replaceChildren(el('p', {class: 'notice'}, 'No sessions yet. ', link('Start one', 'chat', ''), '.'));
      return;
    }
    body.replaceChildren(table(
      ['session', 'status', 'agent', 'active turn', 'queued', 'completed', 'failed', 'messages', 'last activity'],
      rows.map((s) => el('tr', {dataset: {session: s.session}},
        el('td', {}, link(s.session, 'chat', s.session)),
        el('td', {}, badge(s.status)),
        el('td', {}, s.agent ?? 'default'),
        el('td', {class: 'mono'}, s.activeTurnId ?? ''),
        el('td', {}, String(s.queuedTurns)),
        el('td', {}, String(s.turnsCompleted)),
        el('td', {}, String(s.turnsFailed)),
        el('td', {}, String(s.messages)),
        el('td', {title: s.lastActivityAt ?? ''}, ago(s.lastActivityAt)))),
    ));
  }

  more.addEventListener('click', () => load(next));
  refresh.addEventListener('click', () => load(null));
  load(null);
  return () => {
    stopped = true;
  };
}
