// Chat with one session: its history, then its live stream over the WebSocket (answer text as it
// streams, tool calls as they are asked for, start and finish), turns posted over HTTP, and the
// approve and deny buttons of calls held for a person's approval.
import {api, sessionPath, streamUrl} from './api.js';
import {el, link, badge} from './dom.js';

const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;
// The API lists held calls only in the history (there is no delta for "held"): while a call has
// been asked for and has not started, the history is read this often.
const APPROVAL_POLL_MS = 1000;
const MAX_RECONNECT_MS = 10000;

export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function mount(container, {session}) {
  if (!session) {
    session = 'ui-' + randomId();
    window.history.replaceState(null, '', '#/chat/' + session);
  }
  const state = {stopped: false, socket: null, after: null, subscribed: false, turns: new Map(),
    poll: null, reconnect: null, backoff: 500};

  const idInput = el('input', {type: 'text', id: 'session-id', value: session, 'aria-label': 'session id'});
  const status = el('span', {class: 'connection muted', id: 'connection'}, 'connecting…');
  const head = el('form', {class: 'chat-head', onsubmit: (e) => {
    e.preventDefault();
    window.location.hash = '#/chat/' + encodeURIComponent(idInput.value.trim());
  }}, el('h1', {}, 'Session'), idInput, el('button', {type: 'submit', class: 'secondary'}, 'Open'),
  el('button', {type: 'button', class: 'secondary', onclick: () => { window.location.hash = '#/chat/'; }}, 'New'),
  status);
  const log = el('div', {class: 'log', id: 'chat-log', role: 'log', 'aria-live': 'polite'});
  const problem = el('p', {class: 'error', role: 'alert', id: 'chat-problem'});
  const input = el('textarea', {id: 'message', rows: 2, placeholder: 'Ask something: what is 12*7?'});
  const send = el('button', {type: 'submit', id: 'send', disabled: true}, 'Send');
  const composer = el('form', {class: 'composer', onsubmit: submit}, input, send);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });
  container.append(head, log, problem, composer);

  if (!SESSION_ID.test(session)) {
    status.textContent = '';
    problem.textContent = 'A session id is 1 to 128 of the characters A-Z a-z 0-9 . _ -';
    return () => {};
  }

  function setTurnStatus(turn, text) {
    turn.badge.textContent = text;
    turn.badge.className = 'badge ' + text.replace(/[^A-Za-z_-]/g, '');
  }

  function turnBlock(turnId) {
    let turn = state.turns.get(turnId);
    if (turn) return turn;
    const trace = link('decision trace', 'trace', session, turnId);
    trace.hidden = true;
    trace.classList.add('trace-link');
    const agent = el('span');
    const cancel = el('button', {type: 'button', class: 'secondary cancel'}, 'Cancel');
    cancel.addEventListener('click', async () => {
      cancel.disabled = true;
      try {
        await api(sessionPath(session, 'turns', turnId, 'cancel'), {method: 'POST', body: {reason: 'cancelled in the web UI'}});
      } catch (e) {
        problem.textContent = 'Could not cancel the turn: ' + e.message;
        cancel.disabled = false;
      }
    });
    turn = {badge: badge('running'), trace, agent, cancel, user: el('div', {class: 'user'}), tools: el('div', {class: 'tools'}),
      answer: el('div', {class: 'answer'}), error: el('div', {class: 'error turn-error'}), calls: new Map(), done: false};
    turn.node = el('article', {class: 'turn', dataset: {turnId}},
      el('div', {class: 'turn-head'}, el('span', {class: 'mono'}, turnId), turn.badge, agent, trace, cancel),
      turn.user, turn.tools, turn.answer, turn.error);
    log.append(turn.node);
    state.turns.set(turnId, turn);
    return turn;
  }

  function finish(turn, status) {
    turn.done = true;
    turn.cancel.hidden = true;
    if (status) setTurnStatus(turn, status);
    turn.trace.hidden = false;
    for (const call of turn.calls.values()) call.actions.replaceChildren();
  }

  function findCall(callId) {
    for (const turn of state.turns.values()) {
      if (turn.calls.has(callId)) return turn.calls.get(callId);
    }
    return null;
  }

  function callCard(turn, callId, tool) {
    let call = turn.calls.get(callId);
    if (call) return call;
    call = {phase: 'requested', state: badge('requested'), detail: el('div', {class: 'muted detail'}),
      args: el('pre', {class: 'args', hidden: true}), output: el('pre', {class: 'output', hidden: true}),
      actions: el('div', {class: 'actions'})};
    call.node = el('div', {class: 'tool', dataset: {callId}},
      el('span', {class: 'name'}, tool ?? 'tool'), ' ', call.state, ' ', el('span', {class: 'mono muted'}, callId),
      call.detail, call.args, call.output, call.actions);
    turn.tools.append(call.node);
    turn.calls.set(callId, call);
    return call;
  }

  function setPhase(call, phase, text) {
    call.phase = phase;
    call.state.textContent = text ?? phase;
    call.state.className = 'badge ' + phase.replace(/[^A-Za-z_-]/g, '');
    call.node.dataset.phase = phase;
  }

  function onFrame(frame) {
    if (frame.position) state.after = frame.position;
    switch (frame.type) {
      case 'subscribed':
        state.subscribed = true;
        state.backoff = 500;
        status.textContent = 'live';
        send.disabled = false;
        break;
      case 'started': {
        const turn = turnBlock(frame.turnId);
        if (!turn.done) setTurnStatus(turn, 'running');
        turn.agent.textContent = frame.agent ? 'agent ' + frame.agent : '';
        break;
      }
      case 'delta':
        onDelta(frame);
        break;
      case 'completed': {
        const turn = turnBlock(frame.turnId);
        finish(turn, frame.status);
        if (typeof frame.answer === 'string') turn.answer.textContent = frame.answer;
        turn.error.textContent = frame.error ?? '';
        refreshHistory();
        break;
      }
      case 'gap':
        problem.textContent = frame.message ?? 'some events are no longer kept';
        break;
      case 'error':
        problem.textContent = frame.error ?? 'the server refused a frame';
        break;
      default:
        break;
    }
  }

  function onDelta(delta) {
    const turn = turnBlock(delta.turnId);
    if (delta.kind === 'TEXT') {
      if (!turn.done) turn.answer.textContent += delta.text ?? '';
      return;
    }
    if (!delta.callId) return;
    const call = callCard(turn, delta.callId, delta.tool);
    if (delta.kind === 'TOOL_CALL') {
      if (delta.text && call.args.hidden) {
        call.args.textContent = delta.text;
        call.args.hidden = false;
      }
      watchApprovals();
    } else if (delta.kind === 'TOOL_STARTED') {
      setPhase(call, 'running');
      call.detail.textContent = 'on tier ' + (delta.tier ?? '?') + ', worker ' + (delta.worker ?? '?');
      call.actions.replaceChildren();
    } else if (delta.kind === 'TOOL_FINISHED') {
      setPhase(call, delta.text ?? 'finished');
      call.detail.textContent = 'ran on tier ' + (delta.tier ?? '?') + ', worker ' + (delta.worker ?? '?');
      call.actions.replaceChildren();
    }
  }

  function renderHistory(history) {
    const seen = new Set();
    for (const m of history.messages ?? []) {
      if (!m.turnId) continue;
      seen.add(m.turnId);
      const turn = turnBlock(m.turnId);
      if (m.role === 'user') {
        turn.user.textContent = m.content ?? '';
      } else if (m.role === 'assistant') {
        for (const asked of m.toolCalls ?? []) {
          const call = callCard(turn, asked.id, asked.name);
          if (call.args.hidden) {
            call.args.textContent = typeof asked.arguments === 'string' ? asked.arguments : JSON.stringify(asked.arguments);
            call.args.hidden = false;
          }
        }
        if (m.content !== null && m.content !== undefined) {
          (m.outcome ? turn.error : turn.answer).textContent = m.content;
          if (m.outcome && !turn.done) finish(turn, m.outcome);
        }
      } else if (m.role === 'tool' && m.toolCallId) {
        const call = callCard(turn, m.toolCallId, m.toolName);
        call.output.textContent = m.content ?? '';
        call.output.hidden = false;
        setPhase(call, m.toolStatus ?? 'done');
        call.detail.textContent = (m.cached ? 'cached result' : 'ran') + (m.worker ? ' on worker ' + m.worker : '') +
          (m.deliveryCount > 1 ? ', delivered ' + m.deliveryCount + ' times' : '');
      }
    }
    for (const id of seen) {
      const turn = state.turns.get(id);
      if (id !== history.activeTurnId && !turn.done) finish(turn, 'finished');
    }
    applyApprovals(history);
  }

  function applyApprovals(history) {
    for (const held of history.pendingApprovals ?? []) {
      const call = findCall(held.callId) ??
        (history.activeTurnId ? callCard(turnBlock(history.activeTurnId), held.callId, held.tool) : null);
      if (!call || call.phase !== 'requested') continue;
      setPhase(call, 'held', 'waiting for approval');
      const approve = el('button', {type: 'button', class: 'approve'}, 'Approve');
      const deny = el('button', {type: 'button', class: 'danger deny'}, 'Deny');
      approve.addEventListener('click', () => decide(call, held.callId, 'approve', [approve, deny]));
      deny.addEventListener('click', () => decide(call, held.callId, 'deny', [approve, deny]));
      call.actions.replaceChildren(approve, deny);
    }
  }

  async function decide(call, callId, verb, buttons) {
    for (const b of buttons) b.disabled = true;
    try {
      await api(sessionPath(session, 'tool-calls', callId, verb), {method: 'POST',
        body: verb === 'deny' ? {reason: 'denied in the web UI'} : undefined});
      setPhase(call, verb === 'approve' ? 'approved' : 'denied');
      call.actions.replaceChildren();
    } catch (e) {
      problem.textContent = 'Could not ' + verb + ' the call: ' + e.message;
      for (const b of buttons) b.disabled = false;
    }
  }

  function waitingForApproval() {
    for (const turn of state.turns.values()) {
      if (turn.done) continue;
      for (const call of turn.calls.values()) {
        if (call.phase === 'requested' || call.phase === 'held') return true;
      }
    }
    return false;
  }

  function watchApprovals() {
    if (state.poll !== null || state.stopped) return;
    state.poll = setInterval(async () => {
      if (!waitingForApproval() || state.stopped) {
        clearInterval(state.poll);
        state.poll = null;
        return;
      }
      try {
        applyApprovals(await api(sessionPath(session, 'history')));
      } catch (e) {
        problem.textContent = 'Reading the held calls failed: ' + e.message;
      }
    }, APPROVAL_POLL_MS);
  }

  async function refreshHistory() {
    try {
      renderHistory(await api(sessionPath(session, 'history')));
    } catch (e) {
      if (e.status !== 404) problem.textContent = 'Reading the history failed: ' + e.message;
    }
  }

  async function submit(event) {
    event.preventDefault();
    const message = input.value;
    if (!message.trim() || !state.subscribed) return;
    // Our own id, so that the turn's block exists before any of its events can arrive.
    const turnId = 'ui-' + randomId();
    const turn = turnBlock(turnId);
    turn.user.textContent = message;
    setTurnStatus(turn, 'sending');
    input.value = '';
    problem.textContent = '';
    try {
      await api(sessionPath(session, 'turns'), {method: 'POST', body: {message, turnId}});
      if (turn.badge.textContent === 'sending') setTurnStatus(turn, 'accepted');
    } catch (e) {
      finish(turn, 'REJECTED');
      turn.trace.hidden = true;
      turn.error.textContent = e.message;
    }
    input.focus();
  }

  function connect() {
    if (state.stopped) return;
    const socket = new WebSocket(streamUrl(session, state.after));
    state.socket = socket;
    socket.addEventListener('message', (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      onFrame(frame);
    });
    socket.addEventListener('close', (event) => {
      if (state.socket !== socket || state.stopped) return;
      state.subscribed = false;
      send.disabled = true;
      if (event.code === 1008 && /credential|token|key/i.test(event.reason)) {
        window.dispatchEvent(new CustomEvent('skein:unauthorized', {detail: event.reason}));
      } else if (event.code === 1008) {
        state.after = null; // the position cannot be served: go on from now
      }
      status.textContent = 'disconnected (' + event.code + (event.reason ? ': ' + event.reason : '') + '); reconnecting…';
      state.reconnect = setTimeout(connect, state.backoff);
      state.backoff = Math.min(MAX_RECONNECT_MS, state.backoff * 2);
    });
  }

  // The history first, so that earlier turns come before live ones; the stream then goes on from now.
  refreshHistory().then(connect);

  return () => {
    state.stopped = true;
    clearInterval(state.poll);
    clearTimeout(state.reconnect);
    if (state.socket) state.socket.close(1000, 'view closed');
  };
}
