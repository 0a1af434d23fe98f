// Registering a person: the duplicate check first (this controller: GET /v1/persons; the
// others: POST /v1/persons/duplicate-check, which says only where and on what it matched), then
// the form with every group the role may write, per-field sources and the household. A refusal
// keeps everything typed and shows the error beside the field the server names.
import { get, post } from './api.js';
import { h, field, clear, showProblem, clearErrors, announce } from './dom.js';
import { t, fmtDate, todayBrussels } from './i18n.js';
import { screen, can, focusTitle } from './app.js';
import { groupFieldset, sourceField, readGroups } from './forms.js';

const WRITABLE = ['identification', 'contact', 'trajectory', 'situation', 'sensitive'];

export async function registerScreen() {
  const { m } = screen('register.title');
  if (!can('write', 'identification')) { m.append(h('p', { text: t('register.not_allowed') })); return; }
  m.append(h('p', { class: 'lead', text: t('register.step1_intro') }));
  const form = h('form', { class: 'card stack', novalidate: true, id: 'dup-form', 'aria-labelledby': 'dup-title' },
    h('h2', { id: 'dup-title', text: t('register.step1') }),
    h('div', { class: 'grid' },
      field({ name: 'first_name', label: t('field.first_name'), required: true }),
      field({ name: 'last_name', label: t('field.last_name'), required: true }),
      field({ name: 'birth_date', label: t('field.birth_date'), type: 'date', required: true, max: todayBrussels() }),
      can('write', 'sensitive') ? field({ name: 'national_number', label: t('field.national_number'), hint: t('hint.national_number'), inputmode: 'numeric' }) : null),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('register.check') })));
  const result = h('section', { id: 'dup-result', 'aria-live': 'polite' });
  m.append(form, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const q = Object.fromEntries(['first_name', 'last_name', 'birth_date', 'national_number']
      .map((k) => [k, (fd.get(k) || '').trim()]).filter(([, v]) => v));
    try {
      const dup = await post('/v1/persons/duplicate-check', q);
      let own = { items: [] };
      if (q.last_name && q.last_name.length >= 2 && q.birth_date) {
        own = await get(`/v1/persons?${new URLSearchParams({ q: q.last_name, birth_date: q.birth_date })}`);
      }
      showDuplicates(result, own.items, dup.elsewhere, q);
    } catch (err) { if (err.status !== 401) showProblem(form, err); }
  });
}

function showDuplicates(region, own, elsewhere, q) {
  clear(region);
  const found = own.length + elsewhere.length > 0;
  region.append(h('h2', { id: 'dup-found', tabindex: '-1', text: t(found ? 'register.found' : 'register.none') }));
  if (own.length) {
    region.append(h('div', { class: 'notice warn', role: 'alert', id: 'dup-own' },
      h('p', { text: t('register.own_found') }),
      h('ul', {}, own.map((p) => h('li', {}, h('a', { href: `#/persons/${p.id}`, text: `${p.identification.first_name} ${p.identification.last_name}` }),
        ` — ${p.oki_number}, ${fmtDate(p.identification.birth_date)}`)))));
  }
  if (elsewhere.length) {
    region.append(h('div', { class: 'notice warn', role: 'alert', id: 'dup-elsewhere' },
      h('p', { text: t('register.elsewhere_found') }),
      h('ul', {}, elsewhere.map((e) => h('li', { text: t('register.elsewhere_item', { controller: t(`controller.${e.controller}`), on: t(`matched.${e.matched_on}`) }) })))));
  }
  region.append(h('div', { class: 'actions' }, h('button', {
    type: 'button', id: 'dup-continue', text: t(found ? 'register.continue_anyway' : 'register.continue'),
    onclick: () => personForm(q),
  })));
  region.querySelector('#dup-found').focus();
}

async function householdChoices() {
  try {
    const page = await get('/v1/me/persons?limit=100');
    const seen = new Map();
    for (const p of page.items) {
      if (p.household_id && !seen.has(p.household_id)) {
        seen.set(p.household_id, t('register.household_of', { name: `${p.identification.first_name} ${p.identification.last_name}`, oki: p.oki_number }));
      }
    }
    return [...seen.entries()];
  } catch { return []; }
}

