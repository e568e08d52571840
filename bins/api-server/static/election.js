// The election management page: the election, and its Notion Integration section (link with
// search and validation, sync, unlink behind a confirmation; the status Notion shows next to the one
// the sync keeps it at, last sync, last error and the next attempt). An election may link several
// pages: each is listed with its own state and actions, and "Add another page" links one more
// through the same form. The form offers, once a database is chosen, that database's properties
// of the right type for each field the sync maps.

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
  addLink: byId('add-link'),
  linksBlock: byId('notion-links-block'),
  links: byId('notion-links'),
  removeDialog: byId('remove-link-dialog'),
  formHeading: byId('link-form-heading'),
  replaces: byId('link-replaces'),
  mappingStatus: byId('mapping-status'),
  titleProperty: byId('title-property'),
  descriptionProperty: byId('description-property'),
  votingWindow: byId('voting-window'),
  votingSplit: byId('voting-split'),
  votingOpens: byId('voting-opens'),
  votingCloses: byId('voting-closes'),
  electionIdProperty: byId('election-id-property'),
  phaseProperty: byId('phase-property'),
  phaseValues: byId('phase-values'),
  phaseOptions: byId('phase-options'),
  phaseUpcoming: byId('phase-upcoming'),
  phaseOpen: byId('phase-open'),
  phaseClosed: byId('phase-closed'),
};

const DEFAULTS = {
  status: 'Voting Status', results: 'Results Link',
  notStarted: 'Not started', inVoting: 'In Voting', done: 'Done',
  title: 'Name', description: 'Description',
};
/** The voting window dropdown's choice of two Date properties (open_at and close_at apart). */
const SPLIT = '__two_dates__';
/** The Notion property types each field of the form accepts. */
const TYPES = {
  status: ['status'], results: ['url'], title: ['title', 'rich_text'], description: ['rich_text'],
  window: ['date'], electionId: ['rich_text'], phase: ['select'],
};

let election = null;
let databases = null;
let chosenPage = null;
let search = { cursor: null, controller: null, seq: 0 };
let validationSeq = 0;
let syncing = false;
// 'replace': the form links the primary page (…/notion/link); 'add': it adds a page (…/notion/links).
let formMode = 'replace';
// The chosen database's properties ([{id, name, type, options}]), null until read.
let properties = null;
let propertiesSeq = 0;
// Links with an action (sync, make primary, remove) under way: their buttons stay disabled.
const busyLinks = new Set();
// The link the remove dialog asks about.
let removing = null;

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

  renderLinks(e);

  // While linked, the same form picks another page: say so.
  $.openForm.textContent = linked ? 'Change page' : 'Link to Notion Page';
  if (formMode === 'replace') $.formHeading.textContent = linked ? 'Change the linked Notion page' : 'Link to Notion Page';
  $.addLink.hidden = !linked;
  // A live update during a manual sync must not re-enable the button mid-sync.
  $.sync.disabled = !linked || syncing;
  $.unlink.disabled = !linked;
  $.delete.disabled = false;
  byId('delete-election-title').textContent = `"${e.title}"`;
  byId('unlink-page-title').textContent = linked ? page.textContent : '';
}

// ---- The election's links -------------------------------------------------------------------

function linkLabel(link) {
  return titleFromUrl(link.notion_page_url) || link.notion_page_id;
}

/** A link's state in plain words: what Notion shows against what the sync keeps it at. */
function linkState(link) {
  if (!link.notion_observed_at) return 'Status in Notion: not read yet.';
  const current = link.notion_status_current ? `"${link.notion_status_current}"` : 'no status';
  if (!link.notion_status_desired) return `Notion shows ${current}; the sync writes no status for the current phase.`;
  return link.notion_status_desired === link.notion_status_current
    ? `Notion shows ${current}, as the sync wants.`
    : `Notion shows ${current}; the next sync writes "${link.notion_status_desired}".`;
}

