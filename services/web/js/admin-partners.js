// The administrator's partners (create, a new client secret shown once, revoke) and grants (which
// field groups for which purpose and legal basis, from when to when; ended; with how many persons
// were disclosed under each). Everything through /v1/admin/partners and /v1/admin/grants.
import { get, post } from './api.js';
import { h, field, options, showProblem, clearErrors } from './dom.js';
import { t, fmtDate, fmtDateTime, todayBrussels } from './i18n.js';
import { screen, focusTitle } from './app.js';
import { adminOnly, adminNav, secretDialog, confirmDialog, statusLine, tag, table } from './admin-common.js';

const KINDS = ['employment', 'social_welfare', 'education', 'housing', 'other'];
const GRANT_GROUPS = ['identification', 'contact', 'trajectory', 'situation', 'education'];

async function showSecret(p) {
  await secretDialog({
    title: t('admin.partner.secret_title', { name: p.name || p.client_id }), id: 'client-secret',
    intro: t('admin.partner.secret_intro', { client: p.client_id }), label: t('admin.partner.secret_label'), value: p.client_secret,
  });
}

export async function adminPartnersScreen(done = null) {
  if (!adminOnly()) return;
  const { m } = screen('admin.partners.title');
  const status = statusLine('partner-status');
  const redo = async (text) => { await adminPartnersScreen(text); focusTitle(); };
  m.append(adminNav('partners'), h('p', { class: 'lead', text: t('admin.partners.intro') }), status.el);
  const { items } = await get('/v1/admin/partners');
  m.append(table(t('admin.partners.title'), ['admin.partners.name', 'admin.partners.client_id', 'admin.partners.kind', 'admin.partners.state', 'admin.partners.actions'],
    items.map((p) => [p.name, h('code', { text: p.client_id }), t(`admin.kind.${p.kind}`),
      h('span', {}, p.own ? null : tag(t('admin.partners.installation'), 'muted'),
        p.revoked_at ? tag(t('admin.partners.revoked'), 'muted') : tag(t('admin.partners.version', { v: p.secret_version })),
        h('span', { class: 'muted small', text: ` ${t('admin.partners.rotated', { when: fmtDateTime(p.secret_rotated_at) })}` })),
      p.own && !p.revoked_at ? h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary small', id: `rotate-${p.client_id}`, 'aria-label': t('admin.partners.rotate_aria', { name: p.name }), text: t('admin.partners.rotate'),
          onclick: async () => {
            if (!await confirmDialog(t('admin.partners.rotate_q', { name: p.name }), t('admin.partners.rotate'))) return;
            try { const r = await post(`/v1/admin/partners/${p.id}/secret`); await showSecret({ ...p, ...r }); await redo(t('admin.partners.rotated_done')); } catch (err) { status.fail(err); }
          } }),
        h('button', { type: 'button', class: 'danger small', id: `revoke-${p.client_id}`, 'aria-label': t('admin.partners.revoke_aria', { name: p.name }), text: t('admin.partners.revoke'),
          onclick: async () => {
            if (!await confirmDialog(t('admin.partners.revoke_q', { name: p.name }), t('admin.partners.revoke'))) return;
            try { await post(`/v1/admin/partners/${p.id}/revoke`); await redo(t('admin.partners.revoked_done')); } catch (err) { status.fail(err); }
          } }))
        : h('span', { class: 'muted small', text: p.own ? '' : t('admin.partners.operator') })]), 'partners-table'));

  const form = h('form', { class: 'card stack narrow', novalidate: true, id: 'partner-form', 'aria-labelledby': 'partner-new' },
    h('h2', { id: 'partner-new', text: t('admin.partners.new') }),
    field({ name: 'name', label: t('admin.partners.name'), required: true }),
    field({ name: 'client_id', label: t('admin.partners.client_id'), required: true, hint: t('admin.partners.client_hint'), spellcheck: 'false' }),
    field({ name: 'kind', label: t('admin.partners.kind'), type: 'select', required: true, options: options('admin.kind', KINDS) }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('admin.partners.create') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    try {
      const p = await post('/v1/admin/partners', { name: fd.get('name').trim(), client_id: fd.get('client_id').trim(), kind: fd.get('kind') });
      await showSecret(p);
      await redo(t('admin.partners.created', { name: p.name }));
    } catch (err) { showProblem(form, err); }
  });
  m.append(form);
  if (done) status.ok(done);
}

