// The DPO console's reviews: the runs with period, rows and explained share, the charts of
// the explained share and of new findings per rule (SVG drawn here, patterns and labels, with
// the numbers as a table), and one review's findings grouped by case, with evidence and decisions.
import { get, patch } from './api.js';
import { h, field, clear, showProblem, dl, options, announce } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { screen } from './app.js';
import { dpoStyles, label, ruleText, table, tag, severityTag, pct, brusselsDay, cursorPager } from './dpo.js';
import { shareChart, rulesChart } from './dpo-chart.js';

const LIMIT = 20;
const FINDINGS = 10;

function period(r) {
  if (!r.window_from) return t('dpo.review.no_window');
  return `${fmtDateTime(r.window_from)} – ${fmtDateTime(r.window_to)}`;
}

export async function reviewsScreen() {
  dpoStyles();
  const { m } = screen('dpo.reviews.title');
  m.append(h('p', { class: 'lead', text: t('dpo.reviews.intro') }));
  const charts = h('section', { 'aria-labelledby': 'dpo-trend' }, h('h2', { id: 'dpo-trend', text: t('dpo.trend.title') }));
  const list = h('section', { 'aria-labelledby': 'dpo-runs' }, h('h2', { id: 'dpo-runs', text: t('dpo.reviews.list') }));
  const body = h('div', { 'aria-live': 'polite' });
  const pager = cursorPager(LIMIT, load);
  list.append(body, pager.el);
  m.append(charts, list);

  // The trend: the newest 100 reviews, oldest first.
  const trend = await get('/v1/reviews?limit=100');
  const runs = trend.items.slice().reverse();
  if (runs.length) charts.append(shareChart(runs), rulesChart(runs));
  else charts.append(h('p', { class: 'empty', text: t('dpo.reviews.none') }));

  async function load(n) {
    const qs = new URLSearchParams({ limit: String(LIMIT) });
    if (pager.cursor(n)) qs.set('before', pager.cursor(n));
    const page = await get(`/v1/reviews?${qs}`);
    clear(body).append(table('reviews', t('dpo.reviews.list'), [
      ['dpo.col.review', (r) => h('a', { href: `#/dpo/reviews/${r.id}`, text: t('dpo.review.n', { id: r.id }) })],
      ['dpo.col.period', (r) => period(r)],
      ['dpo.col.rows', (r) => String(r.log_rows)],
      ['dpo.col.accesses', (r) => String(r.accesses)],
      ['dpo.col.explained', (r) => pct(r.explained_share)],
      ['dpo.col.new_findings', (r) => String(r.findings_new)],
      ['dpo.col.open', (r) => (r.open_findings ? tag(t('dpo.open_n', { n: r.open_findings }), 'warn') : '0')],
    ], page.items, 'dpo.reviews.none'));
    pager.done(n, page.next_before);
  }
  await load(0);
}

// ---- one review: its findings ----

