// The DPO console's register of the persons' requests: status, due date, overdue and due within
// seven days marked (in words, not colour alone), paged; one request with its extension and
// decision, and extending it (the API refuses what the law does not allow, beside the field).
import { get, post } from './api.js';
import { h, field, clear, showProblem, dl, options, announce } from './dom.js';
import { t, fmtDate, todayBrussels } from './i18n.js';
import { screen } from './app.js';
import { dpoStyles, label, table, tag } from './dpo.js';

const LIMIT = 20;
const KINDS = ['access', 'rectification', 'erasure', 'restriction', 'portability', 'objection'];

function dueTag(r) {
  if (r.status !== 'open') return null;
  if (r.overdue) return tag(t('dpo.req.overdue', { n: -r.days_left }), 'high');
  if (r.days_left <= 7) return tag(t('dpo.req.due_soon', { n: r.days_left }), 'warn');
  return null;
}

function rowClass(r) {
  if (r.status !== 'open') return null;
  return r.overdue ? 'overdue' : r.days_left <= 7 ? 'due-soon' : null;
}

export async function requestsScreen() {
  dpoStyles();
  const { m } = screen('dpo.req.title');
  m.append(h('p', { class: 'lead', text: t('dpo.req.intro') }));
  const form = h('form', { class: 'filters', id: 'req-filters', role: 'search', 'aria-label': t('dpo.req.filters'), novalidate: true },
    field({ name: 'status', label: t('dpo.f.req_status'), type: 'select', options: [['', t('dpo.all')], ...options('dpo.req.status', ['open', 'granted', 'refused'], false)] }),
    field({ name: 'due', label: t('dpo.f.due'), type: 'select', options: [['', t('dpo.all')], ['overdue', t('dpo.req.only_overdue')], ['soon', t('dpo.req.only_soon')]] }),
    field({ name: 'kind', label: t('dpo.f.kind'), type: 'select', options: [['', t('dpo.all')], ...options('dpo.req.kind', KINDS, false)] }),
    field({ name: 'number', label: t('dpo.f.number'), type: 'search', inputmode: 'numeric', hint: t('dpo.f.number_hint') }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary', text: t('dpo.filter') })));
  const summary = h('p', { id: 'req-summary', role: 'status' });
  const region = h('section', { 'aria-labelledby': 'req-list' }, h('h2', { id: 'req-list', text: t('dpo.req.list') }));
  const body = h('div', {});
  const pager = document.createElement('crt-pager');
  region.append(summary, body, pager);
  m.append(form, region);
  let items = [];

  function show(offset) {
    const page = items.slice(offset, offset + LIMIT).map((r) => Object.assign({ rowClass: rowClass(r) }, r));
    clear(body).append(table('requests', t('dpo.req.list'), [
      ['dpo.col.number', (r) => h('a', { href: `#/dpo/requests/${r.id}`, text: `#${r.number}` })],
      ['dpo.col.kind', (r) => label('dpo.req.kind', r.kind)],
      ['dpo.col.status', (r) => label('dpo.req.status', r.status)],
      ['dpo.col.received', (r) => fmtDate(r.received_on)],
      ['dpo.col.due', (r) => [fmtDate(r.due_on), ' ', dueTag(r)]],
      ['dpo.col.extension', (r) => (r.extension ? t('dpo.req.extended', { n: r.extension.months }) : '—')],
      ['dpo.col.decided', (r) => (r.decided_on ? fmtDate(r.decided_on) : '—')],
    ], page));
    pager.set(offset, LIMIT, offset + LIMIT < items.length ? offset + LIMIT : null, show);
  }

  async function load() {
    const fd = new FormData(form);
    const qs = new URLSearchParams();
    if (fd.get('status')) qs.set('status', fd.get('status'));
    if (fd.get('due') === 'overdue') qs.set('overdue', 'true');
    if (fd.get('due') === 'soon') qs.set('due_within', '7d');
    try {
      const res = await get(`/v1/requests?${qs}`);
      const number = (fd.get('number') || '').replace(/\D/g, '');
      items = res.items.filter((r) => (!fd.get('kind') || r.kind === fd.get('kind')) && (!number || String(r.number) === number));
      const overdue = items.filter((r) => r.status === 'open' && r.overdue).length;
      const soon = items.filter((r) => r.status === 'open' && !r.overdue && r.days_left <= 7).length;
      summary.textContent = t('dpo.req.summary', { n: items.length, overdue, soon });
      show(0);
    } catch (err) {
      if (err.status !== 401) showProblem(form, err);
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  await load();
}

export async function requestScreen(id) {
  dpoStyles();
  let r;
  try { r = await get(`/v1/requests/${id}`); } catch (e) {
    if (e.status !== 404) throw e;
    const { m } = screen('notfound.title');
    m.append(h('p', { text: t('notfound.text') }), h('p', {}, h('a', { href: '#/dpo/requests', text: t('dpo.back_requests') })));
    return;
  }
  const { m } = screen('dpo.req.one', { n: r.number });
  m.append(h('p', {}, h('a', { href: '#/dpo/requests', text: t('dpo.back_requests') })));
  const facts = h('section', { class: 'card', id: 'req-facts', 'aria-labelledby': 'req-facts-h' });
  m.append(facts);
  renderFacts(facts, r);
  if (r.status === 'open' && r.person_id) m.append(extendForm(facts, r));
  m.append(h('section', { class: 'card', 'aria-labelledby': 'req-export-h' },
    h('h2', { id: 'req-export-h', text: t('dpo.req.export_title') }),
    h('p', { text: ['access', 'portability'].includes(r.kind) ? t('dpo.req.export_text') : t('dpo.req.export_other') })));
}

function renderFacts(el, r) {
  clear(el).append(h('h2', { id: 'req-facts-h', text: t('dpo.req.facts') }), dl([
    [t('dpo.col.kind'), label('dpo.req.kind', r.kind)],
    [t('dpo.col.status'), label('dpo.req.status', r.status)],
    [t('dpo.col.received'), fmtDate(r.received_on)],
    [t('dpo.req.deadline'), fmtDate(r.deadline)],
    [t('dpo.col.due'), [fmtDate(r.due_on), ' ', dueTag(r)]],
    [t('dpo.req.identity'), label('dpo.req.identity_check', r.identity_check)],
    r.representative ? [t('dpo.req.representative'), `${r.representative.name} (${label('dpo.req.capacity', r.representative.capacity)})`] : null,
    [t('dpo.req.details'), r.details],
    [t('dpo.col.extension'), r.extension ? t('dpo.req.extension_text', { n: r.extension.months, reason: r.extension.reason, told: fmtDate(r.extension.person_told_on) }) : t('dpo.req.none')],
    [t('dpo.req.decision'), r.decided_on ? `${label('dpo.req.status', r.status)} · ${fmtDate(r.decided_on)}` : t('dpo.req.undecided')],
    [t('dpo.req.reasons'), r.reasons],
    [t('dpo.col.person'), r.person_id ? h('code', { text: r.person_id }) : (r.person_erased ? t('dpo.req.erased') : null)],
  ]));
}

function extendForm(facts, r) {
  const form = h('form', { id: 'extend-form', class: 'card stack', novalidate: true, 'aria-labelledby': 'extend-h' },
    h('h2', { id: 'extend-h', text: t('dpo.req.extend_title') }),
    h('p', { class: 'hint', text: t('dpo.req.extend_hint') }),
    h('div', { class: 'grid' },
      field({ name: 'months', label: t('dpo.req.months'), type: 'select', required: true, options: [['1', t('dpo.req.month_1')], ['2', t('dpo.req.month_2')]] }),
      field({ name: 'person_told_on', label: t('dpo.req.told_on'), type: 'date', required: true, value: todayBrussels(), max: todayBrussels() }),
      field({ name: 'reason', label: t('dpo.req.reason'), type: 'textarea', required: true, rows: 3, hint: t('dpo.req.reason_hint'), wide: true })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('dpo.req.extend') })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    try {
      const updated = await post(`/v1/requests/${r.id}/extension`, {
        months: Number(fd.get('months')), reason: (fd.get('reason') || '').trim(), person_told_on: fd.get('person_told_on'),
      });
      renderFacts(facts, updated);
      form.replaceWith(h('p', { class: 'notice ok', id: 'extend-done', role: 'status', text: t('dpo.req.extended_done', { due: fmtDate(updated.due_on) }) }));
      announce(t('dpo.req.extended_done', { due: fmtDate(updated.due_on) }));
    } catch (err) {
      if (err.status !== 401) showProblem(form, err);
    }
  });
  return form;
}
