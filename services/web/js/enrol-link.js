// The one-time enrolment link a new colleague gets from their administrator (/#/enrol/<code>):
// who it is for, a password of their choosing, then the second factor as at a first login. The
// code lives in the fragment (never sent to a server, no Referer) and goes in a POST body only;
// it is taken out of the address bar at once.
import { post } from './api.js';
import { h, field, showProblem, clearErrors } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { screen } from './app.js';
import { enrolScreen } from './login.js';

export async function enrolLinkScreen(code) {
  history.replaceState(null, '', '#/enrol');
  try { sessionStorage.removeItem('crt.return'); } catch { /* none */ }
  const { m } = screen('admin.enrol.title');
  let who;
  try {
    who = await post('/v1/auth/enrolment', { code }, { auth: true });
  } catch {
    m.append(h('p', { class: 'notice warn', role: 'alert', id: 'enrol-invalid', text: t('admin.enrol.invalid') }),
      h('p', {}, h('a', { href: '#/', text: t('admin.enrol.to_login') })));
    return;
  }
  m.append(h('p', { class: 'lead', id: 'enrol-who', text: t('admin.enrol.intro', { name: who.display_name, organisation: who.organisation }) }),
    h('p', { text: t('admin.enrol.until', { until: fmtDateTime(who.expires_at) }) }));
  const form = h('form', { class: 'card stack narrow', novalidate: true, id: 'enrol-password-form' },
    field({ name: 'username', label: t('login.username'), value: who.username, autocomplete: 'username', hint: t('admin.enrol.username_hint') }),
    field({ name: 'password', label: t('password.new'), type: 'password', autocomplete: 'new-password', required: true, hint: t('password.hint') }),
    field({ name: 'repeat', label: t('password.repeat'), type: 'password', autocomplete: 'new-password', required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('admin.enrol.next') })));
  const user = form.querySelector('[name=username]');
  user.readOnly = true;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    if (fd.get('password') !== fd.get('repeat')) {
      showProblem(form, { field: 'repeat', localDetail: t('password.mismatch'), slug: 'validation' });
      return;
    }
    try {
      const r = await post('/v1/auth/enrolment/password', { code, password: fd.get('password') }, { auth: true });
      await enrolScreen(r.enrol_token);
    } catch (err) {
      if (err.status === 401) { m.replaceChildren(m.firstChild, h('p', { class: 'notice warn', role: 'alert', id: 'enrol-invalid', text: t('admin.enrol.invalid') })); return; }
      showProblem(form, err);
    }
  });
  m.append(form);
}
