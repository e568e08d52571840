// The sync health page: three charts of the last hours of sync runs (Notion requests per minute
// against the budget, sync latency, failures by kind) and a one-line verdict, from
// GET /admin/sync/health/history. The charts are drawn by chart.js, again whenever the page's
// width changes.

import { api, requireToken } from './api.js';
import { keepCurrent } from './live.js';
import { byId, initChrome, show } from './ui.js';
import { formatInstant, formatNumber, formatSeconds, timeChart } from './chart.js';

initChrome();

const hoursSelect = byId('health-hours');
const refresh = byId('health-refresh');
const status = byId('health-status');
const alert = byId('health-error');
const summary = byId('health-summary');
const charts = byId('health-charts');
const HOURS = ['1', '3', '6', '12', '24', '48'];

const COLORS = {
  requests: '#1f5fbf',
  budget: '#b3261e',
  phase: '#1b7a3d',
  edit: '#7a3fb0',
};
const KINDS = {
  rate_limited: ['Rate limited by Notion', '#c77700'],
  server: ['Notion server error', '#b3261e'],
  network: ['Notion unreachable', '#6b3d1f'],
  unauthorized: ['Token refused', '#8e1b5c'],
  not_found_or_unshared: ['Page not found or not shared', '#4a5b8c'],
  page_trashed: ['Page in trash', '#5b6475'],
  property_missing: ['Property missing', '#2f7f86'],
  property_wrong_type: ['Property of the wrong type', '#1d6b4a'],
  status_option_missing: ['Status option missing', '#8a5a00'],
  validation: ['Update rejected by Notion', '#a23b72'],
  cycle: ['Whole run failed', '#1d2330'],
  other: ['Other', '#8d96a7'],
};
const SPARE = ['#3d7bd9', '#d9513d', '#3da35d', '#a37b3d'];

let data = null;
let generation = 0;

function kindLabel(kind) {
  return (KINDS[kind] || [kind])[0];
}

function kindColor(kind, index) {
  return (KINDS[kind] || [])[1] || SPARE[index % SPARE.length];
}

function plural(n, one, many = `${one}s`) {
  return `${formatNumber(n, 0)} ${n === 1 ? one : many}`;
}

function ms(iso) {
  return new Date(iso).getTime();
}

/** The verdict, e.g. "Healthy: 0 failures, 14 requests/min of 180 budget, median latency 2.1 s". */
function verdict(d) {
  const s = d.summary;
  const word = { healthy: 'Healthy', failing: 'Failing', over_budget: 'Over budget' }[s.status] || s.status;
  const parts = [
    plural(s.failures, 'failure'),
    `${formatNumber(s.peak_requests_per_minute, 0)} requests/min of ${formatNumber(d.budget_per_minute, 0)} budget (busiest minute)`,
  ];
  if (s.median_phase_to_notion_seconds !== null) {
    parts.push(`median latency ${formatSeconds(s.median_phase_to_notion_seconds)}`);
  } else if (s.median_edit_to_app_seconds !== null) {
    parts.push(`median latency ${formatSeconds(s.median_edit_to_app_seconds)} (edits in Notion)`);
  } else {
    parts.push('no phase change or Notion edit to time');
  }
  return `${word}: ${parts.join(', ')}`;
}

function chartWidth(box) {
  return box.clientWidth || 640;
}

function chartHeight() {
  return window.innerWidth < 600 ? 210 : 250;
}

function requestsChart(d, box) {
  const s = d.summary;
  const budget = d.budget_per_minute;
  const share = budget > 0 ? Math.round((s.peak_requests_per_minute / budget) * 100) : 0;
  byId('requests-summary').textContent =
    `Busiest minute: ${plural(s.peak_requests_per_minute, 'request')} of a ${formatNumber(budget, 0)} per minute budget (${share}%). `
    + `${plural(s.notion_requests, 'request')} in ${plural(s.runs, 'run')}, `
    + `${formatNumber(s.mean_requests_per_minute, 2)} per minute on average over ${plural(d.hours, 'hour')}.`;
  return timeChart({
    id: 'requests-chart',
    title: 'Notion requests per minute',
    description: `Bars: Notion requests of the sync runs started in each minute of the last ${plural(d.hours, 'hour')}. `
      + `Dashed line: the budget of ${formatNumber(budget, 0)} requests per minute.`,
    width: chartWidth(box),
    height: chartHeight(),
    from: ms(d.since),
    to: ms(d.until),
    xLabel: 'Time (your time zone)',
    yLabel: 'Requests per minute',
    yMax: Math.max(budget, s.peak_requests_per_minute) * 1.05,
    integer: true,
    bars: d.minutes.map((m) => ({
      t: ms(m.minute),
      segments: [{
        value: m.notion_requests,
        color: COLORS.requests,
        label: `${formatInstant(ms(m.minute))}: ${plural(m.notion_requests, 'request')} in ${plural(m.runs, 'run')}`,
      }],
    })),
    lines: [{ y: budget, color: COLORS.budget, dash: '6 4', label: `Budget: ${formatNumber(budget, 0)} requests per minute` }],
    legend: [
      { mark: 'bar', color: COLORS.requests, label: 'Requests' },
      { mark: 'line', color: COLORS.budget, dash: '6 4', label: 'Budget' },
    ],
  });
}

