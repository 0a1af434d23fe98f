// The DPO console's logs: the access log with its filters (user, person id, action, outcome,
// purpose, reason, date range), paged, and the filtered rows downloaded as CSV; the login events
// (failed logins, lockouts, recovery codes, administrative actions).
import { get, getFile } from './api.js';
import { h, field, clear, showProblem, options, announce } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { screen } from './app.js';
import { dpoStyles, label, table, tag, dayStart, nextDay, cursorPager } from './dpo.js';

const LIMIT = 50;
const ACTIONS = ['read', 'search', 'create', 'update', 'break_glass', 'disclosure', 'export', 'history_read',
  'trajectory_read', 'trajectory_write', 'household_read', 'household_write', 'assignment_read', 'assignment_write',
  'referral_read', 'referral_write', 'duplicate_check', 'transfer_out', 'transfer_in', 'request_read', 'request_write',
  'audit_read', 'review_read', 'review_decide'];
const EVENTS = ['password', 'totp', 'recovery_code', 'lockout', 'enrol_start', 'enrol_confirm', 'logout', 'unlock',
  'mfa_reset', 'disable', 'enable', 'role_change', 'password_change', 'create', 'session_revoke'];

// The query string of the filter form (dates → Brussels day bounds), or null after showing
// the problem beside the field.
function logQuery(form) {
  const fd = new FormData(form);
  const qs = new URLSearchParams();
  for (const k of ['user', 'person', 'action', 'outcome', 'purpose', 'reason']) {
    const v = (fd.get(k) || '').trim();
    if (v) qs.set(k, v);
  }
  if (fd.get('from')) qs.set('from', dayStart(fd.get('from')));
  if (fd.get('to')) qs.set('to', dayStart(nextDay(fd.get('to'))));
  return qs;
}

export async function logScreen(query) {
  dpoStyles();
  const { m } = screen('dpo.log.title');
  const pre = new URLSearchParams(query || '');
  m.append(h('p', { class: 'lead', text: t('dpo.log.intro') }));
  const form = h('form', { class: 'filters', id: 'log-filters', role: 'search', 'aria-label': t('dpo.log.filters'), novalidate: true },
    field({ name: 'user', label: t('dpo.f.user_id'), value: pre.get('user') || '', hint: t('dpo.f.uuid_hint'), spellcheck: 'false' }),
    field({ name: 'person', label: t('dpo.f.person'), value: pre.get('person') || '', hint: t('dpo.f.uuid_hint'), spellcheck: 'false' }),
    field({ name: 'action', label: t('dpo.f.action'), type: 'select', options: [['', t('dpo.all')], ...ACTIONS.map((a) => [a, label('dpo.action', a)])] }),
    field({ name: 'outcome', label: t('dpo.f.outcome'), type: 'select', options: [['', t('dpo.all')], ...options('dpo.outcome', ['allowed', 'denied', 'not_found'], false)] }),
    field({ name: 'purpose', label: t('dpo.f.purpose'), value: pre.get('purpose') || '' }),
    field({ name: 'reason', label: t('dpo.f.reason'), value: pre.get('reason') || '' }),
    field({ name: 'from', label: t('dpo.f.from'), type: 'date', value: pre.get('day') || pre.get('from') || '' }),
    field({ name: 'to', label: t('dpo.f.to'), type: 'date', value: pre.get('day') || pre.get('to') || '' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'secondary', text: t('dpo.filter') }),
      h('button', { type: 'button', id: 'csv-download', onclick: () => download(form), text: t('dpo.log.csv') })));
  const region = h('section', { 'aria-labelledby': 'log-list' }, h('h2', { id: 'log-list', text: t('dpo.log.list') }),
    h('p', { id: 'csv-note', class: 'notice warn', hidden: true }));
  const body = h('div', { id: 'log-rows', 'aria-live': 'polite' });
  const pager = cursorPager(LIMIT, load);
  region.append(body, pager.el);
  m.append(form, region);

  async function load(n) {
    const qs = logQuery(form);
    qs.set('limit', String(LIMIT));
    if (pager.cursor(n)) qs.set('before', pager.cursor(n));
    try {
      const page = await get(`/v1/audit/access?${qs}`);
      clear(body).append(table('log', t('dpo.log.list'), [
        ['dpo.col.at', (r) => fmtDateTime(r.at)],
        ['dpo.col.user', (r) => r.username || (r.partner_id ? t('dpo.log.partner') : '—')],
        ['dpo.col.person', (r) => (r.person_id ? h('code', { text: r.person_id }) : '—')],
        ['dpo.col.action', (r) => label('dpo.action', r.action)],
        ['dpo.col.purpose', (r) => label('dpo.purpose', r.purpose)],
        ['dpo.col.outcome', (r) => (r.outcome === 'allowed' ? label('dpo.outcome', r.outcome) : tag(label('dpo.outcome', r.outcome), 'warn'))],
        ['dpo.col.reason', (r) => r.reason || '—'],
      ], page.items));
      pager.done(n, page.next_before);
    } catch (err) {
      if (err.status !== 401) showProblem(form, err);
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); pager.reset(); load(0); });
  await load(0);
}

