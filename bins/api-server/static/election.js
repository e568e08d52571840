// The election management page: the election, and its Notion Integration section (link with
// search and validation, sync, unlink behind a confirmation; the status Notion shows next to the one
// the sync keeps it at, last sync, last error and the next attempt).

import { api, ApiError, requireToken } from './api.js';
import { keepCurrent } from './live.js';
import { actionBadge, byId, debounce, el, fill, initChrome, phaseBadge, remember, show, timeElement, triggerLabel } from './ui.js';

initChrome();

const root = byId('election-root');
const electionId = root.dataset.electionId;
// Demo mode: the emulator's view of a page, where notion.so has no such page.
const notionView = root.dataset.notionView || '';
const base = `/admin/elections/${encodeURIComponent(electionId)}`;
const $ = {
  pageError: byId('page-error'),
  status: byId('notion-status'),
  alert: byId('notion-alert'),
  openForm: byId('open-link-form'),
  sync: byId('sync-button'),
  unlink: byId('unlink-button'),
  form: byId('link-form'),
  database: byId('database'),
  search: byId('page-search'),
  searchStatus: byId('search-status'),
  results: byId('page-results'),
  more: byId('more-results'),
  chosen: byId('chosen-page'),
  statusProperty: byId('status-property'),
  resultsProperty: byId('results-property'),
  notStarted: byId('value-not-started'),
  inVoting: byId('value-in-voting'),
  done: byId('value-done'),
  validation: byId('validation'),
  submit: byId('link-submit'),
  warnings: byId('link-warnings'),
  warningsList: byId('link-warnings-list'),
  syncResult: byId('sync-result'),
  dialog: byId('unlink-dialog'),
  delete: byId('delete-button'),
  deleteDialog: byId('delete-dialog'),
  deleteAlert: byId('delete-alert'),
};

const DEFAULTS = {
  status: 'Voting Status', results: 'Results Link',
  notStarted: 'Not started', inVoting: 'In Voting', done: 'Done',
};

let election = null;
let databases = null;
let chosenPage = null;
let search = { cursor: null, controller: null, seq: 0 };
let validationSeq = 0;
let syncing = false;

// ---- What to do about an error ---------------------------------------------------------------

const TRANSIENT = /\b(429|5\d\d|rate.?limit|unavailable|unreachable|overload|bad.?gateway|timed? ?out|timeout|internal_server_error)\b/i;
const FIX_IN_NOTION = /(not found|not shared|share|trash|deleted|property|option|object_not_found|validation)/i;

/** Advice for an API error (by code) or a stored sync error (by its text). */
function advice({ code, status, retryAfter, text }) {
  if (code === 'rate_limited' || /rate.?limit|\b429\b/i.test(text || '')) {
    return `Notion is limiting how fast we call it. Wait${retryAfter ? ` ${retryAfter} s` : ' a minute'} and press "Sync with Notion" again; the scheduled sync also retries on its own.`;
  }
  if (code === 'unauthorized' || code === 'restricted_resource' || /token|unauthori[sz]ed|restricted/i.test(text || '')) {
    if (status !== 401) return 'Notion refused the server\'s integration token or its capabilities: check NOTION_API_KEY and the integration\'s capabilities, then sync again.';
  }
  if ((status && status >= 500) || TRANSIENT.test(code || '') || TRANSIENT.test(text || '')) {
    return 'Notion is failing or unreachable right now. Nothing needs changing here: the scheduled sync retries on its next cycle, or press "Sync with Notion" again later.';
  }
  if (code === 'page_invalid' || FIX_IN_NOTION.test(code || '') || FIX_IN_NOTION.test(text || '')) {
    return 'Check in Notion that the page exists, is not in the trash and is shared with the integration (••• → Connections), and that the status property and its options exist. Then press "Sync with Notion", or link the page again.';
  }
  return 'The scheduled sync retries on its own. If the error stays, check the page in Notion and press "Sync with Notion".';
}

function errorText(error) {
  const parts = [error.message];
  if (error.notionStatus && !error.message.includes(String(error.notionStatus))) parts.push(`(Notion answered ${error.notionStatus}, code ${error.code})`);
  return parts.join(' ');
}

