// The person page: exactly the groups the API returns for the caller's role, each value with its
// source; why the caller may see the person; restriction and open requests; rectification with
// a reason and its history; trajectory; referrals and what each partner receives; assignments
// and transfer for coordinators. Another controller's person and an unknown id: "not found".
import { get, post, patch } from './api.js';
import { h, field, clear, dl, showProblem, clearErrors, announce, options } from './dom.js';
import { t, fmtDate, fmtDateTime, todayBrussels } from './i18n.js';
import { screen, role, can, notFound, go, focusTitle } from './app.js';
import { GROUPS, PERSON_GROUPS, DETAILS, TRAJECTORY_KINDS, CONTROLLERS, jsonValue } from './model.js';
import { controlFor, sourceField } from './forms.js';

const bgKey = (id) => `crt.bg.${id}`;

export async function personScreen(id) {
  let p;
  try { p = await get(`/v1/persons/${encodeURIComponent(id)}`); } catch (err) {
    if (err.status === 404) { notFound(); return; }
    if (err.status === 403 && err.slug === 'forbidden' && /need to know/.test(err.detail)) { noNeedToKnow(id); return; }
    throw err;
  }
  const name = p.identification ? `${p.identification.first_name} ${p.identification.last_name}` : p.oki_number;
  const { m } = screen('person.title', { name });
  m.append(h('p', { class: 'subtitle' }, h('span', { text: `${t('field.oki_number')}: ` }), h('strong', { text: p.oki_number })));
  const banners = h('div', { class: 'banners' });
  m.append(banners, why(p));
  await flagBanners(banners, id);
  const layout = h('div', { class: 'person-layout' });
  const data = h('div', { class: 'person-data' });
  for (const g of [...PERSON_GROUPS, 'sensitive']) if (p[g]) data.append(groupSection(p, g));
  layout.append(data);
  m.append(layout);
  if (p.household_id) m.append(await householdSection(p));
  const sections = [];
  if (p.identification && can('write', 'identification') && role() !== 'education') sections.push(rectifySection(p));
  sections.push(historySection(id));
  if (can('read', 'trajectory') || can('read', 'education')) sections.push(trajectorySection(id));
  if (['intake', 'caseworker', 'coordinator'].includes(role())) sections.push(referralSection(id));
  if (['caseworker', 'coordinator'].includes(role())) sections.push(assignmentSection(id));
  if (role() === 'coordinator') sections.push(transferSection(id));
  for (const s of sections) m.append(await s);
}

function why(p) {
  const reason = p.access_reason;
  const box = h('p', { class: 'why', id: 'why' }, h('strong', { text: `${t('person.why')}: ` }), reason ? t(`why.${reason}`) : t('common.empty'));
  if (reason === 'break_glass') {
    let until = null;
    try { until = sessionStorage.getItem(bgKey(p.id)); } catch { /* none */ }
    box.classList.add('bg-open');
    if (until && Date.parse(until) > Date.now()) {
      const cd = document.createElement('crt-countdown');
      cd.setAttribute('until', until);
      cd.addEventListener('expired', () => announce(t('bg.expired')));
      box.append(' — ', t('bg.time_left'), ' ', cd);
    }
  }
  return box;
}

async function flagBanners(el, id) {
  try {
    const f = await get(`/v1/persons/${id}/flags`);
    if (f.restricted_at) el.append(h('div', { class: 'notice warn', role: 'status', id: 'restricted', text: t('person.restricted', { since: fmtDateTime(f.restricted_at) }) }));
    if (f.protected_at) el.append(h('div', { class: 'notice', text: t('person.protected') }));
  } catch { /* the role does not read the flags */ }
  try {
    const r = await get(`/v1/persons/${id}/requests`);
    const open = (r.items || []).filter((x) => x.status === 'open');
    if (open.length) el.append(h('div', { class: 'notice warn', role: 'status', id: 'under-request', text: t('person.under_request', { kinds: open.map((x) => t(`request.${x.kind}`)).join(', ') }) }));
  } catch { /* the role does not read requests */ }
}

function show(def, v) {
  if (v === null || v === undefined || v === '') return '';
  if (def.type === 'date') return fmtDate(v);
  if (def.type === 'bool') return t(v ? 'common.yes' : 'common.no');
  if (def.type === 'select') return t(`enum.${def.name}.${v}`);
  return String(v);
}

function groupSection(p, g) {
  const sources = p.sources || {};
  return h('section', { class: 'card group-view', 'aria-labelledby': `g-${g}`, dataset: { group: g } },
    h('h2', { id: `g-${g}`, text: t(`group.${g}`) }),
    dl(GROUPS[g].map((def) => [t(`field.${def.name}`), show(def, p[g][def.name]),
      sources[def.name] ? h('span', { class: 'source', text: ` ${t('person.source', { source: t(`source.${sources[def.name]}`) })}` }) : null])));
}

