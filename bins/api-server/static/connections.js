// The Connections page: the internal integration and each Notion workspace connected through
// OAuth, with its state ("Reconnect" when it needs re-authorization), the databases it can see
// with Allow / Disallow, "Connect a Notion workspace" and Disconnect behind a confirmation; and,
// under each allowed database, "Manage": its mode (linked, or managed: every election gets a page
// there by itself), the managed options and its counts.

import { api, requireToken } from './api.js';
import { byId, el, initChrome, show, timeElement } from './ui.js';

initChrome();

const status = byId('connections-status');
const alert = byId('connections-error');
const list = byId('connections-list');
const connectButton = byId('connect-workspace');
const dialog = byId('disconnect-dialog');

const STATES = {
  active: ['Active', 'badge-ok'],
  needs_reauthorization: ['Needs re-authorization', 'badge-error'],
  revoked: ['Disconnected', 'badge-neutral'],
};

function stateBadge(state) {
  const [label, kind] = STATES[state] || [state, 'badge-neutral'];
  return el('span', { class: `badge ${kind}`, dataset: { state } }, label);
}

/** Mints a state and sends the browser to Notion's consent page. */
async function startConnecting(button) {
  button.disabled = true;
  try {
    const answer = await api('POST', '/admin/notion/connections');
    location.assign(answer.authorize_url);
  } catch (error) {
    show(alert, `Could not start connecting a workspace: ${error.message}`);
    button.disabled = false;
  }
}

