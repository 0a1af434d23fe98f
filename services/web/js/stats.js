// The statistics screen (coordinator, reporting): filters by figure, period, area and scope, a
// bar chart drawn here as SVG (values written on the bars, readable without colour) with its
// table, the freshness of the cells and a CSV download of the same selection.
import { get, ApiError } from './api.js';
import { h, field, clear, showProblem, clearErrors } from './dom.js';
import { t, fmtDateTime, fmtDate } from './i18n.js';
import { screen } from './app.js';

const FIGURES = ['registrations', 'residence_status', 'age_gender', 'household_size', 'minor_children',
  'intake', 'info_session', 'social_orientation', 'nt2', 'test_result', 'childcare', 'buddy',
  'referral', 'first_intake_days'];
const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== null) el.textContent = text;
  return el;
}

function thisYear() { return new Date().getFullYear(); }

function query(sel, format) {
  const q = new URLSearchParams({ figure: sel.figure, from: sel.from, to: sel.to, area: sel.area || 'all', scope: sel.scope, by: sel.by });
  if (format) q.set('format', format);
  return `/v1/statistics?${q}`;
}

function label(figure, category) {
  const key = `stats.cat.${category}`;
  const s2 = t(key);
  return s2 === key ? category : s2;
}

const shown = (n) => (n === null ? t('stats.suppressed') : String(n));

// Horizontal bars, one per item {label, n}; a suppressed value (null) is drawn as an outlined
// empty bar with its text, so nothing depends on colour.
function barChart(items, titleId) {
  const rowH = 28, labelW = 200, barW = 360, width = labelW + barW + 70;
  const max = Math.max(1, ...items.map((i) => i.n || 0));
  const svg = s('svg', { viewBox: `0 0 ${width} ${rowH * items.length + 10}`, role: 'img', 'aria-labelledby': titleId, class: 'chart' });
  items.forEach((it, k) => {
    const y = 5 + k * rowH;
    svg.append(s('text', { x: labelW - 8, y: y + 18, 'text-anchor': 'end', class: 'chart-label' }, it.label));
    const w = it.n === null ? barW * 0.05 : Math.max(1, (barW * it.n) / max);
    svg.append(s('rect', { x: labelW, y: y + 4, width: w, height: rowH - 8, class: it.n === null ? 'bar suppressed' : 'bar' }));
    svg.append(s('text', { x: labelW + w + 6, y: y + 18, class: 'chart-value' }, shown(it.n)));
  });
  return svg;
}

function table(caption, head, rows) {
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption },
    h('table', {}, h('caption', { text: caption }),
      h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col', text: x })))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x, i) => (i === 0 ? h('th', { scope: 'row', text: x }) : h('td', { text: x }))))))));
}

// The chart of the answer: one bar per month/area for a single-category figure, otherwise one
// bar per category over the whole selection; each chart with the table of its numbers.
function chartFigure(d, idx) {
  const single = d.totals.length === 1 && d.totals[0].category === 'all';
  const items = single
    ? d.rows.map((r) => ({ label: r.key, n: r.n }))
    : d.totals.map((r) => ({ label: label(d.figure, r.category), n: r.n }));
  const titleId = `chart-title-${idx}`;
  const title = t(single ? 'stats.chart_by' : 'stats.chart_total', { figure: t(`stats.fig.${d.figure}`), by: t(`stats.by.${d.by}`) });
  return h('figure', { class: 'card stats-figure' },
    h('figcaption', { id: titleId, text: title }),
    items.length ? barChart(items, titleId) : h('p', { text: t('stats.empty') }),
    table(title, [t(single ? `stats.by.${d.by}` : 'stats.category'), t('stats.n'), t('stats.suppressed_cells')],
      (single ? d.rows : d.totals).map((r) => [single ? r.key : label(d.figure, r.category), shown(r.n), String(r.suppressed_cells)])));
}

function detailTable(d) {
  if (d.totals.length === 1 && d.totals[0].category === 'all') return null;
  return table(t('stats.detail', { by: t(`stats.by.${d.by}`) }), [t(`stats.by.${d.by}`), t('stats.category'), t('stats.n'), t('stats.suppressed_cells')],
    d.rows.map((r) => [r.key, label(d.figure, r.category), shown(r.n), String(r.suppressed_cells)]));
}

function filterForm(sel) {
  return h('form', { class: 'card stack', id: 'stats-form', novalidate: true },
    h('div', { class: 'grid' },
      field({ name: 'figure', label: t('stats.figure'), type: 'select', value: sel.figure, options: FIGURES.map((f) => [f, t(`stats.fig.${f}`)]) }),
      field({ name: 'from', label: t('stats.from'), type: 'month', value: sel.from, hint: t('stats.month_hint') }),
      field({ name: 'to', label: t('stats.to'), type: 'month', value: sel.to, hint: t('stats.month_hint') }),
      field({ name: 'area', label: t('stats.area'), type: 'search', value: sel.area === 'all' ? '' : sel.area, hint: t('stats.area_hint') }),
      field({ name: 'scope', label: t('stats.scope'), type: 'select', value: sel.scope, options: [['controller', t('stats.scope.controller')], ['joint', t('stats.scope.joint')]] }),
      field({ name: 'by', label: t('stats.by'), type: 'select', value: sel.by, options: [['month', t('stats.by.month')], ['area', t('stats.by.area')]] })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('stats.show') })));
}

export async function statsScreen() {
  const { m } = screen('stats.title');
  const y = thisYear();
  const sel = { figure: 'registrations', from: `${y - 1}-01`, to: `${y}-12`, area: 'all', scope: 'controller', by: 'month' };
  const form = filterForm(sel);
  const out = h('div', { id: 'stats-out', 'aria-live': 'polite' });
  m.append(h('p', { class: 'lead', text: t('stats.intro') }), form, out);
  async function load() {
    clearErrors(form);
    let d;
    try { d = await get(query(sel)); } catch (err) {
      if (err instanceof ApiError && err.status === 400) { showProblem(form, err); return; }
      throw err;
    }
    clear(out).append(
      h('p', { class: 'notice', id: 'stats-freshness', text: d.refreshed_at
        ? t('stats.freshness', { at: fmtDateTime(d.refreshed_at), as_of: fmtDate(d.as_of), threshold: d.threshold })
        : t('stats.never') }),
      chartFigure(d, 1), detailTable(d),
      h('p', {}, h('a', { href: query(sel, 'csv'), download: `crt-${sel.figure}-${sel.from}-${sel.to}.csv`, id: 'stats-csv', text: t('stats.csv') })));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    Object.assign(sel, { figure: fd.get('figure'), from: fd.get('from'), to: fd.get('to'), area: fd.get('area').trim() || 'all', scope: fd.get('scope'), by: fd.get('by') });
    await load();
  });
  await load();
}
