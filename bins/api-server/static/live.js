// Keeps a page current without reloading it: long-polls GET /admin/changes (the server answers as
// soon as anything the admin pages show changes, or after 25 s with nothing new) and calls the
// page's refresh function after each change.

import { api } from './api.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the current change token, then runs `refresh` (the page's first load), then waits for
 * changes and runs `refresh` after each. Taking the token first means a change made while the
 * page loads is not missed. `stateNode` (optional) says whether live updates are working.
 */
export async function keepCurrent(refresh, stateNode = null) {
  const say = (text, problem = false) => {
    // Only on a change of state: a status region re-announces whatever is written to it.
    if (!stateNode || stateNode.textContent === text) return;
    stateNode.textContent = text;
    stateNode.classList.toggle('live-problem', problem);
  };
  const live = 'Live: this page updates by itself when something changes.';
  let token = null;
  try {
    token = (await api('GET', '/admin/changes')).token;
    say(live);
  } catch {
    // The page still loads; the loop below keeps trying to follow changes.
  }
  await refresh();
  let failures = 0;
  for (;;) {
    try {
      const query = token ? `?${new URLSearchParams({ since: token })}` : '';
      const answer = await api('GET', `/admin/changes${query}`);
      const first = token === null;
      token = answer.token;
      failures = 0;
      say(live);
      if (answer.changed && !first) await refresh();
    } catch (error) {
      if (error.status === 401) return; // api() is taking the user to the sign-in page
      // A stopped or unreachable server: back off (2, 4, … 30 s) and try again.
      failures += 1;
      say('Live updates paused: the server cannot be reached. Retrying…', true);
      await sleep(Math.min(30000, 1000 * 2 ** failures));
    }
  }
}
