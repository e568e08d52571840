// A small SVG chart over a time axis, written for the sync health page: stacked bars, dots and
// horizontal lines, with round-number axes, axis labels, a legend, and a <title> and <desc> so
// that a screen reader announces what the chart shows. No dependencies, nothing fetched: the page's
// Content-Security-Policy allows only this server's files. Colours are SVG presentation attributes
// (not style attributes, which that policy refuses).

const NS = 'http://www.w3.org/2000/svg';
const MARGIN = { left: 58, right: 14, bottom: 44 };
const LEGEND_ROW = 20;
// Time-axis steps, in minutes: the first that leaves room for each label is used.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
const MINUTE = 60_000;

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndClock = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});

let chartCount = 0;

/** Creates an SVG element with attributes and children (strings become text nodes). */
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A number for people: "1,234", "2.5". */
export function formatNumber(value, digits = 1) {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(value);
}

/** A duration in seconds for people: "0.4 s", "45 s", "3.5 min", "1.2 h". */
export function formatSeconds(seconds) {
  if (seconds < 10) return `${formatNumber(seconds, 1)} s`;
  if (seconds < 120) return `${formatNumber(seconds, 0)} s`;
  if (seconds < 7200) return `${formatNumber(seconds / 60, 1)} min`;
  return `${formatNumber(seconds / 3600, 1)} h`;
}

/** An instant (ms) as a time of day, with the date when it is not today. */
export function formatInstant(ms) {
  const date = new Date(ms);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? clock.format(date) : dayAndClock.format(date);
}

/** Round-number ticks from 0 to at least `max`, about `count` of them (whole numbers if `integer`). */
export function niceTicks(max, count = 4, integer = false) {
  const top = max > 0 ? max : 1;
  const raw = top / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw - 1e-12);
  if (integer) step = Math.max(1, Math.ceil(step));
  const ticks = [];
  for (let i = 0; ; i += 1) {
    const v = Number((i * step).toPrecision(12));
    ticks.push(v);
    if (v >= top - 1e-9) break;
  }
  return ticks;
}

/** Ticks of the time axis on round local times (whole hours, quarter hours, …). */
function timeTicks(from, to, room) {
  const span = (to - from) / MINUTE;
  const step = TIME_STEPS.find((s) => span / s <= room) || TIME_STEPS[TIME_STEPS.length - 1];
  const stepMs = step * MINUTE;
  // Align on the viewer's local clock (time zones with half-hour offsets included).
  const offset = new Date(from).getTimezoneOffset() * MINUTE;
  let t = Math.ceil((from - offset) / stepMs) * stepMs + offset;
  const ticks = [];
  for (; t <= to; t += stepMs) ticks.push(t);
  return ticks;
}

/** Estimated text width in px, for laying out the legend without measuring. */
function textWidth(text, size = 12) {
  return text.length * size * 0.58;
}

/**
 * Draws a chart over a time axis and returns its <svg>.
 *
 * options: id, title, description (the <desc>, a sentence saying what the data shows), width,
 * height, from and to (ms), xLabel, yLabel, yMax (largest value to fit), yFormat (tick label),
 * bars ([{ t, span (ms), segments: [{ value, color, label }] }], stacked from 0), dots
 * ([{ t, y, color, shape: 'circle' | 'square', label }]), lines ([{ y, color, label, dash }]),
 * legend ([{ color, label, mark: 'bar' | 'circle' | 'square' | 'line' }]), integer (whole-number
 * y ticks) and empty (a text shown in the plot when there is nothing to draw).
 */
