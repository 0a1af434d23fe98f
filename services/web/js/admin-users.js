// The administrator's staff accounts: the list, a new colleague (a one-time enrolment link, never
// a password), and one account's page: role, disable/enable, unlock, second factor, a new link,
// its sessions. Everything through /v1/admin/users….
import { get, post, patch } from './api.js';
import { h, field, options, showProblem, clearErrors, dl } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { screen, state, go, focusTitle, notFound } from './app.js';
import { adminOnly, adminNav, secretDialog, confirmDialog, statusLine, tag, table } from './admin-common.js';

const ROLES = ['intake', 'caseworker', 'coordinator', 'education', 'dpo', 'admin'];

function stateTags(u) {
  return [
    u.disabled ? tag(t('admin.users.disabled'), 'muted') : tag(t('admin.users.active')),
    u.locked ? tag(t('admin.users.locked'), 'warn') : null,
    u.mfa_active ? null : tag(t('admin.users.no_mfa'), 'warn'),
  ];
}

export async function adminUsersScreen() {
  if (!adminOnly()) return;
  const { m } = screen('admin.users.title');
  m.append(adminNav('users'), h('p', { class: 'lead', text: t('admin.users.intro') }),
    h('p', {}, h('a', { href: '#/admin/users/new', class: 'button', id: 'new-user', text: t('admin.users.new') })));
  const { items } = await get('/v1/admin/users');
  m.append(table(t('admin.users.title'), ['admin.users.name', 'admin.users.username', 'admin.users.role', 'admin.users.state'],
    items.map((u) => [h('a', { href: `#/admin/users/${u.id}`, text: u.display_name }), u.username, t(`role.${u.role}`), stateTags(u)]), 'users-table'));
}

// The link the new user opens: the code in the fragment, which browsers never send to a server.
function enrolUrl(code) { return `${location.origin}${location.pathname}#/enrol/${code}`; }

async function showLink(user, link) {
  await secretDialog({
    title: t('admin.link.title'), id: 'enrol-link',
    intro: t('admin.link.intro', { name: user.display_name, until: fmtDateTime(link.expires_at) }),
    label: t('admin.link.label'), value: enrolUrl(link.code),
  });
}

export function adminUserNewScreen() {
  if (!adminOnly()) return;
  const { m } = screen('admin.new.title');
  const form = h('form', { class: 'card stack narrow', novalidate: true, id: 'new-user-form' },
    field({ name: 'display_name', label: t('admin.users.name'), required: true, autocomplete: 'off' }),
    field({ name: 'username', label: t('admin.users.username'), required: true, hint: t('admin.new.username_hint'), spellcheck: 'false' }),
    field({ name: 'role', label: t('admin.users.role'), type: 'select', required: true, options: options('role', ROLES) }),
    h('p', { class: 'hint', text: t('admin.new.how') }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('admin.new.create') }),
      h('a', { href: '#/admin/users', class: 'link-button', text: t('common.cancel') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    try {
      const u = await post('/v1/admin/users', { display_name: fd.get('display_name').trim(), username: fd.get('username').trim(), role: fd.get('role') });
      await showLink(u, u.enrolment);
      go(`#/admin/users/${u.id}`);
    } catch (err) {
      if (err.status === 422 && err.field === 'role' && !fd.get('role')) err.detail = '';
      showProblem(form, err);
    }
  });
  m.append(adminNav('users'), form);
}