async function householdSection(p) {
  let hh;
  try { hh = await get(`/v1/households/${p.household_id}`); } catch { return section('household', 'group.household', h('p', { text: t('common.unavailable') })); }
  const address = [[hh.address_street, hh.address_number, hh.address_box].filter(Boolean).join(' '), [hh.address_postcode, hh.address_city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const others = (hh.members || []).filter((x) => x.id !== p.id);
  return section('household', 'group.household', dl([
    [t('field.family_name'), hh.family_name, h('span', { class: 'source', text: ` ${t('person.source', { source: t(`source.${hh.source}`) })}` })],
    [t('household.address'), address],
    [t('household.members'), others.length ? h('ul', { class: 'inline' }, others.map((x) => h('li', {}, h('a', { href: `#/persons/${x.id}`, text: x.oki_number })))) : ''],
  ]));
}

function section(idp, titleKey, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': idp, id: `${idp}-section` }, h('h2', { id: idp, text: t(titleKey) }), ...content);
}

function rectifySection(p) {
  const fields = [];
  for (const g of PERSON_GROUPS) if (p[g] && can('write', g)) for (const def of GROUPS[g]) fields.push([g, def]);
  const form = h('form', { class: 'stack', novalidate: true, id: 'rectify-form' });
  const pick = field({ name: 'which', label: t('rectify.field'), type: 'select', options: [['', t('common.choose')], ...fields.map(([g, d]) => [`${g}.${d.name}`, `${t(`group.${g}`)}: ${t(`field.${d.name}`)}`])] });
  const slot = h('div', { class: 'value-slot' });
  form.append(pick, slot, sourceField('source'),
    field({ name: 'reason', label: t('rectify.reason'), type: 'textarea', required: true, hint: t('rectify.reason_hint') }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('rectify.save') })));
  pick.querySelector('select').addEventListener('change', (e) => {
    clear(slot);
    const [g, n] = e.target.value.split('.');
    const def = (GROUPS[g] || []).find((d) => d.name === n);
    if (def) slot.append(controlFor(def, `${g}.${n}`, p[g][n] ?? '', { label: t('rectify.new_value', { field: t(`field.${n}`) }) }));
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const which = fd.get('which');
    const body = { source: fd.get('source') || undefined, reason: fd.get('reason') };
    if (which) {
      const [g, n] = which.split('.');
      const def = GROUPS[g].find((d) => d.name === n);
      const v = jsonValue(def, fd.get(which));
      body[g] = { [n]: v === undefined ? null : v };
    }
    try {
      await patch(`/v1/persons/${p.id}`, body);
      announce(t('rectify.done'));
      go(`#/persons/${p.id}`);
    } catch (err) { if (err.status !== 401) showProblem(form, err); }
  });
  return section('rectify', 'rectify.title', h('p', { text: t('rectify.intro') }), form);
}

async function historySection(id) {
  let items = [];
  try { items = (await get(`/v1/persons/${id}/rectifications`)).items; } catch { return section('history', 'history.title', h('p', { text: t('common.unavailable') })); }
  const body = items.length ? h('ul', { class: 'timeline' }, items.map((r) => h('li', {},
    h('strong', { text: t(`field.${r.field.split('.').pop()}`) }), ': ',
    h('span', { class: 'old', text: r.old_value ?? t('common.empty') }), ' → ', h('span', { text: r.new_value ?? t('common.empty') }),
    h('br'), h('span', { class: 'muted', text: `${fmtDateTime(r.changed_at)} · ${r.changed_by ? r.changed_by.username : ''} · ${t('history.reason')}: ${r.reason}` }))))
    : h('p', { class: 'empty', text: t('history.none') });
  return section('history', 'history.title', body);
}

function kindsAllowed() {
  const k = TRAJECTORY_KINDS.filter((x) => (x === 'test_result' ? can('write', 'education') : can('write', 'trajectory')));
  return k;
}

async function trajectorySection(id) {
  let items = [];
  try { items = (await get(`/v1/persons/${id}/trajectory`)).items; } catch { items = []; }
  const list = items.length ? h('ul', { class: 'timeline', id: 'trajectory-list' }, items.map((e) => h('li', {},
    h('strong', { text: t(`kind.${e.kind}`) }), ` — ${fmtDate(e.occurred_on)} `,
    h('span', { class: 'source', text: t('person.source', { source: t(`source.${e.source}`) }) }),
    h('br'), Object.entries(e.details || {}).map(([k, v]) => h('span', { class: 'detail', text: `${t(`field.${k}`)}: ${typeof v === 'boolean' ? t(v ? 'common.yes' : 'common.no') : (k === 'test' ? t(`enum.test.${v}`) : v)}` })))))
    : h('p', { class: 'empty', text: t('trajectory.none') });
  const kinds = kindsAllowed();
  const parts = [list];
  if (kinds.length) parts.push(entryForm(id, kinds));
  return section('trajectory', role() === 'education' ? 'trajectory.title_education' : 'trajectory.title', ...parts);
}

