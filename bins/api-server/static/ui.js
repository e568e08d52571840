// Small helpers shared by the pages: building DOM without innerHTML, times in the viewer's time
// zone, status messages, and the header's sign-out button.

import { forgetToken } from './api.js';

/** Creates an element: el('a', { href: '/x', class: 'y' }, 'text', child, …). Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces a node's children; arrays are flattened, null/false/undefined skipped. */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

export function byId(id) {
  return document.getElementById(id);
}

/** The viewer's IANA time zone, e.g. "Europe/Berlin". */
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

// With seconds: a short election (the demo's lasts three minutes) and the sync's own moments
// would otherwise read alike.
const dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium', timeStyle: 'medium',
});

/** An RFC 3339 instant shown in the viewer's time zone, or the fallback when absent. */
export function formatTime(iso, fallback = '–') {
  if (!iso) return fallback;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** A <time> element for an instant, with the exact UTC value as its datetime and tooltip. */
export function timeElement(iso, fallback = '–') {
  if (!iso) return document.createTextNode(fallback);
  return el('time', { datetime: iso, title: iso }, formatTime(iso));
}

/** RFC 3339 → the value of a datetime-local input, in the viewer's time zone. */
export function toLocalInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The value of a datetime-local input (viewer's time zone) → RFC 3339 in UTC; '' stays ''. */
export function fromLocalInput(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

const PHASES = { upcoming: 'Upcoming', open: 'Open', closed: 'Closed' };

export function phaseBadge(phase) {
  return el('span', { class: `badge phase-${phase}` }, PHASES[phase] || phase);
}

/** Shows (or, with an empty text, hides) a message in a live region. */
export function show(region, text) {
  region.textContent = text || '';
  region.hidden = !text;
}

/** Puts the viewer's time zone wherever the page mentions it, and wires the sign-out button. */
export function initChrome() {
  for (const node of document.querySelectorAll('.js-time-zone')) node.textContent = timeZone();
  const signOut = byId('sign-out');
  if (signOut) {
    signOut.addEventListener('click', () => {
      forgetToken();
      location.assign('/ui/sign-in?reason=signed-out');
    });
  }
}

/** Runs fn at most once per `wait` ms of quiet (for search as you type). */
export function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

const TRIGGERS = { scheduled: 'Scheduled', reconcile: 'Full reconcile', manual: 'Manual' };

/** A run's trigger for people. */
export function triggerLabel(trigger) {
  return TRIGGERS[trigger] || trigger;
}

const ACTIONS = {
  read: ['Read', ''],
  wrote: ['Wrote', 'badge-ok'],
  pulled: ['Pulled', 'badge-ok'],
  no_change: ['No change', ''],
  failed: ['Failed', 'badge-error'],
  skipped: ['Skipped', 'badge-warning'],
};

/** A log entry's action as a badge ("Wrote", "Pulled", "Failed", …). */
export function actionBadge(action) {
  const [label, kind] = ACTIONS[action] || [action, ''];
  return el('span', { class: `badge ${kind || 'badge-neutral'}` }, label);
}

/** When a run finished, or a badge saying it has not (still running, or its runner stopped). */
export function runFinishedCell(run) {
  if (run.finished_at) return timeElement(run.finished_at);
  return el('span', { class: 'badge badge-warning', title: 'Still running, or its runner stopped mid-cycle (the next cycle redoes what was not recorded).' }, 'Not finished');
}

/**
 * How long a run took (finished_at − started_at; runs are stamped when their work ends), for
 * people: "< 1 ms", "840 ms", "2.4 s", "3 min". null while the run has not finished.
 */
export function runDuration(run) {
  if (!run.finished_at) return null;
  const ms = new Date(run.finished_at) - new Date(run.started_at);
  // Clocks of two processes can disagree by a little: never show a negative duration.
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1) return '< 1 ms';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60000)} min`;
}

/** A run's duration, or a dash when it has none (not finished). */
export function runDurationCell(run) {
  const took = runDuration(run);
  return took || el('span', { class: 'muted' }, '–');
}

const FLASH_KEY = 'election-admin-flash';

/** Keeps a message for the next page of this tab (e.g. "Deleted …" on the list after a delete). */
export function remember(message) {
  sessionStorage.setItem(FLASH_KEY, message);
}

/** The message kept by remember(), once: it is forgotten as it is read. */
export function takeRemembered() {
  const message = sessionStorage.getItem(FLASH_KEY);
  sessionStorage.removeItem(FLASH_KEY);
  return message;
}
