// The elections list: title, phase, times in the viewer's time zone, Notion status, last sync.

import { api, requireToken } from './api.js';
import { byId, el, initChrome, phaseBadge, show, takeRemembered, timeElement } from './ui.js';

initChrome();

const status = byId('list-status');
const alert = byId('list-error');
const table = byId('elections-table');
const body = byId('elections-body');
const more = byId('more-elections');
let cursor = null;

/** What the sync keeps the page's status at for this phase, or why there is none. */
function notionCell(election) {
  if (!election.notion_page_id) return el('span', { class: 'muted' }, 'Not linked');
  if (election.notion_link_broken) return el('span', { class: 'badge badge-error' }, 'Link broken');
  const value = {
    upcoming: election.notion_status_value_not_started,
    open: election.notion_status_value_in_voting,
    closed: election.notion_status_value_done,
  }[election.phase];
  return el('span', {}, 'Linked', el('br'), el('span', { class: 'muted' }, value ? `Status: ${value}` : 'No status for this phase'));
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
    cell('Last sync', syncCell(election)));
}

async function load() {
  const query = new URLSearchParams({ limit: '100' });
  if (cursor) query.set('cursor', cursor);
  more.disabled = true;
  try {
    const page = await api('GET', `/admin/elections?${query}`);
    show(alert, '');
    for (const election of page.elections) body.append(row(election));
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

more.addEventListener('click', load);
if (requireToken()) {
  show(byId('list-flash'), takeRemembered());
  load();
}
