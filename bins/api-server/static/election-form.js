// Create or edit an election. The API's 400s name the field: the message goes next to it.

import { api, requireToken } from './api.js';
import { byId, fromLocalInput, initChrome, show, toLocalInput } from './ui.js';

initChrome();

const form = byId('election-form');
const id = form.dataset.electionId;
const formError = byId('form-error');
const formStatus = byId('form-status');
const save = byId('save-election');
const FIELDS = ['title', 'description', 'open_at', 'close_at'];

function clearErrors() {
  show(formError, '');
  for (const name of FIELDS) {
    byId(`${name}-error`).textContent = '';
    byId(name).removeAttribute('aria-invalid');
  }
}

function fieldError(name, message) {
  const input = byId(name);
  byId(`${name}-error`).textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

async function loadElection() {
  show(formStatus, 'Loading the election…');
  form.setAttribute('aria-busy', 'true');
  try {
    const { election } = await api('GET', `/admin/elections/${encodeURIComponent(id)}`);
    byId('title').value = election.title;
    byId('description').value = election.description;
    byId('open_at').value = toLocalInput(election.open_at);
    byId('close_at').value = toLocalInput(election.close_at);
    show(formStatus, '');
  } catch (error) {
    show(formStatus, '');
    show(formError, `Could not load the election: ${error.message}`);
    save.disabled = true;
  } finally {
    form.removeAttribute('aria-busy');
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const body = {
    title: byId('title').value,
    description: byId('description').value,
    open_at: fromLocalInput(byId('open_at').value),
    close_at: fromLocalInput(byId('close_at').value),
  };
  save.disabled = true;
  show(formStatus, id ? 'Saving…' : 'Creating…');
  try {
    const { election } = id
      ? await api('PATCH', `/admin/elections/${encodeURIComponent(id)}`, body)
      : await api('POST', '/admin/elections', body);
    show(formStatus, id ? 'Saved.' : 'Created.');
    location.assign(`/ui/elections/${encodeURIComponent(election.id)}`);
  } catch (error) {
    show(formStatus, '');
    if (error.field && FIELDS.includes(error.field)) fieldError(error.field, error.message);
    else show(formError, error.message);
  } finally {
    save.disabled = false;
  }
});

if (requireToken() && id) loadElection();
