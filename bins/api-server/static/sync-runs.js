// The sync runs page: the history of sync cycles and manual syncs, newest first, 50 at a time;
// only the runs with changes unless "Show idle cycles" is checked. New runs appear by themselves.

import { api, requireToken } from './api.js';
import { keepCurrent } from './live.js';
import { byId, el, initChrome, show, timeElement, triggerLabel, runDurationCell, runFinishedCell } from './ui.js';

initChrome();

const status = byId('runs-status');
const alert = byId('runs-error');
const table = byId('runs-table');
const body = byId('runs-body');
const more = byId('more-runs');
const showIdle = byId('show-idle');
let cursor = null;
// Bumped by every load: an answer to an older load (the checkbox changed meanwhile) is dropped.
let generation = 0;

function countCell(label, value, bad = false) {
  return el('td', { 'data-label': label, class: 'num' },
    bad && value > 0 ? el('span', { class: 'badge badge-error' }, String(value)) : String(value));
}

function row(run) {
  const failed = run.counts.failed;
  return el('tr', { dataset: { runId: run.id } },
    el('th', { scope: 'row', 'data-label': 'Started', class: 'when' },
      el('a', { href: `/ui/sync/runs/${encodeURIComponent(run.id)}` },
        timeElement(run.started_at))),
    el('td', { 'data-label': 'Finished', class: 'when' }, runFinishedCell(run)),
    el('td', { 'data-label': 'Duration', class: 'when' }, runDurationCell(run)),
    el('td', { 'data-label': 'Trigger' }, triggerLabel(run.trigger)),
    countCell('Read', run.counts.read),
    countCell('Written', run.counts.written),
    countCell('Pulled', run.counts.pulled),
    countCell('Failed', failed, true),
    countCell('Notion requests', run.counts.notion_requests),
    el('td', { 'data-label': 'Error', class: 'run-error' },
      // One element: on a phone the cell is a two-column grid (label, value), and loose text
      // would land in the label's column.
      run.error ? el('span', {}, el('span', { class: 'badge badge-error' }, 'Cycle failed'), ' ', run.error) : el('span', { class: 'muted' }, 'None')));
}

/**
 * Loads the next page (`fresh` false) or the list again from the top, as many runs as are shown
 * (`fresh` true: the first load, the checkbox, and each live update).
 */
async function load(fresh = false) {
  const shown = fresh ? body.children.length : 0;
  const limit = fresh ? Math.min(200, Math.max(50, shown)) : 50;
  const query = new URLSearchParams({ limit: String(limit), activity: showIdle.checked ? 'all' : 'changes' });
  if (cursor && !fresh) query.set('cursor', cursor);
  more.disabled = true;
  const mine = ++generation;
  try {
    const page = await api('GET', `/admin/sync/runs?${query}`);
    if (mine !== generation) return;
    show(alert, '');
    const rows = page.runs.map(row);
    if (fresh) body.replaceChildren(...rows);
    else body.append(...rows);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const count = body.children.length;
    table.hidden = count === 0;
    show(status, count === 0
      ? (showIdle.checked
        ? 'No sync runs yet. They appear once the sync-runner runs a cycle, or after a "Sync with Notion" on an election.'
        : 'No sync runs with changes yet. "Show idle cycles" lists the cycles that found nothing to do.')
      : `${count} run${count === 1 ? '' : 's'}${cursor ? ' so far: "Show more runs" lists older ones' : ''}.`);
  } catch (error) {
    show(status, '');
    show(alert, `Could not load the sync runs: ${error.message}`);
  } finally {
    more.disabled = false;
  }
}

more.addEventListener('click', () => load(false));
showIdle.addEventListener('change', () => {
  body.replaceChildren();
  cursor = null;
  load(true);
});
if (requireToken()) keepCurrent(() => load(true), byId('live-state'));