function linkRow(link) {
  const label = linkLabel(link);
  const labelId = `link-page-${link.id}`;
  const href = notionView ? notionView + encodeURIComponent(link.notion_page_id) : link.notion_page_url;
  const page = href
    ? el('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'link-page', id: labelId }, label,
      el('span', { class: 'visually-hidden' }, ' (opens in a new tab)'))
    : el('strong', { class: 'link-page', id: labelId }, label);
  const error = link.notion_last_sync_error
    || (link.notion_link_broken ? 'The page was trashed, deleted or unshared in Notion.' : null);
  const busy = busyLinks.has(link.id);
  const button = (cls, text) => el('button', { type: 'button', class: cls, 'aria-describedby': labelId, disabled: busy }, text);
  const sync = button('link-sync', 'Sync now');
  sync.addEventListener('click', () => linkAction(link, 'sync'));
  const primary = link.primary ? null : button('link-make-primary', 'Make primary');
  if (primary) primary.addEventListener('click', () => linkAction(link, 'primary'));
  const remove = button('link-remove danger', 'Remove');
  remove.addEventListener('click', () => {
    removing = link;
    byId('remove-link-page-title').textContent = label;
    $.removeDialog.showModal();
  });
  return el('li', { class: 'link-row', dataset: { linkId: link.id } },
    el('p', { class: 'link-head' }, page,
      el('span', { class: 'link-database muted' }, `in ${databaseName(link.notion_database_id)}`),
      link.primary ? el('span', { class: 'badge badge-primary link-primary' }, 'Primary') : null,
      link.notion_link_broken ? el('span', { class: 'badge badge-error' }, 'Link broken') : null),
    el('p', { class: 'link-state' }, linkState(link), ' ',
      el('span', { class: 'muted' }, 'Last sync: ', timeElement(link.notion_last_sync_at, 'never'), '.')),
    error ? el('p', { class: 'link-error log-error' }, `Last error: ${error} `,
      el('span', { class: 'muted' }, `What to do: ${link.notion_link_broken && !link.notion_last_sync_error
        ? 'restore the page or share it again with the integration in Notion, or remove this link.'
        : advice({ text: error })}`)) : null,
    el('div', { class: 'actions' }, sync, primary, remove));
}

function renderLinks(e) {
  const links = e.notion_links || [];
  $.linksBlock.hidden = links.length === 0;
  $.links.replaceChildren(...links.map(linkRow));
}

/** Syncs one link now, makes it primary, or removes it; then shows the election afresh. */
async function linkAction(link, kind) {
  const label = linkLabel(link);
  const path = `${base}/notion/links/${encodeURIComponent(link.id)}`;
  busyLinks.add(link.id);
  renderLinks(election);
  show($.alert, '');
  try {
    if (kind === 'sync') {
      show($.status, `Syncing "${label}" with Notion…`);
      showSyncResult(await api('POST', `${path}/sync`), `"${label}"`);
    } else if (kind === 'primary') {
      election = (await api('POST', `${path}/primary`)).election;
      show($.status, `"${label}" is now the primary page.`);
    } else {
      election = (await api('DELETE', path)).election;
      $.syncResult.hidden = true;
      show($.status, `Removed the link to "${label}". The page in Notion was left as it is.`);
    }
  } catch (error) {
    show($.status, '');
    const what = { sync: `The sync of "${label}" failed`, primary: `Could not make "${label}" the primary page`, remove: `Could not remove the link to "${label}"` };
    showAlert(what[kind], error);
  } finally {
    busyLinks.delete(link.id);
    await Promise.all([loadElection(), loadActivity()]);
  }
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
    databases.map((d) => el('option', { value: d.id }, d.workspace_name ? `${d.name} (${d.workspace_name})` : d.name)));
  if (election) render();
}

// ---- Link form: search, choice, validation ---------------------------------------------------