export async function adminUserScreen(id, done = null) {
  if (!adminOnly()) return;
  const { items } = await get('/v1/admin/users');
  const u = items.find((x) => x.id === id);
  if (!u) { notFound(); return; }
  const { m } = screen('admin.user.title', { name: u.display_name });
  const self = state.user && state.user.username === u.username;
  const status = statusLine('user-status');
  const redo = async (text) => { await adminUserScreen(id, text); focusTitle(); };
  const act = async (fn, text) => { try { await fn(); await redo(text); } catch (err) { status.fail(err); } };

  m.append(adminNav('users'), status.el, dl([
    [t('admin.users.username'), u.username], [t('admin.users.role'), t(`role.${u.role}`)],
    [t('admin.users.state'), h('span', {}, stateTags(u))], [t('admin.user.created'), fmtDateTime(u.created_at)],
  ]));

  const roleForm = h('form', { class: 'card stack narrow', novalidate: true, id: 'role-form' },
    h('h2', { text: t('admin.user.role_title') }),
    field({ name: 'role', label: t('admin.users.role'), type: 'select', options: options('role', ROLES, false), value: u.role }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', disabled: self, text: t('admin.user.role_save') })),
    self ? h('p', { class: 'hint', text: t('admin.user.not_self') }) : null);
  roleForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try { await patch(`/v1/admin/users/${id}`, { role: new FormData(roleForm).get('role') }); await redo(t('admin.user.role_done')); } catch (err) { showProblem(roleForm, err); }
  });

  const actions = h('section', { class: 'card stack', 'aria-labelledby': 'actions-title' },
    h('h2', { id: 'actions-title', text: t('admin.user.actions') }),
    h('div', { class: 'actions' },
      u.disabled
        ? h('button', { type: 'button', id: 'enable-user', disabled: self, text: t('admin.user.enable'), onclick: () => act(() => patch(`/v1/admin/users/${id}`, { disabled: false }), t('admin.user.enabled')) })
        : h('button', { type: 'button', id: 'disable-user', class: 'danger', disabled: self, text: t('admin.user.disable'),
          onclick: async () => { if (await confirmDialog(t('admin.user.disable_q', { name: u.display_name }), t('admin.user.disable'))) await act(() => patch(`/v1/admin/users/${id}`, { disabled: true }), t('admin.user.disabled')); } }),
      u.locked ? h('button', { type: 'button', id: 'unlock-user', class: 'secondary', text: t('admin.user.unlock'), onclick: () => act(() => post(`/v1/admin/users/${id}/unlock`), t('admin.user.unlocked')) }) : null,
      u.mfa_active ? h('button', { type: 'button', id: 'reset-mfa', class: 'secondary', disabled: self, text: t('admin.user.reset_mfa'),
        onclick: async () => { if (await confirmDialog(t('admin.user.reset_mfa_q', { name: u.display_name }), t('admin.user.reset_mfa'))) await act(() => post(`/v1/admin/users/${id}/reset-mfa`), t('admin.user.mfa_reset')); } }) : null,
      u.disabled ? null : h('button', { type: 'button', id: 'new-link', class: 'secondary', disabled: self, text: t('admin.user.new_link'),
        onclick: async () => { try { const r = await post(`/v1/admin/users/${id}/enrolment`); await showLink(u, r.enrolment); status.ok(t('admin.user.link_done')); } catch (err) { status.fail(err); } } })),
    h('p', { class: 'hint', text: t('admin.user.actions_hint') }));

  const sessions = h('section', { class: 'stack', 'aria-labelledby': 'sessions-title' }, h('h2', { id: 'sessions-title', text: t('admin.user.sessions') }));
  const s = await get(`/v1/admin/users/${id}/sessions`);
  sessions.append(s.items.length === 0 ? h('p', { class: 'empty', id: 'no-sessions', text: t('admin.user.no_sessions') })
    : table(t('admin.user.sessions'), ['sessions.started', 'sessions.last', 'sessions.expires', 'sessions.where'],
      s.items.map((x) => [fmtDateTime(x.created_at), fmtDateTime(x.last_seen_at), fmtDateTime(x.expires_at),
        h('span', {}, x.ip || '', h('br'), h('span', { class: 'muted small', text: x.user_agent || (x.browser ? '' : t('admin.user.api_client')) }))]), 'user-sessions'),
  s.items.length === 0 ? null : h('div', { class: 'actions' }, h('button', { type: 'button', id: 'end-sessions', class: 'secondary', disabled: self, text: t('admin.user.end_sessions'),
    onclick: () => act(() => post(`/v1/admin/users/${id}/sessions/revoke`), t('admin.user.sessions_ended')) })));
  m.append(roleForm, actions, sessions);
  if (done) status.ok(done);
}