export function timeChart(options) {
  const n = ++chartCount;
  const width = Math.max(260, Math.round(options.width || 640));
  let height = Math.round(options.height || 240);
  const yFormat = options.yFormat || ((v) => formatNumber(v));

  // The legend rows, laid out left to right and wrapped to the width.
  const legend = options.legend || [];
  const rows = [[]];
  let x = MARGIN.left;
  for (const item of legend) {
    const itemWidth = 18 + textWidth(item.label) + 16;
    if (x + itemWidth > width - MARGIN.right && rows[rows.length - 1].length) {
      rows.push([]);
      x = MARGIN.left;
    }
    rows[rows.length - 1].push({ ...item, x });
    x += itemWidth;
  }
  const top = 10 + (legend.length ? rows.length * LEGEND_ROW : 0);
  // A legend wrapped to several rows (a phone) takes its room from above the plot, not from it.
  height += Math.max(0, rows.length - 1) * LEGEND_ROW;
  const plot = {
    left: MARGIN.left, right: width - MARGIN.right, top, bottom: height - MARGIN.bottom,
  };
  plot.width = plot.right - plot.left;
  plot.height = plot.bottom - plot.top;

  const ticks = niceTicks(options.yMax || 0, 4, Boolean(options.integer));
  const yTop = ticks[ticks.length - 1];
  const sx = (t) => plot.left + ((t - options.from) / (options.to - options.from)) * plot.width;
  const sy = (v) => plot.bottom - (v / yTop) * plot.height;

  const titleId = `chart-${n}-title`;
  const descId = `chart-${n}-desc`;
  const root = svg('svg', {
    id: options.id, class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'img', 'aria-labelledby': `${titleId} ${descId}`,
  },
  svg('title', { id: titleId }, options.title),
  svg('desc', { id: descId }, options.description || ''));

  // Axes: horizontal grid lines with the y values, time ticks, and both axis labels.
  const axes = svg('g', { class: 'axes', 'aria-hidden': 'true' });
  for (const v of ticks) {
    const y = sy(v);
    axes.append(
      svg('line', { x1: plot.left, x2: plot.right, y1: y, y2: y, stroke: v === 0 ? '#5b6475' : '#e3e6ec' }),
      svg('text', { x: plot.left - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, yFormat(v)),
    );
  }
  for (const t of timeTicks(options.from, options.to, Math.max(2, Math.floor(plot.width / 76)))) {
    const tx = sx(t);
    axes.append(
      svg('line', { x1: tx, x2: tx, y1: plot.bottom, y2: plot.bottom + 5, stroke: '#5b6475' }),
      svg('text', { x: tx, y: plot.bottom + 18, 'text-anchor': 'middle', class: 'tick' }, formatInstant(t)),
    );
  }
  axes.append(
    svg('text', { x: plot.left + plot.width / 2, y: height - 6, 'text-anchor': 'middle', class: 'axis-label' },
      options.xLabel || 'Time'),
    svg('text', {
      x: 0, y: 0, 'text-anchor': 'middle', class: 'axis-label',
      transform: `translate(14 ${plot.top + plot.height / 2}) rotate(-90)`,
    }, options.yLabel || ''),
  );
  root.append(axes);

  const data = svg('g', { class: 'data' });
  for (const bar of options.bars || []) {
    const x0 = sx(bar.t);
    const x1 = sx(bar.t + (bar.span || MINUTE));
    const barWidth = Math.max(1, x1 - x0 - (x1 - x0 > 4 ? 1 : 0));
    let base = 0;
    for (const segment of bar.segments) {
      if (!(segment.value > 0)) continue;
      const y0 = sy(base);
      // At least a pixel high: a small value next to a large budget must still show.
      const y1 = Math.min(sy(base + segment.value), y0 - 1);
      base += segment.value;
      data.append(svg('rect', {
        class: 'bar', x: x0, y: y1, width: barWidth, height: y0 - y1, fill: segment.color,
      }, svg('title', {}, segment.label)));
    }
  }
  for (const line of options.lines || []) {
    const y = sy(line.y);
    data.append(svg('line', {
      class: 'ref-line', x1: plot.left, x2: plot.right, y1: y, y2: y, stroke: line.color,
      'stroke-width': 2, 'stroke-dasharray': line.dash || null,
    }, svg('title', {}, line.label)));
  }
  for (const dot of options.dots || []) {
    const cx = sx(dot.t);
    const cy = sy(dot.y);
    const mark = dot.shape === 'square'
      ? svg('rect', { class: 'dot', x: cx - 3.5, y: cy - 3.5, width: 7, height: 7, fill: dot.color })
      : svg('circle', { class: 'dot', cx, cy, r: 3.5, fill: dot.color });
    mark.append(svg('title', {}, dot.label));
    data.append(mark);
  }
  root.append(data);

  if (options.empty) {
    root.append(svg('text', {
      x: plot.left + plot.width / 2, y: plot.top + plot.height / 2, 'text-anchor': 'middle', class: 'empty',
    }, options.empty));
  }

  const key = svg('g', { class: 'legend', 'aria-hidden': 'true' });
  rows.forEach((row, i) => {
    const y = 10 + i * LEGEND_ROW + 8;
    for (const item of row) {
      let mark;
      if (item.mark === 'line') {
        mark = svg('line', {
          x1: item.x, x2: item.x + 14, y1: y, y2: y, stroke: item.color, 'stroke-width': 2,
          'stroke-dasharray': item.dash || null,
        });
      } else if (item.mark === 'circle') {
        mark = svg('circle', { cx: item.x + 7, cy: y, r: 4, fill: item.color });
      } else {
        mark = svg('rect', { x: item.x + 2, y: y - 5, width: 10, height: 10, fill: item.color });
      }
      key.append(mark, svg('text', { x: item.x + 18, y: y + 4, class: 'legend-label' }, item.label));
    }
  });
  root.append(key);
  return root;
}