function showAlert(prefix, error) {
  const text = error instanceof ApiError
    ? `${prefix}: ${errorText(error)} ${advice({ code: error.code, status: error.status, retryAfter: error.retryAfter, text: error.message })}`
    : `${prefix}: ${error.message || error}`;
  show($.alert, text);
}

// ---- Rendering the election ------------------------------------------------------------------

function databaseName(id) {
  const entry = databases && databases.find((d) => d.id === id);
  return entry ? entry.name : id;
}

/** Notion page URLs end in "Title-Words-<32 hex>": the page's title, as far as a URL can tell. */
function titleFromUrl(url) {
  if (!url) return null;
  try {
    const last = decodeURIComponent(new URL(url).pathname.split('/').pop() || '');
    const words = last.replace(/-?[0-9a-f]{32}$/i, '').replace(/-+/g, ' ').trim();
    return words || null;
  } catch {
    return null;
  }
}

/** "Empty", or a link to a results URL as observed on the page (only http(s) URLs are links). */
function observedUrl(url) {
  if (!url) return 'Empty';
  return /^https?:\/\//i.test(url)
    ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', id: 'notion-results-link' }, url)
    : url;
}

/** What Notion shows (as last read) and what the sync keeps it at for the current phase. */
function renderObserved(e, linked) {
  const current = byId('notion-status-current');
  const desired = byId('notion-status-now');
  const results = byId('notion-results-current');
  if (!linked) {
    current.textContent = '–';
    desired.textContent = '–';
    results.textContent = '–';
    return;
  }
  const read = Boolean(e.notion_observed_at);
  fill(current, read
    ? [el('strong', {}, e.notion_status_current || 'Empty'), ' ', el('span', { class: 'muted' }, 'as of ', timeElement(e.notion_observed_at))]
    : 'Not read yet');
  const pending = read && e.notion_status_desired && e.notion_status_desired !== e.notion_status_current;
  fill(desired, e.notion_status_desired
    ? [e.notion_status_desired, pending ? [' ', el('span', { class: 'badge badge-warning' }, 'written at the next sync')] : null]
    : `None: the status property has no "${e.notion_status_value_not_started}" option, so an upcoming election gets no status`);
  fill(results, read ? observedUrl(e.notion_results_link_current) : 'Not read yet');
}

function render() {
  const e = election;
  document.title = `${e.title} · Election admin`;
  byId('election-title').textContent = e.title;
  byId('crumb-title').textContent = e.title;
  byId('election-phase').replaceChildren(phaseBadge(e.phase));
  byId('election-open').replaceChildren(timeElement(e.open_at));
  byId('election-close').replaceChildren(timeElement(e.close_at));
  byId('election-description').textContent = e.description || '(none)';

  const linked = Boolean(e.notion_page_id);
  const page = byId('notion-page');
  if (!linked) {
    page.textContent = 'Not linked';
  } else {
    const label = (chosenPage && chosenPage.id === e.notion_page_id && chosenPage.title)
      || titleFromUrl(e.notion_page_url) || e.notion_page_id;
    const href = notionView ? notionView + encodeURIComponent(e.notion_page_id) : e.notion_page_url;
    const opens = notionView ? ' (opens the demo emulator\'s view of the page in a new tab)' : ' (opens Notion in a new tab)';
    fill(page,
      href
        ? el('a', { href, target: '_blank', rel: 'noopener noreferrer', id: 'notion-page-link' }, label, el('span', { class: 'visually-hidden' }, opens))
        : label,
      e.notion_link_broken ? [' ', el('span', { class: 'badge badge-error' }, 'Link broken')] : []);
  }
  byId('notion-database').textContent = linked ? databaseName(e.notion_database_id) : '–';
  byId('notion-status-property').textContent = linked ? e.notion_status_property_name : '–';
  renderObserved(e, linked);
  byId('notion-results-property').textContent = linked ? (e.notion_results_property_name || 'none') : '–';
  byId('notion-last-sync').replaceChildren(timeElement(e.notion_last_sync_at, linked ? 'Never' : '–'));

  const lastError = e.notion_last_sync_error || (e.notion_link_broken ? 'The linked page was trashed, deleted or unshared.' : null);
  byId('notion-last-error').textContent = lastError || 'None';
  const nextAttempt = byId('notion-next-attempt');
  fill(nextAttempt, e.notion_next_attempt_at
    ? ['Next attempt ', timeElement(e.notion_next_attempt_at), ' (by the scheduled sync; "Sync with Notion" tries now)']
    : null);
  nextAttempt.hidden = !e.notion_next_attempt_at;
  const help = byId('notion-error-help');
  help.hidden = !lastError;
  if (lastError) {
    byId('notion-error-advice').textContent = `What to do: ${e.notion_link_broken && !e.notion_last_sync_error
      ? 'restore the page or share it again with the integration in Notion, or link another page.'
      : advice({ text: lastError })}`;
  }

  // While linked, the same form picks another page: say so.
  $.openForm.textContent = linked ? 'Change page' : 'Link to Notion Page';
  byId('link-form-heading').textContent = linked ? 'Change the linked Notion page' : 'Link to Notion Page';
  // A live update during a manual sync must not re-enable the button mid-sync.
  $.sync.disabled = !linked || syncing;
  $.unlink.disabled = !linked;
  $.delete.disabled = false;
  byId('delete-election-title').textContent = `"${e.title}"`;
  byId('unlink-page-title').textContent = linked ? page.textContent : '';
}

