// One sync run: when and why it ran, its counters and error, and its log, entry by entry.

import { api, requireToken } from './api.js';
import { actionBadge, byId, el, fill, formatTime, initChrome, show, timeElement, triggerLabel, runDurationCell, runFinishedCell } from './ui.js';

initChrome();

const runId = byId('run-root').dataset.runId;
const logStatus = byId('log-status');

const quote = (value) => (value === null || value === undefined || value === '' ? 'empty' : `"${value}"`);

/** A written value ({type, value}) as text: the option, URL or text; a date as start (→ end). */
function writtenValue(written) {
  if (!written) return null;
  const v = written.value;
  if (v && typeof v === 'object') return v.end ? `${v.start} → ${v.end}` : v.start;
  return v;
}

/** What a log entry's detail says, in a few lines for people (the full JSON is one click away). */
function summary(entry) {
  const d = entry.detail || {};
  const lines = [];
  if (entry.action === 'read' && !entry.election_id) {
    lines.push(`Database ${d.database_id || '?'}: ${d.pages_read ?? 0} page${d.pages_read === 1 ? '' : 's'} read${d.reconciled ? ' (full read)' : ' (changes since the cursor)'}, ${d.written ?? 0} written, ${d.failed ?? 0} failed, ${d.notion_requests ?? 0} Notion requests.`);
  }
  const write = d.page_write;
  if (write && Array.isArray(write.properties)) {
    for (const p of write.properties) lines.push(`${p.property}: ${quote(writtenValue(p.from))} → ${quote(writtenValue(p.to))}`);
  } else {
    // Logs written before field mappings: the status and the results link as plain values.
    if (write && write.status) lines.push(`${write.status.property}: ${quote(write.status.from)} → ${quote(write.status.to)}`);
    if (write && write.results_url) lines.push(`${write.results_url.property}: ${quote(write.results_url.from)} → ${quote(write.results_url.to)}`);
  }
  const update = d.election_update;
  if (update && update.title) lines.push(`Title from Notion: ${quote(update.title.from)} → ${quote(update.title.to)}`);
  if (update && update.description) lines.push(`Description from Notion: ${quote(update.description.from)} → ${quote(update.description.to)}`);
  if (entry.action === 'no_change') lines.push('Nothing to write: the page already matched.');
  return lines;
}

function logRow(entry) {
  const cell = (label, ...content) => el('td', { 'data-label': label }, ...content);
  const lines = summary(entry);
  const what = [
    entry.error ? el('p', { class: entry.action === 'failed' ? 'log-error' : '' }, entry.action === 'skipped' ? `Skipped: ${entry.error}` : entry.error) : null,
    lines.map((line) => el('p', {}, line)),
    entry.page_id ? el('p', { class: 'muted' }, `Page ${entry.page_id}`) : null,
    entry.detail ? el('details', {}, el('summary', {}, 'Full detail'), el('pre', {}, JSON.stringify(entry.detail, null, 2))) : null,
  ];
  return el('tr', { dataset: { seq: entry.seq } },
    el('th', { scope: 'row', 'data-label': 'At', class: 'when' }, timeElement(entry.at)),
    cell('Action', actionBadge(entry.action)),
    el('td', { 'data-label': 'Election', class: 'id' }, entry.election_id
      ? el('a', { href: `/ui/elections/${encodeURIComponent(entry.election_id)}` }, entry.election_id)
      : el('span', { class: 'muted' }, '–')),
    cell('What happened', el('div', { class: 'what' }, what)));
}

function render(run, logs) {
  const title = `Run of ${formatTime(run.started_at)}`;
  document.title = `${title} · Election admin`;
  byId('run-title').textContent = title;
  byId('crumb-run').textContent = title;
  byId('run-started').replaceChildren(timeElement(run.started_at));
  fill(byId('run-finished'), runFinishedCell(run));
  fill(byId('run-duration'), runDurationCell(run));
  byId('run-trigger').textContent = triggerLabel(run.trigger);
  byId('run-holder').textContent = run.holder;
  byId('run-read').textContent = run.counts.read;
  byId('run-planned').textContent = run.counts.planned;
  byId('run-written').textContent = run.counts.written;
  byId('run-pulled').textContent = run.counts.pulled;
  fill(byId('run-failed'), run.counts.failed > 0 ? el('span', { class: 'badge badge-error' }, String(run.counts.failed)) : '0');
  byId('run-requests').textContent = run.counts.notion_requests;
  byId('run-error').textContent = run.error || 'None';

  byId('log-body').replaceChildren(...logs.map(logRow));
  byId('log-table').hidden = logs.length === 0;
  show(logStatus, logs.length === 0
    ? 'This run logged nothing: a cycle logs only the elections where something happened.'
    : `${logs.length} entr${logs.length === 1 ? 'y' : 'ies'}, oldest first.`);
}

async function load() {
  try {
    const body = await api('GET', `/admin/sync/runs/${encodeURIComponent(runId)}`);
    render(body.run, body.logs);
  } catch (error) {
    byId('run-title').textContent = 'Run not available';
    show(logStatus, '');
    show(byId('page-error'), error.status === 404
      ? 'There is no such run. Old runs are deleted after the retention period (7 days by default).'
      : `Could not load the run: ${error.message}`);
  }
}

if (requireToken()) load();