function householdFieldset(choices) {
  const radios = [['none', 'register.hh_none'], ['new', 'register.hh_new']];
  if (choices.length) radios.push(['existing', 'register.hh_existing']);
  const fs = h('fieldset', { class: 'group', id: 'household' },
    h('legend', { text: t('group.household') }),
    h('div', { class: 'radios', role: 'radiogroup', 'aria-label': t('group.household') }, radios.map(([v, k], i) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: 'hh_mode', value: v, checked: i === 0 }), ` ${t(k)}`))));
  const existing = h('div', { class: 'hh-existing', hidden: true },
    field({ name: 'household_id', label: t('register.hh_pick'), type: 'select', options: [['', t('common.choose')], ...choices] }));
  const fresh = h('div', { class: 'hh-new grid', hidden: true },
    ['family_name', 'address_street', 'address_number', 'address_box', 'address_postcode', 'address_city']
      .map((n) => field({ name: `household.${n}`, label: t(`field.${n === 'family_name' ? 'family_name' : n}`), required: n === 'family_name' })));
  fs.append(existing, fresh);
  fs.addEventListener('change', (e) => {
    if (e.target.name !== 'hh_mode') return;
    existing.hidden = e.target.value !== 'existing';
    fresh.hidden = e.target.value !== 'new';
  });
  return fs;
}

async function personForm(q) {
  const { m } = screen('register.step2');
  const groups = WRITABLE.filter((g) => can('write', g));
  m.append(h('p', { class: 'lead', text: t('register.step2_intro') }));
  const form = h('form', { class: 'stack', novalidate: true, id: 'person-form' },
    sourceField('source'),
    groups.map((g) => groupFieldset(g, g === 'identification' ? q : g === 'sensitive' ? { national_number: q.national_number } : {})),
    householdFieldset(await householdChoices()),
    h('div', { class: 'actions sticky' }, h('button', { type: 'submit', text: t('register.save') }), h('a', { href: '#/', class: 'link-button', text: t('common.cancel') })));
  m.append(form);
  let createdHousehold = null; // kept so that a retry after a refusal does not make a second one
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const body = { ...readGroups(form, groups), source: fd.get('source') || undefined };
    if (body.sensitive && !body.sensitive.national_number) delete body.sensitive;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const mode = fd.get('hh_mode');
      if (mode === 'existing' && fd.get('household_id')) body.household_id = fd.get('household_id');
      if (mode === 'new') {
        if (!createdHousehold) {
          const hh = { source: body.source };
          for (const n of ['family_name', 'address_street', 'address_number', 'address_box', 'address_postcode', 'address_city']) {
            const v = (fd.get(`household.${n}`) || '').trim();
            if (v) hh[n] = v;
          }
          try { createdHousehold = (await post('/v1/households', hh)).id; } catch (err) {
            if (err.field && err.field !== 'source') err.field = `household.${err.field}`;
            throw err;
          }
        }
        body.household_id = createdHousehold;
      }
      const p = await post('/v1/persons', body);
      done(p);
    } catch (err) {
      if (err.status !== 401) showProblem(form, err);
    } finally { btn.disabled = false; }
  });
  focusTitle();
}

function done(p) {
  const { m } = screen('register.done_title');
  m.append(h('p', { class: 'notice ok', role: 'status', id: 'reg-done', text: t('register.done', { oki: p.oki_number }) }));
  if (p.elsewhere && p.elsewhere.length) {
    m.append(h('div', { class: 'notice warn', id: 'reg-elsewhere' }, h('p', { text: t('register.elsewhere_found') }),
      h('ul', {}, p.elsewhere.map((e) => h('li', { text: t('register.elsewhere_item', { controller: t(`controller.${e.controller}`), on: t(`matched.${e.matched_on}`) }) })))));
  }
  m.append(h('p', {}, h('a', { href: `#/persons/${p.id}`, id: 'reg-open', class: 'button', text: t('register.open') }), ' ',
    h('a', { href: '#/register', class: 'link-button', text: t('register.another'), onclick: (e) => { e.preventDefault(); registerScreen().then(focusTitle); } })));
  announce(t('register.done', { oki: p.oki_number }));
  focusTitle();
}