/** What a database's counts say, for people. */
function countsText(db) {
  const c = db.counts;
  const parts = [`${c.linked_elections} election${c.linked_elections === 1 ? '' : 's'} linked`];
  if (c.managed_pages == null) parts.push('no backfill yet (managed pages, orphans and duplicates show after `sync-runner backfill --database`)');
  else parts.push(`${c.managed_pages} managed page${c.managed_pages === 1 ? '' : 's'}`, `${c.orphans} orphan${c.orphans === 1 ? '' : 's'}`, `${c.duplicates} duplicate${c.duplicates === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

function lastPassText(pass) {
  if (!pass) return 'No pass yet.';
  const what = `${pass.created} created, ${pass.linked} found by key, ${pass.trashed} trashed`;
  return `Last ${pass.kind === 'full' ? 'backfill' : 'delta'}: ${what}${pass.complete ? '' : ' (incomplete)'}${pass.halted ? `; the brake held the sweep back: ${pass.halted}` : ''}.`;
}

/** The form of one database's mode and options, filled from `GET /admin/notion/databases/{id}`. */
function managedForm(database, holder, state) {
  const id = database.id;
  const field = (name) => `managed-${name}-${id}`;
  const mode = el('select', { id: field('mode'), name: 'mode' },
    el('option', { value: 'linked', selected: state.mode === 'linked' }, 'Linked: pages linked by hand'),
    el('option', { value: 'managed', selected: state.mode === 'managed' }, 'Managed: every election gets a page here'));
  const key = el('input', { id: field('key'), name: 'key_property', type: 'text', value: state.key_property, maxlength: '100', required: true });
  const existing = el('input', { id: field('existing'), name: 'include_existing', type: 'checkbox', checked: state.include_existing });
  const onDeleted = el('select', { id: field('deleted'), name: 'on_election_deleted' },
    el('option', { value: 'keep', selected: state.on_election_deleted === 'keep' }, 'Keep its page (drop the link)'),
    el('option', { value: 'trash', selected: state.on_election_deleted === 'trash' }, 'Trash its page (on the next clean backfill)'));
  const written = state.written_at_creation || {};
  const writtenBoxes = [
    ['title', 'Title'], ['description', 'Description'], ['voting_window', 'Voting window'],
    ['status', 'Status and results link'],
  ].map(([name, label]) => {
    const box = el('input', { id: field(`written-${name}`), name: `written_${name}`, type: 'checkbox', checked: written[name] !== false });
    return [name, box, el('label', { for: field(`written-${name}`) }, label)];
  });
  const writtenSet = el('fieldset', { class: 'managed-written' },
    el('legend', {}, 'A new page is created with (besides its key)'),
    writtenBoxes.map(([, box, label]) => el('span', {}, box, ' ', label, ' ')));
  const save = el('button', { type: 'submit', class: 'primary', dataset: { action: 'save-managed' } }, 'Save');
  const message = el('p', { class: 'managed-message', role: 'status' });
  const counts = el('p', { class: 'managed-counts', dataset: { role: 'managed-counts' } }, countsText(state));
  const lastPass = el('p', { class: 'hint managed-last-pass' }, lastPassText(state.last_pass));
  const since = state.managed_since
    ? el('p', { class: 'hint' }, 'Managed since ', timeElement(state.managed_since), '.')
    : null;
  const form = el('form', { class: 'managed-database-form', dataset: { databaseId: id } },
    el('p', {}, el('label', { for: field('mode') }, 'Mode'), ' ', mode),
    el('p', {}, el('label', { for: field('key') }, 'Key property (a Text property holding the election id)'), ' ', key),
    el('p', {}, existing, ' ', el('label', { for: field('existing') }, 'Also give elections created before the switch a page')),
    el('p', {}, el('label', { for: field('deleted') }, 'When an election is deleted'), ' ', onDeleted),
    writtenSet,
    el('div', { class: 'actions' }, save),
    message, counts, lastPass, since);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const answer = await api('PATCH', `/admin/notion/databases/${encodeURIComponent(id)}`, {
        mode: mode.value,
        key_property: key.value,
        include_existing: existing.checked,
        on_election_deleted: onDeleted.value,
        written_at_creation: Object.fromEntries(writtenBoxes.map(([name, box]) => [name, box.checked])),
      });
      managedForm(database, holder, answer.database);
      const saved = holder.querySelector('.managed-message');
      show(saved, answer.database.mode === 'managed'
        ? `${database.name} is managed: every new election gets its page there.`
        : `${database.name} is linked: pages are linked by hand.`);
    } catch (error) {
      show(message, `Could not save: ${error.message}`);
      save.disabled = false;
    }
  });
  holder.replaceChildren(form);
}

/** "Manage" under an allowed database: opens its mode, options and counts. */
function managedPanel(database) {
  const body = el('div', { class: 'managed-database-body' }, el('p', { class: 'muted' }, 'Loading…'));
  const details = el('details', { class: 'managed-database', dataset: { databaseId: database.id } },
    el('summary', {}, 'Manage'), body);
  details.addEventListener('toggle', async () => {
    if (!details.open) return;
    try {
      const answer = await api('GET', `/admin/notion/databases/${encodeURIComponent(database.id)}`);
      managedForm(database, body, answer.database);
    } catch (error) {
      body.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert' }, `Could not load its mode: ${error.message}`));
    }
  });
  return details;
}

function internalCard(connection) {
  const databases = connection.databases_allowed;
  return el('section', { class: 'card connection', dataset: { connectionId: connection.id } },
    el('h2', {}, 'Internal integration ', el('span', { class: 'muted' }, '(NOTION_API_KEY)')),
    el('p', {}, stateBadge(connection.state),
      connection.workspace_name ? ` Workspace: ${connection.workspace_name}.` : '',
      ` ${connection.links} link${connection.links === 1 ? '' : 's'}.`),
    el('p', { class: 'hint' }, 'Its databases are NOTION_DATABASE_ALLOWLIST (change that variable to change them):'),
    databases.length === 0
      ? el('p', { class: 'muted' }, 'None.')
      : el('ul', { class: 'connection-databases' },
        databases.map((d) => el('li', { dataset: { databaseId: d.id } }, d.name, ' ', el('code', {}, d.id), managedPanel(d)))));
}

function databaseRow(connection, database, refresh) {
  const button = el('button', {
    type: 'button',
    class: database.allowed ? '' : 'primary',
    dataset: { action: database.allowed ? 'disallow' : 'allow', databaseId: database.id },
  }, database.allowed ? 'Disallow' : 'Allow');
  button.addEventListener('click', async () => {
    button.disabled = true;
    const path = `/admin/notion/connections/${encodeURIComponent(connection.id)}/databases/${encodeURIComponent(database.id)}`;
    try {
      await api(database.allowed ? 'DELETE' : 'PUT', path);
      show(alert, '');
      await refresh();
    } catch (error) {
      show(alert, `Could not ${database.allowed ? 'disallow' : 'allow'} ${database.name}: ${error.message}`);
      button.disabled = false;
    }
  });
  const who = database.allowed && database.allowed_at
    ? el('span', { class: 'muted' }, ' allowed by ', database.allowed_by || 'an admin', ' ', timeElement(database.allowed_at))
    : null;
  return el('tr', { dataset: { databaseId: database.id } },
    el('th', { scope: 'row', 'data-label': 'Database' }, database.name, ' ', el('code', {}, database.id)),
    el('td', { 'data-label': 'Allowed' },
      database.allowed ? el('span', { class: 'badge badge-ok' }, 'Allowed') : el('span', { class: 'badge badge-neutral' }, 'Not allowed'),
      database.visible ? '' : el('span', { class: 'badge badge-warning' }, ' No longer shared'), who,
      database.allowed ? managedPanel(database) : null),
    el('td', { 'data-label': 'Action' }, button));
}

async function loadDatabases(connection, holder) {
  const refresh = () => loadDatabases(connection, holder);
  try {
    const answer = await api('GET', `/admin/notion/connections/${encodeURIComponent(connection.id)}/databases`);
    if (answer.databases.length === 0) {
      holder.replaceChildren(el('p', { class: 'muted' },
        'It sees no database: share one with the integration in Notion (or reconnect and tick it on the consent page).'));
      return;
    }
    holder.replaceChildren(el('div', { class: 'table-wrap' },
      el('table', { class: 'data-table connection-databases' },
        el('caption', { class: 'visually-hidden' }, `Databases of ${connection.workspace_name || connection.id}`),
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col' }, 'Database'), el('th', { scope: 'col' }, 'Allowed'), el('th', { scope: 'col' }, 'Action'))),
        el('tbody', {}, answer.databases.map((d) => databaseRow(connection, d, refresh))))));
  } catch (error) {
    holder.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert' }, `Its databases could not be listed: ${error.message}`));
  }
}

/** The connection's own request budget: a number per second, or empty for the server's default. */
function budgetForm(connection) {
  const inputId = `budget-${connection.id}`;
  const input = el('input', {
    id: inputId, type: 'number', min: '0.1', max: '100', step: '0.1', inputmode: 'decimal',
    value: connection.max_requests_per_second ?? '', placeholder: 'server default',
    'aria-describedby': `${inputId}-hint`,
  });
  const save = el('button', { type: 'submit', dataset: { action: 'save-budget' } }, 'Save budget');
  const form = el('form', { class: 'connection-budget', dataset: { connectionId: connection.id } },
    el('label', { for: inputId }, 'Requests per second'), ' ', input, ' ', save,
    el('p', { class: 'hint', id: `${inputId}-hint` },
      'Notion allows about 3 a second on most plans and 10 on Business and Enterprise. Leave empty for the server\'s default.'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const raw = input.value.trim();
    const rate = raw === '' ? null : Number(raw);
    save.disabled = true;
    try {
      const answer = await api('PATCH', `/admin/notion/connections/${encodeURIComponent(connection.id)}`,
        { max_requests_per_second: rate });
      const now = answer.connection.max_requests_per_second;
      show(alert, '');
      show(status, now == null
        ? `${connection.workspace_name || connection.id} uses the server's default budget.`
        : `${connection.workspace_name || connection.id} may send ${now} requests per second.`);
    } catch (error) {
      show(alert, `Could not change the budget: ${error.message}`);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function oauthCard(connection, oauthEnabled) {
  const name = connection.workspace_name || connection.workspace_id || connection.id;
  const databases = el('div', { class: 'connection-databases-holder' }, el('p', { class: 'muted' }, 'Loading its databases…'));
  const disconnect = el('button', { type: 'button', class: 'danger', dataset: { action: 'disconnect' } }, 'Disconnect');
  disconnect.addEventListener('click', () => confirmDisconnect(connection, name));
  const needsReauth = connection.state === 'needs_reauthorization';
  let reconnect = null;
  if (needsReauth && oauthEnabled) {
    reconnect = el('button', { type: 'button', class: 'primary', dataset: { action: 'reconnect' } }, 'Reconnect');
    reconnect.addEventListener('click', () => startConnecting(reconnect));
  }
  const card = el('section', { class: 'card connection', dataset: { connectionId: connection.id } },
    el('h2', {}, name),
    el('p', {}, stateBadge(connection.state),
      ` Connected ${connection.created_by ? `by ${connection.created_by} ` : ''}`, timeElement(connection.created_at),
      `. ${connection.links} link${connection.links === 1 ? '' : 's'}.`),
    needsReauth
      ? el('p', { class: 'notice notice-error', role: 'alert' },
        'This connection needs re-authorization: Notion refused its token, so its elections are not synced. ',
        connection.state_reason || '', ' Choose "Reconnect" and allow access again.')
      : (connection.state_reason ? el('p', { class: 'notice notice-warning' }, connection.state_reason) : null),
    el('p', { class: 'hint' }, 'Allow the databases whose pages may be linked through this connection:'),
    databases,
    budgetForm(connection),
    el('div', { class: 'actions' }, reconnect, disconnect));
  if (!needsReauth && connection.state === 'active') loadDatabases(connection, databases);
  else databases.replaceChildren();
  return card;
}

function confirmDisconnect(connection, name) {
  byId('disconnect-workspace').textContent = name;
  dialog.returnValue = '';
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'confirm') return;
    try {
      const answer = await api('DELETE', `/admin/notion/connections/${encodeURIComponent(connection.id)}`);
      show(alert, answer.revoked ? '' : `Disconnected, but Notion did not confirm the revocation: ${answer.revoke_error}`);
      show(status, `Disconnected ${name}.`);
      await load();
    } catch (error) {
      show(alert, `Could not disconnect ${name}: ${error.message}`);
    }
  };
  dialog.showModal();
}