function latencyChart(d, box) {
  const phase = d.latency.phase_to_notion;
  const edit = d.latency.edit_to_app;
  const s = d.summary;
  const lines = [];
  const sentences = [];
  if (phase.length) {
    sentences.push(`Phase change → Notion: median ${formatSeconds(s.median_phase_to_notion_seconds)} over ${plural(phase.length, 'change')}.`);
    lines.push({ y: s.median_phase_to_notion_seconds, color: COLORS.phase, dash: '6 4', label: `Median, phase change → Notion: ${formatSeconds(s.median_phase_to_notion_seconds)}` });
  }
  if (edit.length) {
    sentences.push(`Edit in Notion → app: median ${formatSeconds(s.median_edit_to_app_seconds)} over ${plural(edit.length, 'edit')} (Notion gives edit times to the minute).`);
    lines.push({ y: s.median_edit_to_app_seconds, color: COLORS.edit, dash: '2 3', label: `Median, edit → app: ${formatSeconds(s.median_edit_to_app_seconds)}` });
  }
  if (!sentences.length) sentences.push(`No election changed phase and no Notion edit was pulled in the last ${plural(d.hours, 'hour')}.`);
  byId('latency-summary').textContent = sentences.join(' ');
  const max = Math.max(1, ...phase.map((p) => p.seconds), ...edit.map((p) => p.seconds));
  const dot = (sample, color, shape, what) => ({
    t: ms(sample.at), y: sample.seconds, color, shape,
    label: `${formatInstant(ms(sample.at))}: ${what} after ${formatSeconds(sample.seconds)} (${sample.election_id})`,
  });
  return timeChart({
    id: 'latency-chart',
    title: 'Sync latency',
    description: 'Circles: how long after an election opened or closed its Notion page was updated. '
      + 'Squares: how long after an edit in Notion the app took it. Dashed lines: the medians.',
    width: chartWidth(box),
    height: chartHeight(),
    from: ms(d.since),
    to: ms(d.until),
    xLabel: 'Time (your time zone)',
    yLabel: 'Latency',
    yMax: max * 1.1,
    yFormat: formatSeconds,
    dots: [
      ...phase.map((p) => dot(p, COLORS.phase, 'circle', 'Notion updated')),
      ...edit.map((p) => dot(p, COLORS.edit, 'square', 'edit pulled')),
    ],
    lines,
    legend: [
      { mark: 'circle', color: COLORS.phase, label: 'Phase change → Notion' },
      { mark: 'square', color: COLORS.edit, label: 'Edit → app' },
      { mark: 'line', color: '#5b6475', dash: '6 4', label: 'Median' },
    ],
    empty: phase.length || edit.length ? null : 'Nothing to time in this window',
  });
}