/** What the form starts with: the primary link's mapping when changing its page, else the defaults. */
function prefillFor(mode) {
  const e = election || {};
  const primary = mode === 'replace' && e.notion_page_id ? e : null;
  const m = (primary && primary.notion_mapping) || {};
  const name = (ref) => (ref && ref.name) || '';
  const window = m.voting_window || null;
  return {
    status: (primary && primary.notion_status_property_name) || DEFAULTS.status,
    results: (primary && primary.notion_results_property_name) || DEFAULTS.results,
    notStarted: (primary && primary.notion_status_value_not_started) || DEFAULTS.notStarted,
    inVoting: (primary && primary.notion_status_value_in_voting) || DEFAULTS.inVoting,
    done: (primary && primary.notion_status_value_done) || DEFAULTS.done,
    title: name(m.title && m.title.property) || DEFAULTS.title,
    description: name(m.description && m.description.property) || DEFAULTS.description,
    titleDirection: (m.title && m.title.direction) || 'pull',
    descriptionDirection: (m.description && m.description.direction) || 'pull',
    window: !window ? '' : window.kind === 'split' ? SPLIT : name(window.property),
    opens: window && window.kind === 'split' ? name(window.opens) : '',
    closes: window && window.kind === 'split' ? name(window.closes) : '',
    electionId: name(m.election_id),
    phase: name(m.phase && m.phase.property),
    phaseUpcoming: (m.phase && m.phase.upcoming) || DEFAULTS.notStarted,
    phaseOpen: (m.phase && m.phase.open) || DEFAULTS.inVoting,
    phaseClosed: (m.phase && m.phase.closed) || DEFAULTS.done,
  };
}

const radioValue = (name) => ($.form.querySelector(`input[name="${name}"]:checked`) || {}).value || 'pull';

/** The form's current choices, in the shape of prefillFor's, so a new database keeps what fits. */
function currentValues() {
  return {
    status: $.statusProperty.value, results: $.resultsProperty.value,
    notStarted: $.notStarted.value, inVoting: $.inVoting.value, done: $.done.value,
    title: $.titleProperty.value, description: $.descriptionProperty.value,
    titleDirection: radioValue('title_direction'), descriptionDirection: radioValue('description_direction'),
    window: $.votingWindow.value, opens: $.votingOpens.value, closes: $.votingCloses.value,
    electionId: $.electionIdProperty.value, phase: $.phaseProperty.value,
    phaseUpcoming: $.phaseUpcoming.value, phaseOpen: $.phaseOpen.value, phaseClosed: $.phaseClosed.value,
  };
}

/**
 * Fills a dropdown with `names` and selects the first of `wanted` it offers. Without one: an
 * optional field selects "none"; a required one its first name when `firstIfMissing`, else an
 * entry saying what is missing (submitted as the default, so the server says what to fix).
 */
function fillSelect(select, names, { wanted = [], optional = false, firstIfMissing = true, missing = 'none', extra = [] }) {
  const options = names.map((n) => el('option', { value: n }, n));
  if (optional) options.unshift(el('option', { value: '' }, 'none'));
  options.push(...extra);
  const values = options.map((o) => o.value);
  let value = wanted.find((w) => w && values.includes(w));
  if (value === undefined) {
    if (optional) value = '';
    else if (firstIfMissing && names.length) value = names[0];
    else {
      options.unshift(el('option', { value: '' }, missing));
      value = '';
    }
  }
  select.replaceChildren(...options);
  select.value = value;
}

/** The names of the chosen database's properties of these types (before it is read: `own`). */
function namesOf(types, own) {
  if (!properties) return own ? [own] : [];
  return properties.filter((p) => types.includes(p.type)).map((p) => p.name);
}

/** The status values: the options of the chosen status property, the defaults preselected. */
function fillStatusValues(want) {
  const property = properties && properties.find((p) => p.type === 'status' && p.name === $.statusProperty.value);
  for (const [select, key] of [[$.notStarted, 'notStarted'], [$.inVoting, 'inVoting'], [$.done, 'done']]) {
    const options = properties ? (property ? property.options : []) : [want[key]];
    fillSelect(select, options, {
      wanted: [want[key], DEFAULTS[key]], firstIfMissing: false,
      missing: property ? `No "${DEFAULTS[key]}" option` : 'Choose the status property first',
    });
  }
}

