// Every call to the API: the credential from sessionStorage as a bearer token, JSON errors
// turned into ApiError with the server's message, and 401s announced to the sign-in form.

const CREDENTIAL_KEY = 'skein.credential';

export const credential = {
  get() {
    return sessionStorage.getItem(CREDENTIAL_KEY);
  },
  set(value) {
    sessionStorage.setItem(CREDENTIAL_KEY, value.trim());
    window.dispatchEvent(new CustomEvent('skein:credential'));
  },
  forget() {
    sessionStorage.removeItem(CREDENTIAL_KEY);
    window.dispatchEvent(new CustomEvent('skein:credential'));
  },
};

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/**
 * Calls the API. `body` is sent as JSON; the answer is parsed as JSON unless `text` is set.
 * Throws ApiError for any status of 400 or more, with the server's `error` as its message.
 */
export async function api(path, {method = 'GET', body, text = false, signal} = {}) {
  const headers = {Accept: text ? 'text/plain' : 'application/json'};
  const token = credential.get();
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'the server cannot be reached: ' + e.message, null);
  }
  const raw = await response.text();
  let json = null;
  if ((response.headers.get('content-type') ?? '').includes('json') && raw) {
    try {
      json = JSON.parse(raw);
    } catch {
      json = null;
    }
  }
  if (!response.ok) {
    const message = typeof json?.error === 'string' ? json.error : raw || response.statusText;
    if (response.status === 401) {
      window.dispatchEvent(new CustomEvent('skein:unauthorized', {detail: message}));
    }
    throw new ApiError(response.status, message, json);
  }
  return text ? raw : json;
}

/** /v1/sessions/{id}/... with each part percent-encoded. */
export function sessionPath(id, ...rest) {
  return ['/v1/sessions', id, ...rest].map((part, i) => (i === 0 ? part : encodeURIComponent(part))).join('/');
}

/**
 * The session's WebSocket URL. A browser cannot set headers on a WebSocket, so the credential
 * goes in ?access_token= (the one route that reads it); `after` resumes from a position.
 */
export function streamUrl(id, after) {
  const url = new URL(sessionPath(id, 'stream'), window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = credential.get();
  if (token) url.searchParams.set('access_token', token);
  if (after) url.searchParams.set('after', after);
  return url.toString();
}
