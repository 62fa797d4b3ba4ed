// The UI's shell: hash routes to views, and the sign-in form. Each view module exports
// mount(container, params) and returns a function that stops it (closes sockets, timers).
import {credential} from './api.js';
import {el} from './dom.js';
import * as chat from './chat.js';
import * as sessions from './sessions.js';
import * as trace from './trace.js';
import * as pools from './pools.js';

const view = document.getElementById('view');
const login = document.getElementById('login');
const loginForm = document.getElementById('login-form');
const loginInput = document.getElementById('login-credential');
const loginMessage = document.getElementById('login-message');
let unmount = () => {};

/** #/chat/<session>, #/sessions, #/trace/<session>/<turnId>, #/pools; parts are percent-encoded. */
function route() {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return '';
    }
  });
  const [name, ...rest] = parts;
  switch (name) {
    case 'sessions':
      return {name, module: sessions, params: {}};
    case 'pools':
      return {name, module: pools, params: {}};
    case 'trace':
      return {name, module: trace, params: {session: rest[0] ?? '', turnId: rest[1] ?? ''}};
    default:
      return {name: 'chat', module: chat, params: {session: rest[0] ?? ''}};
  }
}

function render() {
  unmount();
  const current = route();
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.dataset.view === current.name);
  }
  const container = el('div', {class: 'view-' + current.name});
  view.replaceChildren(container);
  unmount = current.module.mount(container, current.params) ?? (() => {});
}

function showLogin(message) {
  login.hidden = false;
  loginMessage.textContent = message ?? '';
  loginInput.focus();
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!loginInput.value.trim()) return;
  credential.set(loginInput.value);
  loginInput.value = '';
  login.hidden = true;
  render();
});
document.getElementById('login-forget').addEventListener('click', () => {
  credential.forget();
  showLogin('Forgotten. Enter another credential, or reload to try without one.');
});
document.getElementById('credential-button').addEventListener('click', () => {
  if (login.hidden) showLogin(credential.get() ? 'A credential is in use; enter another to replace it.' : '');
  else login.hidden = true;
});
// Any 401 from the API: the credential is missing, expired or revoked.
window.addEventListener('skein:unauthorized', (event) => {
  showLogin(credential.get() ? 'The server refused the credential: ' + event.detail : event.detail);
});
window.addEventListener('hashchange', render);
render();
