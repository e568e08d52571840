// The admin API from the browser: the session's token and one fetch wrapper.
//
// The token lives in sessionStorage (this tab only, gone when it closes) and travels only in the
// Authorization header. Never in a URL, a cookie or localStorage.

const TOKEN_KEY = 'election-admin-token';
const SIGN_IN = '/ui/sign-in';

/** An error answer of the API: status, code, message and the field it is about (if any). */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}.`);
    this.name = 'ApiError';
    this.status = status;
    this.code = error.code || 'http_' + status;
    this.field = error.field || null;
    this.retryAfter = error.retry_after ?? null;
    this.notionStatus = error.notion_status ?? null;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function rememberToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Where the sign-in page sends the user back to: only our own pages. */
export function safeNext(value) {
  return typeof value === 'string' && /^\/ui\/[A-Za-z0-9_\-/]*$/.test(value) ? value : '/ui/';
}

/** Sends the user to the sign-in page, to come back here afterwards. */
export function goToSignIn(reason) {
  const params = new URLSearchParams({ next: location.pathname });
  if (reason) params.set('reason', reason);
  location.assign(`${SIGN_IN}?${params}`);
}

/** Stops here (sending the user to sign in) when the tab has no token. */
export function requireToken() {
  if (!token()) {
    goToSignIn();
    return false;
  }
  return true;
}

/**
 * Calls the admin API. Resolves with the JSON body; rejects with ApiError for an error answer or
 * a network failure. A 401 forgets the token and sends the user to sign in.
 */
export async function api(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  const secret = options.token ?? token();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal: options.signal, cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { error: { code: 'network', message: 'The server could not be reached. Check that it is running, then try again.' } });
  }
  let json = null;
  const text = await response.text();
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (response.ok) return json;
  if (response.status === 401 && !options.token) {
    forgetToken();
    goToSignIn('expired');
  }
  throw new ApiError(response.status, json);
}