async function loadElection() {
  try {
    const body = await api('GET', base);
    election = body.election;
    show($.pageError, '');
    $.openForm.disabled = false;
    render();
  } catch (error) {
    byId('election-title').textContent = 'Election not available';
    show($.pageError, error.status === 404
      ? 'There is no such election. It may have been deleted.'
      : `Could not load the election: ${error.message}`);
    $.openForm.disabled = true;
  }
}

async function loadDatabases() {
  if (databases) return;
  try {
    databases = (await api('GET', '/admin/notion/databases')).databases;
  } catch (error) {
    $.database.replaceChildren(el('option', { value: '' }, 'Could not load the databases'));
    show($.searchStatus, `Could not load the allowlisted databases: ${error.message}`);
    return;
  }
  if (databases.length === 0) {
    $.database.replaceChildren(el('option', { value: '' }, 'No database is allowlisted'));
    show($.searchStatus, 'No database is allowlisted: set NOTION_DATABASE_ALLOWLIST on the server.');
    return;
  }
  fill($.database,
    el('option', { value: '' }, 'Choose a database…'),
    databases.map((d) => el('option', { value: d.id }, d.name)));
  if (election) render();
}

// ---- Link form: search, choice, validation ---------------------------------------------------

function openForm() {
  $.form.hidden = false;
  $.openForm.setAttribute('aria-expanded', 'true');
  const e = election || {};
  $.statusProperty.value = e.notion_status_property_name || DEFAULTS.status;
  $.resultsProperty.value = e.notion_results_property_name || DEFAULTS.results;
  $.notStarted.value = e.notion_status_value_not_started || DEFAULTS.notStarted;
  $.inVoting.value = e.notion_status_value_in_voting || DEFAULTS.inVoting;
  $.done.value = e.notion_status_value_done || DEFAULTS.done;
  loadDatabases().then(() => {
    if (!$.database.value && e.notion_database_id && databases && databases.some((d) => d.id === e.notion_database_id)) {
      $.database.value = e.notion_database_id;
      runSearch(true);
    }
    $.database.focus();
  });
}

function closeForm() {
  $.form.hidden = true;
  $.openForm.setAttribute('aria-expanded', 'false');
  $.openForm.focus();
}

function choosePage(page) {
  chosenPage = page;
  $.chosen.textContent = page ? page.title || '(untitled)' : 'none';
  validate();
}

function resultItem(page) {
  const id = `page-option-${page.id}`;
  const input = el('input', { type: 'radio', name: 'page_id', value: page.id, id });
  if (chosenPage && chosenPage.id === page.id) input.checked = true;
  input.addEventListener('change', () => choosePage(page));
  return el('li', {}, input, el('label', { for: id }, page.title || '(untitled)'));
}