function fillPhaseOptions() {
  const property = properties && properties.find((p) => p.type === 'select' && p.name === $.phaseProperty.value);
  $.phaseOptions.replaceChildren(...(property ? property.options : []).map((o) => el('option', { value: o })));
  $.phaseValues.hidden = !$.phaseProperty.value;
}

function fillWindowSplit(want) {
  const dates = namesOf(TYPES.window, null);
  const own = (name) => (properties ? dates : [name].filter(Boolean));
  fillSelect($.votingOpens, own(want.opens), { wanted: [want.opens], missing: 'No Date property' });
  fillSelect($.votingCloses, own(want.closes), {
    wanted: [want.closes, dates.find((d) => d !== $.votingOpens.value)], missing: 'No Date property',
  });
  $.votingSplit.hidden = $.votingWindow.value !== SPLIT;
}

/** Offers the chosen database's properties in every dropdown, preselecting `want` where it fits. */
function applyProperties(want) {
  const required = (select, key, missing) => fillSelect(select, namesOf(TYPES[key], want[key]), {
    wanted: [want[key], DEFAULTS[key]], missing,
  });
  required($.statusProperty, 'status', 'No Status property in this database');
  required($.resultsProperty, 'results', 'No URL property (no results link is written)');
  required($.titleProperty, 'title', 'No title or text property');
  required($.descriptionProperty, 'description', 'No text property');
  // Two Date properties are offered when there are two (or, before the database is read, when
  // that is the mapping to start from).
  const split = properties ? namesOf(TYPES.window, null).length >= 2 : want.window === SPLIT;
  const optional = (select, key) => fillSelect(select, namesOf(TYPES[key], want[key] === SPLIT ? null : want[key]), {
    wanted: [want[key]], optional: true,
    extra: key === 'window' && split ? [el('option', { value: SPLIT }, 'Two Date properties…')] : [],
  });
  optional($.votingWindow, 'window');
  optional($.electionIdProperty, 'electionId');
  optional($.phaseProperty, 'phase');
  fillStatusValues(want);
  fillWindowSplit(want);
  fillPhaseOptions();
  $.phaseUpcoming.value = want.phaseUpcoming || DEFAULTS.notStarted;
  $.phaseOpen.value = want.phaseOpen || DEFAULTS.inVoting;
  $.phaseClosed.value = want.phaseClosed || DEFAULTS.done;
  for (const [name, value] of [['title_direction', want.titleDirection], ['description_direction', want.descriptionDirection]]) {
    for (const radio of $.form.querySelectorAll(`input[name="${name}"]`)) radio.checked = radio.value === (value || 'pull');
  }
  describeDirections();
}

/** Says plainly which way the title and description will go, as the direction switches say. */
function describeDirections() {
  const title = radioValue('title_direction');
  const description = radioValue('description_direction');
  let text;
  if (formMode === 'add' && (title === 'pull' || description === 'pull')) {
    // Only the primary page is pulled from: two sources would take turns.
    text = 'This page will not change the election\'s title or description: they are taken from the primary page only. Choose "Push to Notion" to write this election\'s title and description to this page too.';
  } else if (title === 'pull' && description === 'pull') {
    text = 'The title and description will be taken from Notion: once linked, this election\'s title and description are replaced by the page\'s (its title and description properties) at the next sync, and follow the page from then on. An empty value in Notion never erases them.';
  } else if (title === 'push' && description === 'push') {
    text = 'The title and description will be written to Notion: once linked, the page\'s title and description properties are replaced by this election\'s at the next sync, and follow the election from then on.';
  } else {
    const [pulled, pushed] = title === 'pull' ? ['title', 'description'] : ['description', 'title'];
    text = `The ${pulled} will be taken from Notion and the ${pushed} written to Notion: at the next sync this election's ${pulled} is replaced by the page's, and the page's ${pushed} by this election's.`;
  }
  $.replaces.textContent = text;
}