function entryForm(id, kinds) {
  const form = h('form', { class: 'stack', novalidate: true, id: 'entry-form', 'aria-labelledby': 'entry-title' },
    h('h3', { id: 'entry-title', text: t(kinds.length === 1 && kinds[0] === 'test_result' ? 'trajectory.add_test' : 'trajectory.add') }));
  const kind = field({ name: 'kind', label: t('trajectory.kind'), type: 'select', options: options('kind', kinds, kinds.length > 1), value: kinds[0] });
  const details = h('div', { class: 'grid details' });
  const fill = (k) => { clear(details).append(...(DETAILS[k] || []).map((d) => controlFor(d, `details.${d.name}`, ''))); };
  fill(kinds.length === 1 ? kinds[0] : '');
  kind.querySelector('select').addEventListener('change', (e) => fill(e.target.value));
  form.append(kind, field({ name: 'occurred_on', label: t('trajectory.date'), type: 'date', required: true, value: todayBrussels(), max: todayBrussels() }),
    sourceField('source', kinds.includes('test_result') && kinds.length === 1 ? 'test' : ''), details,
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('trajectory.save') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const k = fd.get('kind');
    const d = {};
    for (const def of DETAILS[k] || []) { const v = jsonValue(def, fd.get(`details.${def.name}`)); if (v !== undefined) d[def.name] = v; }
    const body = { kind: k || undefined, occurred_on: fd.get('occurred_on') || undefined, source: fd.get('source') || undefined };
    if (Object.keys(d).length || k !== 'intake') body.details = d;
    try {
      await post(`/v1/persons/${id}/trajectory`, body);
      announce(t('trajectory.saved'));
      go(`#/persons/${id}`);
    } catch (err) { if (err.status !== 401) showProblem(form, err); }
  });
  return form;
}

async function referralSection(id) {
  let refs = []; let partners = [];
  try { refs = (await get(`/v1/persons/${id}/referrals`)).items; } catch { return section('referrals', 'referrals.title', h('p', { text: t('common.unavailable') })); }
  try { partners = (await get('/v1/partners')).items; } catch { partners = []; }
  const grantsOf = (pid, purpose) => {
    const p = partners.find((x) => x.id === pid);
    const g = p && p.grants.find((x) => x.purpose === purpose);
    return g ? g.field_groups.map((x) => t(`group.${x}`)).join(', ') : t('referrals.no_grant');
  };
  const list = refs.length ? h('ul', { class: 'timeline', id: 'referral-list' }, refs.map((r) => h('li', {},
    h('strong', { text: r.partner.name }), ` — ${r.purpose}`, h('br'),
    h('span', { text: `${t('referrals.receives')}: ${grantsOf(r.partner.id, r.purpose)}` }), h('br'),
    h('span', { class: 'muted', text: `${t('referrals.since')} ${fmtDateTime(r.created_at)}${r.ended_at ? ` · ${t('referrals.ended')} ${fmtDateTime(r.ended_at)}` : ''}` }),
    r.ended_at ? null : h('button', { type: 'button', class: 'secondary small', text: t('referrals.end'), 'aria-label': t('referrals.end_aria', { partner: r.partner.name }),
      onclick: async () => { try { await post(`/v1/persons/${id}/referrals/${r.id}/end`); go(`#/persons/${id}`); } catch (e) { if (e.status !== 401) announce(t('problem.unknown')); } } }))))
    : h('p', { class: 'empty', text: t('referrals.none') });
  const choices = [];
  for (const p of partners) for (const g of p.grants) choices.push([`${p.id}|${g.purpose}`, `${p.name} — ${g.purpose} (${g.field_groups.map((x) => t(`group.${x}`)).join(', ')})`]);
  const parts = [list];
  if (choices.length) {
    const form = h('form', { class: 'stack', novalidate: true, id: 'referral-form' },
      field({ name: 'partner_id', label: t('referrals.partner'), type: 'select', options: [['', t('common.choose')], ...choices] }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('referrals.add') })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const v = new FormData(form).get('partner_id');
      const [pid, purpose] = v ? v.split('|') : ['', ''];
      try { await post(`/v1/persons/${id}/referrals`, { partner_id: pid, purpose }); go(`#/persons/${id}`); } catch (err) {
        if (err.status !== 401) { if (err.field === 'purpose') err.field = 'partner_id'; showProblem(form, err); }
      }
    });
    parts.push(form);
  }
  return section('referrals', 'referrals.title', ...parts);
}