async function runSearch(reset) {
  const databaseId = $.database.value;
  if (search.controller) search.controller.abort();
  if (reset) {
    search.cursor = null;
    $.results.replaceChildren();
    $.more.hidden = true;
  }
  if (!databaseId) {
    show($.searchStatus, 'Choose a database to list its pages.');
    return;
  }
  const seq = ++search.seq;
  const controller = new AbortController();
  search.controller = controller;
  const query = new URLSearchParams({ query: $.search.value.trim() });
  if (search.cursor) query.set('cursor', search.cursor);
  show($.searchStatus, 'Searching…');
  $.more.disabled = true;
  try {
    const body = await api('GET', `/admin/notion/databases/${encodeURIComponent(databaseId)}/pages?${query}`, undefined, { signal: controller.signal });
    if (seq !== search.seq) return;
    $.results.append(...body.pages.map(resultItem));
    search.cursor = body.next_cursor || null;
    $.more.hidden = !search.cursor;
    const count = $.results.children.length;
    const q = $.search.value.trim();
    show($.searchStatus, count === 0
      ? (q ? `No pages match "${q}".` : 'This database has no pages.')
      : `${count} page${count === 1 ? '' : 's'}${search.cursor ? ' so far: "More results" lists more' : ''}. Choose one.`);
  } catch (error) {
    if (error.name === 'AbortError' || seq !== search.seq) return;
    show($.searchStatus, `Search failed: ${errorText(error)} ${advice({ code: error.code, status: error.status, retryAfter: error.retryAfter, text: error.message })}`);
    $.searchStatus.classList.add('error');
    return;
  } finally {
    if (seq === search.seq) $.more.disabled = false;
  }
  $.searchStatus.classList.remove('error');
}

function customValues() {
  return $.notStarted.value.trim() !== DEFAULTS.notStarted
    || $.inVoting.value.trim() !== DEFAULTS.inVoting
    || $.done.value.trim() !== DEFAULTS.done;
}

function setValidation(kind, text, extra = []) {
  $.validation.className = `validation ${kind}`;
  fill($.validation, el('p', {}, text), extra.length ? el('ul', {}, extra.map((w) => el('li', {}, w))) : null);
}

async function validate() {
  const seq = ++validationSeq;
  if (!chosenPage) {
    setValidation('', 'Choose a page to check it.');
    return;
  }
  const property = $.statusProperty.value.trim() || DEFAULTS.status;
  setValidation('pending', `Checking "${chosenPage.title || chosenPage.id}"…`);
  try {
    const query = new URLSearchParams({ property_name: property });
    const body = await api('GET', `/admin/notion/pages/${encodeURIComponent(chosenPage.id)}/validate?${query}`);
    if (seq !== validationSeq) return;
    const note = customValues() ? ' (Checked with the default status values; "Link Election" checks the values entered below.)' : '';
    if (body.valid) {
      setValidation('valid', `✓ This page can be linked.${note}`, body.warnings || []);
    } else {
      setValidation('invalid', `✗ This page cannot be linked: ${body.error}${note}`);
    }
  } catch (error) {
    if (seq !== validationSeq) return;
    setValidation('invalid', `Could not check the page: ${errorText(error)} ${advice({ code: error.code, status: error.status, retryAfter: error.retryAfter, text: error.message })}`);
  }
}

async function link(event) {
  event.preventDefault();
  if (!$.database.value) {
    setValidation('invalid', 'Choose a database first.');
    $.database.focus();
    return;
  }
  if (!chosenPage) {
    setValidation('invalid', 'Choose a page first: search, then pick one of the results.');
    $.search.focus();
    return;
  }
  const body = {
    database_id: $.database.value,
    page_id: chosenPage.id,
    status_property_name: $.statusProperty.value.trim() || DEFAULTS.status,
    results_property_name: $.resultsProperty.value.trim() || DEFAULTS.results,
    notion_status_value_not_started: $.notStarted.value.trim() || DEFAULTS.notStarted,
    notion_status_value_in_voting: $.inVoting.value.trim() || DEFAULTS.inVoting,
    notion_status_value_done: $.done.value.trim() || DEFAULTS.done,
  };
  $.submit.disabled = true;
  setValidation('pending', 'Linking…');
  try {
    const answer = await api('POST', `${base}/notion/link`, body);
    election = answer.election;
    render();
    const warnings = answer.warnings || [];
    $.warningsList.replaceChildren(...warnings.map((w) => el('li', {}, w)));
    $.warnings.hidden = warnings.length === 0;
    show($.alert, '');
    $.syncResult.hidden = true;
    show($.status, `Linked to "${chosenPage.title || chosenPage.id}".`);
    setValidation('', 'Choose a page to check it.');
    closeForm();
  } catch (error) {
    setValidation('invalid', `Not linked: ${errorText(error)}${error.status >= 500 ? ' ' + advice({ code: error.code, status: error.status, retryAfter: error.retryAfter, text: error.message }) : ''}`);
    $.validation.focus();
  } finally {
    $.submit.disabled = false;
  }
}