/** Notion webhooks: each connection's verification token (pending until confirmed) and health. */
function webhooksCard(answer, refresh) {
  const health = answer.health || {};
  const last = health.last_received_at
    ? el('span', {}, ' Last event received ', timeElement(health.last_received_at), '.')
    : ' No event received yet.';
  const lag = health.last_lag_seconds == null ? '' : ` Last lag ${health.last_lag_seconds} s.`;
  const summary = el('p', { dataset: { role: 'webhook-health' } },
    `${health.events_total || 0} event${health.events_total === 1 ? '' : 's'} stored, ${health.unprocessed || 0} waiting, `
      + `${health.rejected_signatures_total || 0} refused for their signature.`, last, lag);
  const rows = (answer.connections || []).map((c) => {
    let state;
    if (c.pending) {
      const confirm = el('button', { type: 'button', class: 'primary', dataset: { action: 'confirm-webhook', connectionId: c.connection_id } }, 'Confirm');
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        try {
          const query = c.connection_id === 'internal' ? '' : `?connection=${encodeURIComponent(c.connection_id)}`;
          const done = await api('POST', `/admin/notion/webhooks/confirm${query}`);
          show(status, done.message || 'Webhook token confirmed.');
          await refresh();
        } catch (error) {
          show(alert, `Could not confirm the webhook token: ${error.message}`);
          confirm.disabled = false;
        }
      });
      state = el('div', {},
        el('p', {}, 'Pending verification token (paste it into Notion\'s Verify dialog, then confirm it here): ',
          el('code', { dataset: { role: 'pending-token' } }, c.pending.verification_token)),
        el('p', { class: 'hint' }, 'Received ', timeElement(c.pending.received_at), c.pending.source ? ` from ${c.pending.source}` : '', '.'),
        confirm);
    } else if (c.active) {
      state = el('p', {}, el('span', { class: 'badge badge-ok' }, 'Active'),
        ' since ', timeElement(c.active.activated_at || c.active.received_at), c.active.source === 'environment' ? ' (NOTION_WEBHOOK_VERIFICATION_TOKEN)' : '', '.');
    } else {
      state = el('p', { class: 'muted' }, 'No token yet: create a webhook subscription in Notion pointing at this address.');
    }
    return el('li', { dataset: { connectionId: c.connection_id } },
      el('strong', {}, c.connection_id), ' ', el('code', {}, c.receiver_path), state);
  });
  return el('section', { class: 'card webhooks', id: 'webhooks' },
    el('h2', {}, 'Notion webhooks'),
    summary,
    rows.length ? el('ul', { class: 'webhook-connections' }, rows) : null);
}