function stateTag(g) {
  return tag(t(`admin.grant.state.${g.state}`), g.state === 'active' ? '' : 'muted');
}

function inAYear() {
  const [y, mo, d] = todayBrussels().split('-').map(Number);
  return `${y + 1}-${String(mo).padStart(2, '0')}-${String(d === 29 && mo === 2 ? 28 : d).padStart(2, '0')}`;
}

export async function adminGrantsScreen(done = null) {
  if (!adminOnly()) return;
  const { m } = screen('admin.grants.title');
  const status = statusLine('grant-status');
  const redo = async (text) => { await adminGrantsScreen(text); focusTitle(); };
  m.append(adminNav('grants'), h('p', { class: 'lead', text: t('admin.grants.intro') }), status.el);
  const [grants, partners] = await Promise.all([get('/v1/admin/grants'), get('/v1/admin/partners')]);
  m.append(table(t('admin.grants.title'), ['admin.grants.partner', 'admin.grants.groups', 'admin.grants.purpose', 'admin.grants.basis', 'admin.grants.valid', 'admin.grants.state', 'admin.grants.disclosures', 'admin.partners.actions'],
    grants.items.map((g) => [g.partner_name, h('span', {}, g.field_groups.map((x) => tag(t(`group.${x}`)))), h('code', { text: g.purpose }), g.legal_basis,
      t('admin.grants.from_to', { from: fmtDate(g.valid_from), to: fmtDate(g.valid_to) }), stateTag(g),
      h('span', { class: 'count', text: String(g.disclosures) }),
      g.state === 'ended' ? h('span', { class: 'muted small', text: fmtDateTime(g.ended_at) })
        : h('button', { type: 'button', class: 'danger small', id: `end-${g.id}`, 'aria-label': t('admin.grants.end_aria', { name: g.partner_name, purpose: g.purpose }), text: t('admin.grants.end'),
          onclick: async () => {
            if (!await confirmDialog(t('admin.grants.end_q', { name: g.partner_name, purpose: g.purpose }), t('admin.grants.end'))) return;
            try { await post(`/v1/admin/grants/${g.id}/end`); await redo(t('admin.grants.ended')); } catch (err) { status.fail(err); }
          } })]), 'grants-table'));

  const usable = partners.items.filter((p) => !p.revoked_at);
  const groups = h('fieldset', { class: 'field checks', dataset: { field: 'field_groups' } },
    h('legend', {}, t('admin.grants.groups'), h('span', { class: 'req', text: ` (${t('common.required')})` })),
    h('div', { class: 'radios' }, GRANT_GROUPS.map((g) => h('label', { class: 'radio' },
      h('input', { type: 'checkbox', name: 'field_groups', value: g }), t(`group.${g}`)))),
    h('p', { class: 'hint', text: t('admin.grants.groups_hint') }), h('p', { class: 'error' }));
  const form = h('form', { class: 'card stack', novalidate: true, id: 'grant-form', 'aria-labelledby': 'grant-new' },
    h('h2', { id: 'grant-new', text: t('admin.grants.new') }),
    h('div', { class: 'grid' },
      field({ name: 'partner_id', label: t('admin.grants.partner'), type: 'select', required: true, options: [['', t('common.choose')], ...usable.map((p) => [p.id, p.name])] }),
      field({ name: 'purpose', label: t('admin.grants.purpose'), required: true, hint: t('admin.grants.purpose_hint'), spellcheck: 'false' }),
      field({ name: 'valid_from', label: t('admin.grants.from'), type: 'date', required: true, value: todayBrussels() }),
      field({ name: 'valid_to', label: t('admin.grants.to'), type: 'date', required: true, value: inAYear(), hint: t('admin.grants.to_hint') }),
      field({ name: 'legal_basis', label: t('admin.grants.basis'), type: 'textarea', required: true, wide: true, hint: t('admin.grants.basis_hint') })),
    groups,
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('admin.grants.create') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const body = {
      partner_id: fd.get('partner_id'), field_groups: fd.getAll('field_groups'), purpose: fd.get('purpose').trim(),
      legal_basis: fd.get('legal_basis').trim(), valid_from: fd.get('valid_from'), valid_to: fd.get('valid_to'),
    };
    try { await post('/v1/admin/grants', body); await redo(t('admin.grants.created')); } catch (err) { showProblem(form, err); }
  });
  m.append(form);
  if (done) status.ok(done);
}