export async function reviewScreen(id) {
  dpoStyles();
  let review;
  try { review = await get(`/v1/reviews/${id}`); } catch (e) { if (e.status === 404) return notFoundReview(); throw e; }
  const { m } = screen('dpo.review.title', { id });
  m.append(h('p', {}, h('a', { href: '#/dpo', text: t('dpo.back_reviews') })));
  m.append(h('section', { class: 'card', 'aria-labelledby': 'dpo-facts' }, h('h2', { id: 'dpo-facts', text: t('dpo.review.facts') }), dl([
    [t('dpo.col.period'), period(review)],
    [t('dpo.col.rows'), String(review.log_rows)],
    [t('dpo.col.accesses'), String(review.accesses)],
    [t('dpo.col.explained'), pct(review.explained_share)],
    [t('dpo.review.first_explained'), pct(review.first_explained_share)],
    [t('dpo.review.denied'), String(review.denied)],
    [t('dpo.col.open'), String(review.open_findings)],
  ])));

  const rules = Object.keys(review.new_findings_by_rule || {}).sort();
  const users = (review.actors || []).map((a) => [a.actor_id, a.username || a.actor_id]);
  const form = h('form', { class: 'filters', id: 'finding-filters', role: 'search', 'aria-label': t('dpo.findings.filters'), novalidate: true },
    field({ name: 'rule', label: t('dpo.f.rule'), type: 'select', options: [['', t('dpo.all')], ...rules.map((r) => [r, ruleText(r)])] }),
    field({ name: 'severity', label: t('dpo.f.severity'), type: 'select', options: [['', t('dpo.all')], ...options('dpo.severity', ['high', 'medium', 'low'], false)] }),
    field({ name: 'status', label: t('dpo.f.status'), type: 'select', options: [['', t('dpo.all')], ...options('dpo.status', ['open', 'decided', 'justified', 'violation', 'follow_up'], false)] }),
    field({ name: 'user', label: t('dpo.f.user'), type: 'select', options: [['', t('dpo.all')], ...users] }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary', text: t('dpo.filter') })));
  const region = h('section', { 'aria-labelledby': 'dpo-findings' }, h('h2', { id: 'dpo-findings', text: t('dpo.findings.title') }));
  const body = h('div', { id: 'findings' });
  const pager = document.createElement('crt-pager');
  region.append(body, pager);
  m.append(form, region);

  async function load(offset) {
    const fd = new FormData(form);
    const qs = new URLSearchParams({ limit: String(FINDINGS), offset: String(offset) });
    for (const k of ['rule', 'severity', 'status', 'user']) if (fd.get(k)) qs.set(k, fd.get(k));
    try {
      const page = await get(`/v1/reviews/${id}/findings?${qs}`);
      clear(body).append(...groups(id, page.items));
      if (!page.items.length) body.append(h('p', { class: 'empty', text: t('dpo.findings.none') }));
      pager.set(offset, FINDINGS, page.next_offset, load);
    } catch (err) {
      if (err.status !== 401) showProblem(form, err);
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(0); });
  await load(0);
}

function notFoundReview() {
  const { m } = screen('notfound.title');
  m.append(h('p', { text: t('notfound.text') }), h('p', {}, h('a', { href: '#/dpo', text: t('dpo.back_reviews') })));
}

// Consecutive findings of one case (the API orders them so) become one section.
function groups(reviewId, items) {
  const out = [];
  let cur = null;
  for (const f of items) {
    const key = f.case ? `c${f.case.id}` : `f${f.id}`;
    if (!cur || cur.key !== key) { cur = { key, f, items: [] }; out.push(cur); }
    cur.items.push(f);
  }
  return out.map((g) => {
    const who = g.f.username || g.f.partner_name || g.f.user_id || g.f.partner_id;
    const kind = g.f.partner_id ? t('dpo.case.partner') : t('dpo.case.user');
    const hid = `case-${g.key}`;
    return h('section', { class: 'case card', 'aria-labelledby': hid, dataset: { case: g.key } },
      h('h3', { id: hid, text: `${kind}: ${who}` }),
      g.f.case ? h('p', { class: 'narrative', text: g.f.case.narrative || t('dpo.case.no_narrative') }) : null,
      g.f.case && g.f.case.closed_at ? h('p', { class: 'muted', text: t('dpo.case.closed', { at: fmtDateTime(g.f.case.closed_at) }) }) : null,
      g.items.map((f) => finding(reviewId, f)));
  });
}

function finding(reviewId, f) {
  const el = h('article', { class: 'finding', id: `finding-${f.id}`, dataset: { finding: String(f.id), rule: f.rule_id } });
  render(el, reviewId, f);
  return el;
}

function render(el, reviewId, f) {
  clear(el);
  const hid = `fh-${f.id}`;
  el.setAttribute('aria-labelledby', hid);
  const subject = f.user_id || f.partner_id;
  const day = brusselsDay(f.first_at);
  el.append(
    h('h4', { id: hid }, `${ruleText(f.rule_id)} `, severityTag(f.severity),
      f.decision ? tag(t(`dpo.status.${f.decision.decision}`), 'decided') : tag(t('dpo.status.open'), 'open')),
    h('p', { class: 'summary', text: f.summary }),
    dl([
      [t('dpo.finding.when'), `${fmtDateTime(f.first_at)} – ${fmtDateTime(f.last_at)}`],
      [t('dpo.finding.occurrences'), String(f.occurrences)],
      f.person_id ? [t('dpo.col.person'), h('code', { text: f.person_id })] : null,
    ]),
    h('h5', { text: t('dpo.evidence.title') }),
    evidence(f),
    subject ? h('p', {}, h('a', { class: 'log-link', href: `#/dpo/log?user=${subject}&day=${day}`, text: t('dpo.evidence.log_link', { day }) })) : null,
    history(f),
    decideForm(el, reviewId, f));
}

function evidence(f) {
  const names = f.evidence_rows.some((r) => r.person_name);
  const cols = [
    ['dpo.col.at', (r) => fmtDateTime(r.at)],
    ['dpo.col.action', (r) => label('dpo.action', r.action)],
    ['dpo.col.person', (r) => (r.person_id ? h('code', { text: r.person_id }) : '—')],
    ['dpo.col.purpose', (r) => label('dpo.purpose', r.purpose)],
    ['dpo.col.reason', (r) => r.reason || '—'],
  ];
  if (names) cols.splice(3, 0, ['dpo.col.name', (r) => r.person_name || '—']);
  return h('div', {},
    table('evidence', t('dpo.evidence.caption', { rule: f.rule_id }), cols, f.evidence_rows, 'dpo.evidence.none'),
    names ? null : h('p', { class: 'hint', text: t('dpo.evidence.no_names') }));
}

function history(f) {
  if (!f.history.length) return null;
  return h('div', { class: 'history' },
    h('h5', { text: t('dpo.decision.history') }),
    h('ol', { class: 'timeline' }, f.history.map((d) => h('li', { class: f.decision && d.id === f.decision.id ? 'current' : 'old-decision', dataset: { decision: String(d.id) } },
      h('strong', { text: t(`dpo.status.${d.decision}`) }), ' · ',
      t('dpo.decision.by', { who: d.decided_by_username || d.decided_by, at: fmtDateTime(d.decided_at) }),
      d.replaces ? h('span', { class: 'muted', text: ` · ${t('dpo.decision.replaces', { id: d.replaces })}` }) : null,
      f.decision && d.id === f.decision.id ? h('span', { class: 'muted', text: ` · ${t('dpo.decision.current')}` }) : h('span', { class: 'muted', text: ` · ${t('dpo.decision.replaced')}` }),
      h('p', { class: 'note', text: d.note })))));
}

function decideForm(el, reviewId, f) {
  const id = `decide-${f.id}`;
  const radios = h('fieldset', { class: 'radios-set' }, h('legend', { text: t('dpo.decision.choose') }),
    h('div', { class: 'radios', dataset: { field: 'decision' } }, ['justified', 'violation', 'follow_up'].map((v) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: 'decision', value: v, required: true }), t(`dpo.status.${v}`))),
    h('p', { class: 'error', id: `${id}-derr` })));
  const form = h('form', { class: 'decide stack', id, novalidate: true },
    h('h5', { text: f.decision ? t('dpo.decision.replace_title') : t('dpo.decision.title') }),
    radios,
    field({ name: 'note', label: t('dpo.decision.note'), type: 'textarea', rows: 3, required: true, hint: t('dpo.decision.note_hint'), wide: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: f.decision ? t('dpo.decision.replace') : t('dpo.decision.save') })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const body = { decision: fd.get('decision') || '', note: (fd.get('note') || '').trim() };
    if (f.decision) body.replaces = f.decision.id;
    if (!body.decision) {
      showProblem(form, { status: 422, slug: 'validation', field: 'decision', detail: '', localDetail: t('dpo.decision.pick') });
      return;
    }
    try {
      const updated = await patch(`/v1/reviews/${reviewId}/findings/${f.id}`, body);
      render(el, reviewId, updated);
      announce(t('dpo.decision.saved'));
      const hist = el.querySelector('.history h5');
      if (hist) { hist.tabIndex = -1; hist.focus(); }
    } catch (err) {
      if (err.status !== 401) showProblem(form, err);
    }
  });
  return form;
}
