// The elections list: title, phase, times in the viewer's time zone, the status Notion shows (and
// the one the next sync writes, when they differ), last sync.

import { api, requireToken } from './api.js';
import { keepCurrent } from './live.js';
import { byId, el, formatTime, initChrome, phaseBadge, show, takeRemembered, timeElement } from './ui.js';

initChrome();

const status = byId('list-status');
const alert = byId('list-error');
const table = byId('elections-table');
const body = byId('elections-body');
const more = byId('more-elections');
let cursor = null;
// Bumped by every load: the answer of a load overtaken by a newer one is dropped.
let generation = 0;

/**
 * What Notion shows: the status last observed on the page, and, when the sync is about to change
 * it (a phase change or a failed write waiting for the next sync), the status it will write.
 */
function notionCell(election) {
  if (!election.notion_page_id) return el('span', { class: 'muted' }, 'Not linked');
  if (election.notion_link_broken) return el('span', { class: 'badge badge-error' }, 'Link broken');
  const current = election.notion_status_current;
  const desired = election.notion_status_desired;
  const observed = election.notion_observed_at
    ? `Last read from Notion ${formatTime(election.notion_observed_at)}`
    : 'Not read from Notion yet';
  const shown = election.notion_observed_at ? (current || 'Empty') : 'Not read yet';
  const pending = desired && desired !== current;
  return el('span', { class: 'notion-status', title: observed },
    el('span', { class: 'status-current' }, shown),
    pending ? [' → ', el('span', { class: 'status-desired' }, desired), ' ', el('span', { class: 'muted' }, '(next sync)')] : null);
}

function syncCell(election) {
  const parts = [timeElement(election.notion_last_sync_at, election.notion_page_id ? 'Never' : '–')];
  if (election.notion_last_sync_error) {
    parts.push(' ', el('span', {
      class: 'badge badge-error', title: election.notion_last_sync_error,
    }, 'Sync error'));
  }
  return parts;
}

function row(election) {
  const cell = (label, ...content) => el('td', { 'data-label': label }, ...content);
  return el('tr', { dataset: { electionId: election.id } },
    el('th', { scope: 'row', 'data-label': 'Title' },
      el('a', { href: `/ui/elections/${encodeURIComponent(election.id)}` }, election.title)),
    cell('Phase', phaseBadge(election.phase)),
    cell('Opens', timeElement(election.open_at)),
    cell('Closes', timeElement(election.close_at)),
    cell('Notion status', notionCell(election)),
    // One element per cell: on a phone the cell is a label/value grid.
    cell('Last sync', el('span', {}, syncCell(election))));
}

/**
 * Loads the next page (`fresh` false, "Show more elections") or the list again from the top, as
 * many as are shown (`fresh` true: the first load and each live update).
 */
async function load(fresh = false) {
  const shown = body.children.length;
  const query = new URLSearchParams({ limit: String(fresh ? Math.min(200, Math.max(100, shown)) : 100) });
  if (cursor && !fresh) query.set('cursor', cursor);
  const mine = ++generation;
  more.disabled = true;
  try {
    const page = await api('GET', `/admin/elections?${query}`);
    if (mine !== generation) return;
    show(alert, '');
    const rows = page.elections.map(row);
    if (fresh) body.replaceChildren(...rows);
    else body.append(...rows);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const count = body.children.length;
    table.hidden = count === 0;
    show(status, count === 0
      ? 'No elections yet. Create one with "New election".'
      : `${count} election${count === 1 ? '' : 's'}.`);
  } catch (error) {
    show(status, '');
    show(alert, `Could not load the elections: ${error.message}`);
  } finally {
    more.disabled = false;
  }
}

more.addEventListener('click', () => load(false));
if (requireToken()) {
  show(byId('list-flash'), takeRemembered());
  keepCurrent(() => load(true), byId('live-state'));
}