async function assignmentSection(id) {
  let items = [];
  try { items = (await get(`/v1/persons/${id}/assignments`)).items; } catch { return section('assignments', 'assignments.title', h('p', { text: t('common.unavailable') })); }
  const list = items.length ? h('ul', { class: 'timeline', id: 'assignment-list' }, items.map((a) => h('li', {},
    h('strong', { text: a.caseworker.username }), a.reason ? ` — ${a.reason}` : '', h('br'),
    h('span', { class: 'muted', text: `${t('assignments.since')} ${fmtDateTime(a.started_at)}${a.ended_at ? ` · ${t('assignments.ended')} ${fmtDateTime(a.ended_at)}` : ''}` }),
    !a.ended_at && role() === 'coordinator' ? h('button', { type: 'button', class: 'secondary small', text: t('assignments.end'), 'aria-label': t('assignments.end_aria', { who: a.caseworker.username }),
      onclick: async () => { try { await post(`/v1/persons/${id}/assignments/${a.id}/end`); go(`#/persons/${id}`); } catch (e) { if (e.status !== 401) announce(t('problem.unknown')); } } }) : null)))
    : h('p', { class: 'empty', text: t('assignments.none') });
  const parts = [list];
  if (role() === 'coordinator') {
    let cws = [];
    try { cws = (await get('/v1/caseworkers')).items; } catch { cws = []; }
    const form = h('form', { class: 'stack', novalidate: true, id: 'assign-form' },
      field({ name: 'user_id', label: t('assignments.caseworker'), type: 'select', options: [['', t('common.choose')], ...cws.map((c) => [c.id, c.display_name ? `${c.display_name} (${c.username})` : c.username])] }),
      field({ name: 'reason', label: t('assignments.reason') }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('assignments.add') })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      try { await post(`/v1/persons/${id}/assignments`, { user_id: fd.get('user_id'), reason: fd.get('reason') || undefined }); go(`#/persons/${id}`); } catch (err) { if (err.status !== 401) showProblem(form, err); }
    });
    parts.push(form);
  }
  return section('assignments', 'assignments.title', ...parts);
}

function transferSection(id) {
  const form = h('form', { class: 'stack', novalidate: true, id: 'transfer-form' },
    field({ name: 'to_controller', label: t('transfer.to'), type: 'select', options: options('controller', CONTROLLERS) }),
    field({ name: 'reason', label: t('transfer.reason'), required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger', text: t('transfer.save') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    try {
      await post(`/v1/persons/${id}/transfer`, { to_controller: fd.get('to_controller'), reason: fd.get('reason') });
      announce(t('transfer.done')); go('#/');
    } catch (err) { if (err.status !== 401) showProblem(form, err); }
  });
  return section('transfer', 'transfer.title', h('p', { text: t('transfer.intro') }), form);
}

function noNeedToKnow(id) {
  const { m } = screen('nnk.title');
  m.append(h('p', { text: t('nnk.text') }),
    h('p', { class: 'warn', text: t('nnk.emergency') }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', id: 'break-glass', text: t('bg.button'), onclick: () => breakGlass(id) }),
      h('a', { href: '#/', class: 'link-button', text: t('nav.home') })));
}

// The break-glass dialog: what it means (the DPO sees it), a reason of at least 20 characters
// (the server decides; its 422 is shown beside the reason), then the person opens.
function breakGlass(id) {
  const tpl = document.getElementById('tpl-break-glass');
  const dlg = tpl.content.firstElementChild.cloneNode(true);
  dlg.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  dlg.querySelector('#bg-reason-hint').textContent = t('bg.reason_hint');
  document.body.append(dlg);
  const form = dlg.querySelector('form');
  const opener = document.getElementById('break-glass');
  const close = () => { dlg.close(); dlg.remove(); if (opener) opener.focus(); };
  dlg.querySelector('[data-action=cancel]').addEventListener('click', close);
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const reason = new FormData(form).get('reason');
    try {
      const r = await post(`/v1/persons/${id}/break-glass`, { reason });
      try { sessionStorage.setItem(bgKey(id), r.expires_at); } catch { /* countdown not shown after a reload */ }
      dlg.close(); dlg.remove();
      announce(t('bg.opened'));
      go(`#/persons/${id}`);
      focusTitle();
    } catch (err) { if (err.status !== 401) showProblem(form, err); }
  });
  dlg.showModal();
  dlg.querySelector('textarea').focus();
}