/** Reads the chosen database's properties and offers them, keeping the choices that still fit. */
async function loadProperties() {
  const databaseId = $.database.value;
  const seq = ++propertiesSeq;
  const want = currentValues();
  properties = null;
  $.mappingStatus.classList.remove('error');
  if (!databaseId) {
    show($.mappingStatus, 'Choose a database to offer its properties.');
    return;
  }
  show($.mappingStatus, 'Reading the database\'s properties…');
  try {
    const body = await api('GET', `/admin/notion/databases/${encodeURIComponent(databaseId)}/properties`);
    if (seq !== propertiesSeq) return;
    properties = body.properties;
    applyProperties(want);
    show($.mappingStatus, `Each dropdown offers the properties of ${databaseName(databaseId)} that can hold that field.`);
  } catch (error) {
    if (seq !== propertiesSeq) return;
    show($.mappingStatus, `Could not read the database's properties: ${errorText(error)} ${advice({ code: error.code, status: error.status, retryAfter: error.retryAfter, text: error.message })}`);
    $.mappingStatus.classList.add('error');
  }
}

function opener(mode) {
  return mode === 'add' ? $.addLink : $.openForm;
}

function openForm(mode) {
  formMode = mode;
  $.form.hidden = false;
  $.openForm.setAttribute('aria-expanded', String(mode === 'replace'));
  $.addLink.setAttribute('aria-expanded', String(mode === 'add'));
  const e = election || {};
  const adding = mode === 'add';
  $.formHeading.textContent = adding ? 'Add another Notion page'
    : e.notion_page_id ? 'Change the linked Notion page' : 'Link to Notion Page';
  $.submit.textContent = adding ? 'Add page' : 'Link Election';
  if (adding) {
    // Another page: start from the database choice, not the primary's page.
    $.database.value = '';
    choosePage(null);
    runSearch(true);
    properties = null;
    show($.mappingStatus, 'Choose a database to offer its properties.');
  }
  applyProperties(prefillFor(mode));
  loadDatabases().then(() => {
    if (!adding && !$.database.value && e.notion_database_id && databases && databases.some((d) => d.id === e.notion_database_id)) {
      $.database.value = e.notion_database_id;
      runSearch(true);
      loadProperties();
    }
    $.database.focus();
  });
}

function closeForm() {
  $.form.hidden = true;
  $.openForm.setAttribute('aria-expanded', 'false');
  $.addLink.setAttribute('aria-expanded', 'false');
  opener(formMode).focus();
}

/** The opener's click: opens the form in its mode, or closes it when it is open in that mode. */
function toggleForm(mode) {
  if (!$.form.hidden && formMode === mode) closeForm();
  else openForm(mode);
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
    // Read through the chosen database's connection (a connected workspace's page is not the
    // internal integration's).
    if ($.database.value) query.set('database_id', $.database.value);
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
    title_property_name: $.titleProperty.value || DEFAULTS.title,
    description_property_name: $.descriptionProperty.value || DEFAULTS.description,
    title_direction: radioValue('title_direction'),
    description_direction: radioValue('description_direction'),
  };
  if ($.votingWindow.value === SPLIT) {
    body.voting_opens_property = $.votingOpens.value;
    body.voting_closes_property = $.votingCloses.value;
  } else if ($.votingWindow.value) {
    body.voting_window_property = $.votingWindow.value;
  }
  if ($.electionIdProperty.value) body.election_id_property = $.electionIdProperty.value;
  if ($.phaseProperty.value) {
    body.phase_property = $.phaseProperty.value;
    body.phase_value_upcoming = $.phaseUpcoming.value.trim() || DEFAULTS.notStarted;
    body.phase_value_open = $.phaseOpen.value.trim() || DEFAULTS.inVoting;
    body.phase_value_closed = $.phaseClosed.value.trim() || DEFAULTS.done;
  }
  const adding = formMode === 'add';
  $.submit.disabled = true;
  setValidation('pending', adding ? 'Adding the page…' : 'Linking…');
  try {
    const answer = await api('POST', `${base}/notion/${adding ? 'links' : 'link'}`, body);
    election = answer.election;
    render();
    const warnings = answer.warnings || [];
    $.warningsList.replaceChildren(...warnings.map((w) => el('li', {}, w)));
    $.warnings.hidden = warnings.length === 0;
    show($.alert, '');
    $.syncResult.hidden = true;
    show($.status, adding
      ? `Added "${chosenPage.title || chosenPage.id}": the election now shows on ${(election.notion_links || []).length} pages.`
      : `Linked to "${chosenPage.title || chosenPage.id}".`);
    setValidation('', 'Choose a page to check it.');
    closeForm();
  } catch (error) {
    if (error.code === 'page_already_linked') {
      await showPageTaken(error);
      $.validation.focus();
      return;
    }
    setValidation('invalid', `Not linked: ${errorText(error)}${error.status >= 500 ? ' ' + advice({ code: error.code, status: error.status, retryAfter: error.retryAfter, text: error.message }) : ''}`);
    $.validation.focus();
  } finally {
    $.submit.disabled = false;
  }
}

