// Login: password, then a TOTP or recovery code; at the first login the second factor is
// enrolled (the server's QR code and the secret as text), then the ten recovery codes are shown
// once. Locked accounts, throttling and ended sessions get their own clear message.
import { post } from './api.js';
import { h, field, showProblem, clearErrors, formError, announce } from './dom.js';
import { t } from './i18n.js';
import { screen, state, signedIn, focusTitle } from './app.js';

function notice(m) {
  if (!state.notice) return;
  m.append(h('div', { class: 'notice', role: 'status', id: 'login-notice', text: t(state.notice) }));
  state.notice = null;
}

function loginProblem(form, err) {
  if (err.slug === 'account-locked') { clearErrors(form); formError(form, t('login.locked')).focus(); return; }
  if (err.slug === 'too-many-attempts') {
    clearErrors(form);
    formError(form, t('login.throttled', { s: err.retryAfter || '60' })).focus();
    return;
  }
  if (err.status === 401 && !err.field) { clearErrors(form); formError(form, t('login.bad')).focus(); return; }
  showProblem(form, err);
}

export function loginScreen() {
  const { m } = screen('login.title');
  notice(m);
  const form = h('form', { class: 'card stack narrow', novalidate: true, id: 'login-form' },
    field({ name: 'username', label: t('login.username'), autocomplete: 'username', required: true, spellcheck: 'false' }),
    field({ name: 'password', label: t('login.password'), type: 'password', autocomplete: 'current-password', required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('login.next') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const r = await post('/v1/auth/login', { username: fd.get('username'), password: fd.get('password') }, { auth: true });
      if (r.enrol_token) await enrolScreen(r.enrol_token);
      else codeScreen(r.mfa_token);
    } catch (err) { loginProblem(form, err); } finally { btn.disabled = false; }
  });
  m.append(form);
}

function codeScreen(mfaToken) {
  const { m } = screen('login.code_title');
  m.append(h('p', { text: t('login.code_intro') }));
  const form = h('form', { class: 'card stack narrow', novalidate: true, id: 'code-form' },
    field({ name: 'code', label: t('login.code'), hint: t('login.code_hint'), autocomplete: 'one-time-code', required: true, spellcheck: 'false' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', text: t('login.signin') }),
      h('a', { href: '#/', class: 'link-button', onclick: (e) => { e.preventDefault(); loginScreen(); focusTitle(); }, text: t('login.restart') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = new FormData(form).get('code').trim();
    try {
      const s = await post('/v1/auth/totp', { mfa_token: mfaToken, code, session: 'cookie' }, { auth: true });
      await signedIn(s);
    } catch (err) {
      if (err.status === 401) { clearErrors(form); formError(form, t('login.code_bad')).focus(); } else loginProblem(form, err);
    }
  });
  m.append(form);
  focusTitle();
}

export async function enrolScreen(enrolToken) {
  const e = await post('/v1/auth/totp/enrol', { enrol_token: enrolToken }, { auth: true });
  const { m } = screen('enrol.title');
  m.append(h('p', { text: t('enrol.intro') }));
  const qr = e.qr_svg
    ? h('img', { class: 'qr', alt: t('enrol.qr_alt'), src: `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(e.qr_svg)))}`, width: 220, height: 220 })
    : h('p', { class: 'muted', text: t('enrol.no_qr') });
  m.append(h('section', { class: 'card enrol', 'aria-labelledby': 'enrol-step1' },
    h('h2', { id: 'enrol-step1', text: t('enrol.step1') }), qr,
    h('p', {}, t('enrol.secret_intro'), ' '),
    h('p', {}, h('code', { class: 'secret', id: 'totp-secret', text: e.secret }))));
  const form = h('form', { class: 'card stack narrow', novalidate: true, id: 'enrol-form', 'aria-labelledby': 'enrol-step2' },
    h('h2', { id: 'enrol-step2', text: t('enrol.step2') }),
    field({ name: 'code', label: t('login.code'), autocomplete: 'one-time-code', required: true, inputmode: 'numeric' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('enrol.confirm') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = new FormData(form).get('code').trim();
    try {
      const s = await post('/v1/auth/totp/enrol/confirm', { enrol_token: enrolToken, code, session: 'cookie' }, { auth: true });
      recoveryScreen(s);
    } catch (err) {
      if (err.status === 401) { clearErrors(form); formError(form, t('login.code_bad')).focus(); } else loginProblem(form, err);
    }
  });
  m.append(form);
  focusTitle();
}

function recoveryScreen(session) {
  const { m } = screen('recovery.title');
  m.append(
    h('p', { class: 'warn', text: t('recovery.once') }),
    h('ol', { class: 'codes', id: 'recovery-codes' }, (session.recovery_codes || []).map((c) => h('li', {}, h('code', { text: c })))),
    h('p', { text: t('recovery.keep') }),
    h('div', { class: 'actions' }, h('button', {
      type: 'button', id: 'recovery-done', text: t('recovery.done'),
      onclick: async () => { delete session.recovery_codes; await signedIn(session); announce(t('login.welcome')); },
    })));
  focusTitle();
}

// Signing in again over the current screen (a <dialog>), so that a form with typing in it is
// kept when the session ended meanwhile: password, then a code, for the same user. done(session)
// runs after the second step; cancel leaves the screen as it is (the user may copy the text).
export function reauthDialog(username, reasonKey, done) {
  const dlg = h('dialog', { class: 'dialog reauth', 'aria-labelledby': 'reauth-title' });
  const form = h('form', { class: 'stack', novalidate: true, id: 'reauth-form' },
    h('h2', { id: 'reauth-title', text: t('reauth.title') }),
    h('p', { text: t(reasonKey) }), h('p', { text: t('reauth.kept') }),
    field({ name: 'password', label: t('login.password'), type: 'password', autocomplete: 'current-password', required: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('login.next') }),
      h('button', { type: 'button', class: 'secondary', text: t('common.cancel'), onclick: () => { dlg.close(); dlg.remove(); } })));
  let mfa = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fd = new FormData(form);
    try {
      if (!mfa) {
        const r = await post('/v1/auth/login', { username, password: fd.get('password') }, { auth: true });
        if (!r.mfa_token) throw Object.assign(new Error('enrol'), { status: 401, slug: 'unauthorized' });
        mfa = r.mfa_token;
        form.querySelector('[data-field=password]').replaceWith(field({ name: 'code', label: t('login.code'), hint: t('login.code_hint'), autocomplete: 'one-time-code', required: true }));
        form.querySelector('[name=code]').focus();
        return;
      }
      const s = await post('/v1/auth/totp', { mfa_token: mfa, code: fd.get('code').trim(), session: 'cookie' }, { auth: true });
      dlg.close(); dlg.remove();
      done(s);
    } catch (err) { loginProblem(form, err); }
  });
  dlg.append(form);
  dlg.addEventListener('cancel', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  form.querySelector('input').focus();
}