// ---- Sync and unlink -------------------------------------------------------------------------

/** A pulled field for people: its new value when this sync pulled it, else "unchanged". */
function describeSynced(value, changed) {
  return changed && value !== null && value !== undefined ? `"${value}"` : 'unchanged';
}

function describeWritten(value) {
  return value === null || value === undefined ? 'nothing to write (already right)' : String(value);
}

async function sync() {
  syncing = true;
  $.sync.disabled = true;
  show($.alert, '');
  show($.status, 'Syncing with Notion…');
  try {
    const answer = await api('POST', `${base}/notion/sync`);
    const synced = answer.synced || {};
    const written = answer.written || {};
    // `title` and `description` are always present (the election's values after the sync): only
    // the *_changed flags say whether this sync pulled them from Notion.
    byId('synced-title').textContent = describeSynced(synced.title, synced.title_changed);
    byId('synced-description').textContent = describeSynced(synced.description, synced.description_changed);
    byId('written-status').textContent = describeWritten(written.status);
    byId('written-results-link').textContent = describeWritten(written.results_link);
    $.syncResult.hidden = false;
    const changes = [written.status && `status "${written.status}" written`, written.results_link && 'results link written',
      synced.title_changed && 'title updated from Notion', synced.description_changed && 'description updated from Notion'].filter(Boolean);
    show($.status, `Synced with Notion: ${changes.length ? changes.join(', ') : 'everything already matched'}.`);
  } catch (error) {
    show($.status, '');
    $.syncResult.hidden = true;
    showAlert('The sync failed', error);
  } finally {
    syncing = false;
    await Promise.all([loadElection(), loadActivity()]);
  }
}

async function unlink() {
  $.unlink.disabled = true;
  show($.alert, '');
  show($.status, 'Unlinking…');
  try {
    const answer = await api('DELETE', `${base}/notion/link`);
    if (answer && answer.election) {
      election = answer.election;
      render();
    } else {
      await loadElection();
    }
    $.syncResult.hidden = true;
    $.warnings.hidden = true;
    show($.status, 'Unlinked from Notion. The page in Notion was left as it is.');
  } catch (error) {
    show($.status, '');
    showAlert('Could not unlink', error);
    await loadElection();
  }
  $.openForm.focus();
}

// ---- Activity --------------------------------------------------------------------------------

const ACTIVITY_PAGE = 20;
const activity = { cursor: null, shown: 0, seq: 0 };

const FIELDS = { status: 'Status', results_link: 'Results link', title: 'Title from Notion', description: 'Description from Notion' };
const quoted = (value) => (value === null || value === undefined || value === '' ? 'empty' : `"${value}"`);

function activityRow(entry) {
  const cell = (label, ...content) => el('td', { 'data-label': label }, ...content);
  const lines = entry.changes.map((c) => el('p', { class: 'change' },
    `${c.property ? `${FIELDS[c.field] || c.field} (${c.property})` : (FIELDS[c.field] || c.field)}: `,
    el('span', { class: 'before' }, quoted(c.before)), ' → ', el('span', { class: 'after' }, quoted(c.after))));
  const what = [
    entry.error ? el('p', { class: entry.action === 'failed' ? 'log-error' : '' }, entry.action === 'skipped' ? `Skipped: ${entry.error}` : entry.error) : null,
    lines,
    entry.action === 'no_change' ? el('p', {}, 'Nothing to write: the page already matched.') : null,
    !entry.error && lines.length === 0 && entry.action !== 'no_change' ? el('p', { class: 'muted' }, 'No values changed.') : null,
  ];
  return el('tr', { dataset: { seq: entry.seq } },
    el('th', { scope: 'row', 'data-label': 'When', class: 'when' },
      el('a', { href: `/ui/sync/runs/${encodeURIComponent(entry.run_id)}`, title: 'The sync run that did this' }, timeElement(entry.at))),
    cell('Action', actionBadge(entry.action)),
    cell('Trigger', triggerLabel(entry.trigger)),
    cell('What changed', el('div', { class: 'what' }, what)));
}