/**
 * A 409 `page_already_linked`: says which election has the page (by its title, with a link to
 * it), not a generic error. The server's message names the election by id.
 */
async function showPageTaken(error) {
  const match = /election '([^']+)'/.exec(error.message);
  const other = match ? match[1] : null;
  if (!other) {
    setValidation('invalid', `Not linked: ${errorText(error)}`);
    return;
  }
  if (other === electionId) {
    setValidation('invalid', 'Not linked: this page is already one of this election\'s linked pages. Choose another page.');
    return;
  }
  let title = null;
  try {
    title = (await api('GET', `/admin/elections/${encodeURIComponent(other)}`)).election.title;
  } catch {
    // The id alone still names it.
  }
  $.validation.className = 'validation invalid';
  fill($.validation, el('p', {},
    'Not linked: this page is already linked to another election, ',
    el('a', { href: `/ui/elections/${encodeURIComponent(other)}`, id: 'taken-by' }, title ? `"${title}"` : other),
    title ? ` (${other})` : '',
    '. One Notion page shows one election: unlink it there first, or choose another page.'));
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
    showSyncResult(await api('POST', `${base}/notion/sync`), null);
  } catch (error) {
    show($.status, '');
    $.syncResult.hidden = true;
    showAlert('The sync failed', error);
  } finally {
    syncing = false;
    await Promise.all([loadElection(), loadActivity()]);
  }
}

/** Shows what a manual sync pulled and wrote (`what`: which page, when not the primary). */
function showSyncResult(answer, what) {
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
  show($.status, `Synced ${what ? `${what} ` : ''}with Notion: ${changes.length ? changes.join(', ') : 'everything already matched'}.`);
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

$.openForm.addEventListener('click', () => toggleForm('replace'));
$.addLink.addEventListener('click', () => toggleForm('add'));
byId('cancel-link').addEventListener('click', closeForm);
$.form.addEventListener('submit', link);
$.database.addEventListener('change', () => {
  choosePage(null);
  runSearch(true);
  loadProperties();
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
$.statusProperty.addEventListener('change', () => {
  fillStatusValues(currentValues());
  revalidate();
});
for (const input of [$.notStarted, $.inVoting, $.done]) input.addEventListener('change', revalidate);
$.votingWindow.addEventListener('change', () => fillWindowSplit(currentValues()));
$.phaseProperty.addEventListener('change', fillPhaseOptions);
for (const radio of $.form.querySelectorAll('input[name$="_direction"]')) radio.addEventListener('change', describeDirections);
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

$.removeDialog.addEventListener('close', () => {
  const link = removing;
  removing = null;
  if ($.removeDialog.returnValue === 'confirm' && link) linkAction(link, 'remove');
  $.removeDialog.returnValue = '';
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
