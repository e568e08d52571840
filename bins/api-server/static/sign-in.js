// The sign-in page: checks the token against the API, keeps it for this tab, goes back.

import { api, ApiError, forgetToken, rememberToken, safeNext, token } from './api.js';
import { byId, initChrome, show } from './ui.js';

initChrome();

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'));
const notice = byId('sign-in-notice');
const input = byId('admin-token');
const error = byId('admin-token-error');
const submit = byId('sign-in-submit');

const reasons = {
  'signed-out': 'You are signed out. The token has been forgotten by this tab.',
  expired: 'The server did not accept the saved token (it may have changed). Sign in again.',
};
if (reasons[params.get('reason')]) show(notice, reasons[params.get('reason')]);
if (params.get('reason') === 'signed-out') forgetToken();
else if (token()) location.replace(next);

function fieldError(text) {
  error.textContent = text;
  if (text) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

byId('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = input.value.trim();
  if (!value) {
    fieldError('Enter the admin token.');
    input.focus();
    return;
  }
  fieldError('');
  submit.disabled = true;
  show(notice, 'Checking the token…');
  try {
    await api('GET', '/admin/elections?limit=1', undefined, { token: value });
    rememberToken(value);
    show(notice, 'Signed in.');
    location.assign(next);
  } catch (failure) {
    show(notice, '');
    if (failure instanceof ApiError && failure.status === 401) {
      fieldError('The server did not accept this token. Check ADMIN_TOKEN and try again.');
    } else {
      fieldError(failure.message);
    }
    input.focus();
  } finally {
    submit.disabled = false;
  }
});
