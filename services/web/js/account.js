// The user's own account: "my sessions" (where the cookie session is open, sign out the others
// or one) and the password change.
import { get, post } from './api.js';
import { h, field, clear, showProblem, clearErrors, announce } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { screen } from './app.js';

export async function sessionsScreen() {
  const { m } = screen('sessions.title');
  const region = h('div', { id: 'sessions', 'aria-live': 'polite' });
  m.append(h('p', { class: 'lead', text: t('sessions.intro') }), region);
  async function load() {
    const s = await get('/v1/auth/sessions');
    const others = s.items.filter((x) => !x.current);
    clear(region).append(
      h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': t('sessions.title') },
        h('table', {},
          h('thead', {}, h('tr', {}, ['sessions.started', 'sessions.last', 'sessions.expires', 'sessions.where', 'sessions.action'].map((k) => h('th', { scope: 'col', text: t(k) })))),
          h('tbody', {}, s.items.map((x) => h('tr', { class: x.current ? 'current' : null },
            h('td', { text: fmtDateTime(x.created_at) }), h('td', { text: fmtDateTime(x.last_seen_at) }),
            h('td', { text: fmtDateTime(x.expires_at) }),
            h('td', {}, h('span', { text: x.ip || '' }), h('br'), h('span', { class: 'muted small', text: x.user_agent || '' })),
            h('td', {}, x.current ? h('strong', { text: t('sessions.this') })
              : h('button', { type: 'button', class: 'secondary small', text: t('sessions.revoke'), 'aria-label': t('sessions.revoke_aria', { when: fmtDateTime(x.created_at) }),
                onclick: async () => { await post(`/v1/auth/sessions/${x.id}/revoke`); announce(t('sessions.revoked')); await load(); } }))))))),
      h('div', { class: 'actions' }, h('button', {
        type: 'button', id: 'revoke-others', disabled: others.length === 0, text: t('sessions.revoke_others'),
        onclick: async () => { await post('/v1/auth/sessions/revoke-others'); announce(t('sessions.revoked_others')); await load(); },
      })));
  }
  await load();
}

export function passwordScreen() {
  const { m } = screen('password.title');
  const form = h('form', { class: 'card stack narrow', novalidate: true, id: 'password-form' },
    field({ name: 'current_password', label: t('password.current'), type: 'password', autocomplete: 'current-password', required: true }),
    field({ name: 'new_password', label: t('password.new'), type: 'password', autocomplete: 'new-password', required: true, hint: t('password.hint') }),
    field({ name: 'repeat', label: t('password.repeat'), type: 'password', autocomplete: 'new-password', required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('password.save') })));
  const done = h('div', { 'aria-live': 'polite' });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    if (fd.get('new_password') !== fd.get('repeat')) {
      showProblem(form, { field: 'repeat', localDetail: t('password.mismatch'), slug: 'validation' });
      return;
    }
    try {
      await post('/v1/auth/password', { current_password: fd.get('current_password'), new_password: fd.get('new_password') }, { auth: true });
      form.reset();
      clear(done).append(h('p', { class: 'notice ok', role: 'status', text: t('password.done') }));
    } catch (err) { showProblem(form, err); }
  });
  m.append(form, done);
}