function failuresChart(d, box) {
  const kinds = d.failure_kinds;
  const s = d.summary;
  if (s.failures === 0) {
    byId('failures-summary').textContent = `No failures in the last ${plural(d.hours, 'hour')}.`;
  } else {
    const totals = new Map(kinds.map((k) => [k, 0]));
    for (const m of d.failures) for (const [k, n] of Object.entries(m.by_kind)) totals.set(k, (totals.get(k) || 0) + n);
    byId('failures-summary').textContent = `${plural(s.failures, 'failure')} in the last ${plural(d.hours, 'hour')}: `
      + `${[...totals].map(([k, n]) => `${formatNumber(n, 0)} ${kindLabel(k)}`).join(', ')}. `
      + 'The sync runs page lists each with its error.';
  }
  // One bar per minute is a sliver over hours: failures are summed into up to 90 bars.
  const spanMs = ms(d.until) - ms(d.since);
  const bucketMinutes = [1, 2, 5, 10, 15, 30, 60].find((m) => spanMs / (m * 60_000) <= 90) || 60;
  const bucketMs = bucketMinutes * 60_000;
  const buckets = new Map();
  for (const m of d.failures) {
    const t = Math.floor(ms(m.minute) / bucketMs) * bucketMs;
    const bucket = buckets.get(t) || { total: 0, byKind: {} };
    bucket.total += m.total;
    for (const [k, n] of Object.entries(m.by_kind)) bucket.byKind[k] = (bucket.byKind[k] || 0) + n;
    buckets.set(t, bucket);
  }
  const per = bucketMinutes === 1 ? 'minute' : `${bucketMinutes} minutes`;
  return timeChart({
    id: 'failures-chart',
    title: 'Failures by kind',
    description: `Stacked bars: failed election syncs and failed runs per ${per} of the last ${plural(d.hours, 'hour')}, by kind.`,
    width: chartWidth(box),
    height: chartHeight(),
    from: ms(d.since),
    to: ms(d.until),
    xLabel: 'Time (your time zone)',
    yLabel: `Failures per ${per}`,
    yMax: Math.max(1, ...[...buckets.values()].map((b) => b.total)),
    integer: true,
    bars: [...buckets].map(([t, bucket]) => ({
      t,
      span: bucketMs,
      segments: kinds.map((kind, i) => ({
        value: bucket.byKind[kind] || 0,
        color: kindColor(kind, i),
        label: `${formatInstant(t)}${bucketMinutes === 1 ? '' : ` to ${formatInstant(t + bucketMs)}`}: ${formatNumber(bucket.byKind[kind] || 0, 0)} ${kindLabel(kind)}`,
      })),
    })),
    legend: kinds.map((kind, i) => ({ mark: 'bar', color: kindColor(kind, i), label: kindLabel(kind) })),
    empty: s.failures === 0 ? 'No failures' : null,
  });
}

function draw() {
  if (!data || charts.hidden) return;
  for (const [box, build] of [
    [byId('requests-box'), requestsChart],
    [byId('latency-box'), latencyChart],
    [byId('failures-box'), failuresChart],
  ]) {
    box.replaceChildren(build(data, box));
  }
}

// `quiet`: a live refresh after a change redraws without announcing "Loading…" again.
async function load(quiet = false) {
  const hours = hoursSelect.value;
  const mine = ++generation;
  refresh.disabled = true;
  if (!quiet) show(status, `Loading the last ${hours === '1' ? 'hour' : `${hours} hours`} of sync runs…`);
  try {
    const answer = await api('GET', `/admin/sync/health/history?hours=${encodeURIComponent(hours)}`);
    if (mine !== generation) return;
    show(alert, '');
    data = answer;
    if (answer.summary.status === 'idle') {
      charts.hidden = true;
      summary.hidden = true;
      show(status, `No sync runs in the last ${plural(answer.hours, 'hour')}. The charts appear once the sync-runner (or a manual "Sync with Notion") runs.`);
      return;
    }
    summary.textContent = verdict(answer);
    summary.className = `health-summary health-${answer.summary.status}`;
    summary.hidden = false;
    charts.hidden = false;
    show(status, `Last ${plural(answer.hours, 'hour')}, up to ${formatInstant(ms(answer.until))}${answer.truncated ? ' (only the newest events of this busy window are charted)' : ''}.`);
    draw();
  } catch (error) {
    if (mine !== generation) return;
    show(status, '');
    show(alert, `Could not load the sync history: ${error.message}`);
  } finally {
    if (mine === generation) refresh.disabled = false;
  }
}

// The window comes from ?hours= (so a link keeps it) and goes back there when changed.
const wanted = new URLSearchParams(location.search).get('hours');
if (HOURS.includes(wanted)) hoursSelect.value = wanted;
hoursSelect.addEventListener('change', () => {
  const url = new URL(location.href);
  url.searchParams.set('hours', hoursSelect.value);
  history.replaceState(null, '', url);
  load();
});
refresh.addEventListener('click', () => load());

let pending = false;
let lastWidth = 0;
new ResizeObserver(() => {
  const width = charts.clientWidth;
  if (pending || width === lastWidth) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    lastWidth = charts.clientWidth;
    draw();
  });
}).observe(charts);

// The first load announces itself; the refreshes after each change (a sync run) are quiet.
let loaded = false;
if (requireToken()) {
  keepCurrent(async () => {
    await load(loaded);
    loaded = true;
  }, byId('live-state'));
}