/**
 * Loads the newest entries (`older` false: again from the top, as many as are shown, so a live
 * update keeps what the user paged to) or the next older page.
 */
async function loadActivity(older = false) {
  const status = byId('activity-status');
  const body = byId('activity-body');
  const button = byId('older-activity');
  const seq = ++activity.seq;
  const limit = older ? ACTIVITY_PAGE : Math.min(200, Math.max(ACTIVITY_PAGE, activity.shown));
  const query = new URLSearchParams({ limit: String(limit) });
  if (older && activity.cursor) query.set('cursor', activity.cursor);
  button.disabled = true;
  try {
    const page = await api('GET', `${base}/activity?${query}`);
    if (seq !== activity.seq) return;
    show(byId('activity-error'), '');
    const rows = page.entries.map(activityRow);
    if (older) body.append(...rows);
    else body.replaceChildren(...rows);
    activity.cursor = page.next_cursor;
    activity.shown = body.children.length;
    button.hidden = !activity.cursor;
    byId('activity-table').hidden = activity.shown === 0;
    show(status, activity.shown === 0
      ? 'Nothing yet: entries appear once the election is linked and synced.'
      : `${activity.shown} entr${activity.shown === 1 ? 'y' : 'ies'}${activity.cursor ? ' so far: "Older activity" lists more' : ''}.`);
  } catch (error) {
    if (seq !== activity.seq) return;
    if (error.status === 404) {
      show(status, '');
      return;
    }
    show(byId('activity-error'), `Could not load the activity: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

// ---- Delete ----------------------------------------------------------------------------------

async function deleteElection() {
  $.delete.disabled = true;
  show($.deleteAlert, '');
  try {
    await api('DELETE', base);
    remember(`Deleted "${election.title}". Notion was not touched.`);
    location.assign('/ui/');
  } catch (error) {
    if (error.status === 404) {
      remember(`"${election.title}" was already deleted.`);
      location.assign('/ui/');
      return;
    }
    show($.deleteAlert, `Could not delete the election: ${error.message}`);
    $.delete.disabled = false;
    $.delete.focus();
  }
}

// ---- Wiring ----------------------------------------------------------------------------------

$.openForm.addEventListener('click', () => ($.form.hidden ? openForm() : closeForm()));
byId('cancel-link').addEventListener('click', closeForm);
$.form.addEventListener('submit', link);
$.database.addEventListener('change', () => {
  choosePage(null);
  runSearch(true);
});
$.search.addEventListener('input', debounce(() => runSearch(true), 300));
$.search.addEventListener('keydown', (event) => {
  // Enter searches at once instead of submitting the link form.
  if (event.key === 'Enter') {
    event.preventDefault();
    runSearch(true);
  }
});
$.more.addEventListener('click', () => runSearch(false));
const revalidate = debounce(validate, 400);
for (const input of [$.statusProperty, $.notStarted, $.inVoting, $.done]) input.addEventListener('input', revalidate);
$.validation.tabIndex = -1;
$.form.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeForm();
});

$.sync.addEventListener('click', sync);
$.unlink.addEventListener('click', () => $.dialog.showModal());
$.dialog.addEventListener('close', () => {
  if ($.dialog.returnValue === 'confirm') unlink();
  else $.unlink.focus();
  $.dialog.returnValue = '';
});

$.delete.addEventListener('click', () => $.deleteDialog.showModal());
$.deleteDialog.addEventListener('close', () => {
  if ($.deleteDialog.returnValue === 'confirm') deleteElection();
  else $.delete.focus();
  $.deleteDialog.returnValue = '';
});

byId('older-activity').addEventListener('click', () => loadActivity(true));

if (requireToken()) {
  let first = true;
  keepCurrent(async () => {
    await Promise.all([loadElection(), loadActivity()]);
    if (first) {
      first = false;
      await loadDatabases();
    }
  }, byId('live-state'));
}
