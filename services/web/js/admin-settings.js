// The administrator's controller settings: intake window, break-glass duration, working hours and
// days, retention policy (PATCH /v1/admin/settings: only what changed is sent) and holidays
// (PUT/DELETE /v1/admin/holidays/{day}). The server validates each as the API always does.
import { get, patch, api } from './api.js';
import { h, field, options, showProblem, clearErrors } from './dom.js';
import { t, fmtDate } from './i18n.js';
import { screen, focusTitle } from './app.js';
import { adminOnly, adminNav, statusLine, table } from './admin-common.js';

const BASES = ['status_end', 'guidance_end', 'last_contact', 'registration'];
const NUMBERS = ['intake_window_days', 'break_glass_minutes', 'retention_months'];

function settingsForm(s) {
  const days = h('fieldset', { class: 'field checks wide', dataset: { field: 'work_days' } },
    h('legend', { text: t('admin.settings.work_days') }),
    h('div', { class: 'radios' }, [1, 2, 3, 4, 5, 6, 7].map((d) => h('label', { class: 'radio' },
      h('input', { type: 'checkbox', name: 'work_days', value: String(d), checked: s.work_days.includes(d) }), t(`admin.day.${d}`)))),
    h('p', { class: 'error' }));
  return h('form', { class: 'card stack', novalidate: true, id: 'settings-form' },
    h('div', { class: 'grid' },
      field({ name: 'intake_window_days', label: t('admin.settings.intake'), type: 'number', min: 1, max: 365, inputmode: 'numeric', value: s.intake_window_days, hint: t('admin.settings.intake_hint') }),
      field({ name: 'break_glass_minutes', label: t('admin.settings.break_glass'), type: 'number', min: 5, max: 720, inputmode: 'numeric', value: s.break_glass_minutes, hint: t('admin.settings.break_glass_hint') }),
      field({ name: 'work_start', label: t('admin.settings.work_start'), type: 'time', value: s.work_start }),
      field({ name: 'work_end', label: t('admin.settings.work_end'), type: 'time', value: s.work_end, hint: t('admin.settings.work_hint') }),
      days,
      field({ name: 'retention_basis', label: t('admin.settings.retention_basis'), type: 'select', options: options('admin.basis', BASES, false), value: s.retention_basis }),
      field({ name: 'retention_months', label: t('admin.settings.retention_months'), type: 'number', min: 0, max: 360, inputmode: 'numeric', value: s.retention_months, hint: t('admin.settings.retention_hint') })),
    h('p', { class: 'hint', text: t('admin.settings.log_retention') }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('admin.settings.save') })));
}

// The settings that differ from s, in the API's types (numbers stay text the server refuses).
function changes(form, s) {
  const fd = new FormData(form);
  const out = {};
  for (const k of ['intake_window_days', 'break_glass_minutes', 'work_start', 'work_end', 'retention_basis', 'retention_months']) {
    const raw = String(fd.get(k) ?? '').trim();
    const v = NUMBERS.includes(k) && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (String(v) !== String(s[k])) out[k] = v;
  }
  const days = fd.getAll('work_days').map(Number);
  if (days.join(',') !== s.work_days.join(',')) out.work_days = days;
  return out;
}

export async function adminSettingsScreen(done = null) {
  if (!adminOnly()) return;
  const { m } = screen('admin.settings.title');
  const status = statusLine('settings-status');
  const redo = async (text) => { await adminSettingsScreen(text); focusTitle(); };
  const s = await get('/v1/admin/settings');
  m.append(adminNav('settings'), h('p', { class: 'lead', text: t('admin.settings.intro', { name: t(`controller.${s.code}`) }) }), status.el);
  const form = settingsForm(s);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = changes(form, s);
    if (Object.keys(body).length === 0) { status.ok(t('admin.settings.nothing')); return; }
    try { await patch('/v1/admin/settings', body); await redo(t('admin.settings.saved')); } catch (err) { showProblem(form, err); }
  });

  const hol = h('section', { class: 'stack', 'aria-labelledby': 'holidays-title' }, h('h2', { id: 'holidays-title', text: t('admin.holidays.title') }),
    h('p', { class: 'hint', text: t('admin.holidays.intro') }));
  hol.append(s.holidays.length === 0 ? h('p', { class: 'empty', text: t('admin.holidays.none') })
    : table(t('admin.holidays.title'), ['admin.holidays.day', 'admin.holidays.name', 'admin.partners.actions'],
      s.holidays.map((x) => [fmtDate(x.day), x.name, h('button', { type: 'button', class: 'secondary small', 'aria-label': t('admin.holidays.remove_aria', { day: fmtDate(x.day) }), text: t('admin.holidays.remove'),
        onclick: async () => { try { await api('DELETE', `/v1/admin/holidays/${x.day}`); await redo(t('admin.holidays.removed')); } catch (err) { status.fail(err); } } })]), 'holidays-table'));
  const add = h('form', { class: 'card stack narrow', novalidate: true, id: 'holiday-form', 'aria-labelledby': 'holiday-new' },
    h('h3', { id: 'holiday-new', text: t('admin.holidays.add') }),
    field({ name: 'day', label: t('admin.holidays.day'), type: 'date', required: true }),
    field({ name: 'name', label: t('admin.holidays.name'), required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary', text: t('admin.holidays.add') })));
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(add);
    const fd = new FormData(add);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(fd.get('day'))) { showProblem(add, { field: 'day', slug: 'validation', localDetail: t('admin.holidays.day_needed') }); return; }
    try { await api('PUT', `/v1/admin/holidays/${fd.get('day')}`, { name: fd.get('name').trim() }); await redo(t('admin.holidays.added')); } catch (err) { showProblem(add, err); }
  });
  hol.append(add);
  m.append(form, hol);
  if (done) status.ok(done);
}