async function loadWebhooks(holder) {
  const refresh = () => loadWebhooks(holder);
  try {
    const answer = await api('GET', '/admin/notion/webhooks');
    holder.replaceChildren(webhooksCard(answer, refresh));
  } catch (error) {
    holder.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert' }, `Webhooks could not be read: ${error.message}`));
  }
}

async function load() {
  try {
    const answer = await api('GET', '/admin/notion/connections');
    connectButton.hidden = !answer.oauth_enabled;
    const cards = answer.connections.map((c) => (c.kind === 'internal' ? internalCard(c) : oauthCard(c, answer.oauth_enabled)));
    const webhooks = el('div', { class: 'webhooks-holder' });
    list.replaceChildren(...cards, webhooks);
    loadWebhooks(webhooks);
    const connected = answer.connections.filter((c) => c.kind === 'oauth').length;
    show(status, answer.oauth_enabled
      ? `${connected} connected workspace${connected === 1 ? '' : 's'}.`
      : 'Connecting workspaces is off on this server: set NOTION_OAUTH_CLIENT_ID, NOTION_OAUTH_CLIENT_SECRET and TOKEN_ENCRYPTION_KEY to turn it on.');
  } catch (error) {
    show(status, '');
    show(alert, `Could not load the connections: ${error.message}`);
  }
}

connectButton.addEventListener('click', () => startConnecting(connectButton));
if (requireToken()) load();
