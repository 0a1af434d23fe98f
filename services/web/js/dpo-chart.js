// The DPO console's charts, drawn as SVG from the API's reviews: the explained share per review
// (a line with labelled points) and new findings per rule per review (stacked bars, each rule
// its own fill pattern and named in the legend and on the bar). The same numbers follow each
// chart as a table, so neither colour nor the picture is the only way to read them.
import { h } from './dom.js';
import { t, fmtDate } from './i18n.js';
import { pct, ruleText, brusselsDay } from './dpo.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 720;
const H = 260;
const PAD = { l: 48, r: 16, t: 16, b: 44 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function runLabel(r) {
  return r.window_to ? fmtDate(brusselsDay(r.window_to)) : `#${r.id}`;
}

// The frame: an <svg role=img> titled and described by the table that follows it.
function frame(id, titleText, tableId) {
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}-t`, 'aria-describedby': tableId, id, focusable: 'false' },
    s('title', { id: `${id}-t` }, titleText));
}

function xAt(i, n) {
  const inner = W - PAD.l - PAD.r;
  return PAD.l + (n === 1 ? inner / 2 : (inner * i) / (n - 1));
}

function yAt(v, max) { return PAD.t + (H - PAD.t - PAD.b) * (1 - v / max); }

// Grid lines and their values at ticks (0..max), then the runs' labels below.
function axes(svg, max, fmt, runs, xs, ticks) {
  for (const v of ticks) {
    const y = yAt(v, max);
    svg.append(s('line', { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: 'grid' }),
      s('text', { x: PAD.l - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, fmt(v)));
  }
  // At most eight labels, never crowded: a date where it changes, else the review number.
  const every = Math.max(1, Math.ceil(runs.length / 8));
  let lastDay = null;
  runs.forEach((r, i) => {
    const last = i === runs.length - 1;
    if (!(i % every === 0 || (last && i % every >= every / 2))) return;
    const day = runLabel(r);
    svg.append(s('text', { x: xs(i), y: H - PAD.b + 18, 'text-anchor': 'middle', class: 'tick' }, day === lastDay ? `#${r.id}` : day));
    lastDay = day;
  });
}