// The filtered rows as a CSV file: fetched with the session, saved through an object URL.
async function download(form) {
  const qs = logQuery(form);
  qs.set('format', 'csv');
  try {
    const { blob, name, capped } = await getFile(`/v1/audit/access?${qs}`, 'text/csv');
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name, class: 'visually-hidden', text: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    announce(capped ? t('dpo.log.csv_capped', { n: capped }) : t('dpo.log.csv_done'));
    const note = document.getElementById('csv-note');
    if (note) { note.textContent = capped ? t('dpo.log.csv_capped', { n: capped }) : ''; note.hidden = !capped; }
  } catch (err) {
    if (err.status !== 401) showProblem(form, err);
  }
}

export async function loginsScreen() {
  dpoStyles();
  const { m } = screen('dpo.logins.title');
  m.append(h('p', { class: 'lead', text: t('dpo.logins.intro') }));
  const form = h('form', { class: 'filters', id: 'login-filters', role: 'search', 'aria-label': t('dpo.logins.filters'), novalidate: true },
    field({ name: 'event', label: t('dpo.f.event'), type: 'select', options: [['', t('dpo.all')], ...EVENTS.map((e) => [e, label('dpo.event', e)])] }),
    field({ name: 'outcome', label: t('dpo.f.outcome'), type: 'select', options: [['', t('dpo.all')], ...options('dpo.login_outcome', ['success', 'failure', 'refused'], false)] }),
    field({ name: 'from', label: t('dpo.f.from'), type: 'date' }),
    field({ name: 'to', label: t('dpo.f.to'), type: 'date' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary', text: t('dpo.filter') })));
  const region = h('section', { 'aria-labelledby': 'login-list' }, h('h2', { id: 'login-list', text: t('dpo.logins.list') }));
  const body = h('div', { 'aria-live': 'polite' });
  const pager = cursorPager(LIMIT, load);
  region.append(body, pager.el);
  m.append(form, region);

  async function load(n) {
    const fd = new FormData(form);
    const qs = new URLSearchParams({ limit: String(LIMIT) });
    for (const k of ['event', 'outcome']) if (fd.get(k)) qs.set(k, fd.get(k));
    if (fd.get('from')) qs.set('from', dayStart(fd.get('from')));
    if (fd.get('to')) qs.set('to', dayStart(nextDay(fd.get('to'))));
    if (pager.cursor(n)) qs.set('before', pager.cursor(n));
    try {
      const page = await get(`/v1/audit/logins?${qs}`);
      clear(body).append(table('logins', t('dpo.logins.list'), [
        ['dpo.col.at', (r) => fmtDateTime(r.at)],
        ['dpo.col.user', (r) => r.username || r.user_id || '—'],
        ['dpo.col.event', (r) => label('dpo.event', r.event)],
        ['dpo.col.outcome', (r) => (r.outcome === 'success' ? label('dpo.login_outcome', r.outcome) : tag(label('dpo.login_outcome', r.outcome), 'warn'))],
        ['dpo.col.admin', (r) => (r.actor_id ? tag(t('dpo.logins.by_admin'), 'admin') : '—')],
        ['dpo.col.ip', (r) => r.ip || '—'],
      ], page.items));
      pager.done(n, page.next_before);
    } catch (err) {
      if (err.status !== 401) showProblem(form, err);
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); pager.reset(); load(0); });
  await load(0);
}