export function shareChart(runs) {
  const id = 'chart-share';
  const svg = frame(id, t('dpo.trend.share_title'), `${id}-table`);
  const xs = (i) => xAt(i, runs.length);
  axes(svg, 1, (v) => `${Math.round(v * 100)} %`, runs, xs, [0, 0.25, 0.5, 0.75, 1]);
  const pts = runs.map((r, i) => [xs(i), r.explained_share === null ? null : yAt(r.explained_share, 1), r]);
  const line = pts.filter((p) => p[1] !== null).map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(' ');
  if (line) svg.append(s('polyline', { points: line, class: 'share-line' }));
  for (const [x, y, r] of pts) {
    if (y === null) continue;
    svg.append(s('rect', { x: x - 4, y: y - 4, width: 8, height: 8, class: 'share-point' }),
      runs.length <= 12 ? s('text', { x, y: y - 9, 'text-anchor': 'middle', class: 'value' }, pct(r.explained_share)) : null);
  }
  const tableEl = h('table', { id: `${id}-table`, class: 'chart-table' },
    h('caption', { text: t('dpo.trend.share_table') }),
    h('thead', {}, h('tr', {}, [t('dpo.col.review'), t('dpo.col.period_end'), t('dpo.col.accesses'), t('dpo.col.explained')].map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, runs.map((r) => h('tr', {}, h('th', { scope: 'row', text: `#${r.id}` }), h('td', { text: runLabel(r) }),
      h('td', { text: String(r.accesses) }), h('td', { text: pct(r.explained_share) })))));
  return figure(id, t('dpo.trend.share_title'), svg, tableEl);
}

// Fill patterns for up to eight rules; beyond that they repeat (the legend and labels still name them).
const PATTERNS = [
  ['solid', []],
  ['stripes', [['path', { d: 'M0,8 L8,0', class: 'pl' }]]],
  ['dots', [['circle', { cx: 4, cy: 4, r: 1.8, class: 'pd' }]]],
  ['cross', [['path', { d: 'M0,0 L8,8 M8,0 L0,8', class: 'pl' }]]],
  ['hlines', [['path', { d: 'M0,4 L8,4', class: 'pl' }]]],
  ['vlines', [['path', { d: 'M4,0 L4,8', class: 'pl' }]]],
  ['grid', [['path', { d: 'M0,4 L8,4 M4,0 L4,8', class: 'pl' }]]],
  ['back', [['path', { d: 'M0,0 L8,8', class: 'pl' }]]],
];

function defs(rules) {
  return s('defs', {}, rules.map((rule, i) => {
    const [name, shapes] = PATTERNS[i % PATTERNS.length];
    return s('pattern', { id: `pat-${rule}`, width: 8, height: 8, patternUnits: 'userSpaceOnUse', class: `pat pat-${i % PATTERNS.length}` },
      s('rect', { width: 8, height: 8, class: name === 'solid' ? 'pat-solid' : 'pat-bg' }),
      shapes.map(([tag, a]) => s(tag, a)));
  }));
}

export function rulesChart(runs) {
  const id = 'chart-rules';
  const rules = [...new Set(runs.flatMap((r) => Object.keys(r.new_findings_by_rule || {})))].sort();
  const totals = runs.map((r) => Object.values(r.new_findings_by_rule || {}).reduce((a, b) => a + b, 0));
  const step = Math.max(1, Math.ceil(Math.max(1, ...totals) / 4));
  const max = step * Math.ceil(Math.max(1, ...totals) / step);
  const ticks = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  const svg = frame(id, t('dpo.trend.rules_title'), `${id}-table`);
  svg.append(defs(rules));
  const xs = (i) => xAt(i, runs.length);
  axes(svg, max, (v) => String(v), runs, xs, ticks);
  const spacing = (W - PAD.l - PAD.r) / Math.max(1, runs.length - 1);
  const bw = Math.max(2, Math.min(40, runs.length === 1 ? 40 : spacing * 0.7));
  runs.forEach((r, i) => {
    let base = 0;
    for (const rule of rules) {
      const n = (r.new_findings_by_rule || {})[rule] || 0;
      if (!n) continue;
      const y0 = yAt(base, max); const y1 = yAt(base + n, max);
      svg.append(s('rect', { x: xs(i) - bw / 2, y: y1, width: bw, height: Math.max(1, y0 - y1), fill: `url(#pat-${rule})`, class: 'bar' }));
      if (y0 - y1 >= 14 && bw >= 30) svg.append(s('text', { x: xs(i), y: (y0 + y1) / 2 + 4, 'text-anchor': 'middle', class: 'bar-label' }, `${rule}: ${n}`));
      base += n;
    }
    if (totals[i] && spacing >= 18) svg.append(s('text', { x: xs(i), y: yAt(totals[i], max) - 5, 'text-anchor': 'middle', class: 'value' }, String(totals[i])));
  });
  const legend = h('ul', { class: 'legend', 'aria-hidden': 'true' }, rules.map((rule) => h('li', {},
    s('svg', { viewBox: '0 0 16 16', width: 16, height: 16, class: 'swatch' }, s('rect', { width: 16, height: 16, fill: `url(#pat-${rule})`, class: 'bar' })),
    ` ${ruleText(rule)}`)));
  const tableEl = h('table', { id: `${id}-table`, class: 'chart-table' },
    h('caption', { text: t('dpo.trend.rules_table') }),
    h('thead', {}, h('tr', {}, [t('dpo.col.review'), t('dpo.col.period_end'), ...rules, t('dpo.col.total')].map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, runs.map((r, i) => h('tr', {}, h('th', { scope: 'row', text: `#${r.id}` }), h('td', { text: runLabel(r) }),
      rules.map((rule) => h('td', { text: String((r.new_findings_by_rule || {})[rule] || 0) })), h('td', { text: String(totals[i]) })))));
  return figure(id, t('dpo.trend.rules_title'), svg, rules.length ? legend : h('p', { class: 'muted', text: t('dpo.trend.no_findings') }), tableEl);
}

function figure(id, caption, ...parts) {
  return h('figure', { class: 'chart-figure', 'aria-labelledby': `${id}-cap` },
    h('figcaption', { id: `${id}-cap`, text: caption }),
    parts[0],
    parts.length > 2 ? parts[1] : null,
    h('details', { class: 'chart-data' }, h('summary', { text: t('dpo.trend.show_table') }),
      h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' }, parts[parts.length - 1])));
}
