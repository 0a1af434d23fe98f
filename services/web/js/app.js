// The application shell: language, the session (GET /v1/auth/session), the header and menu per
// role, and hash routing to the screens. A 401 from any call returns to the login screen with
// a message and, after logging in again, to the screen the user was on.
import { get, post, setCsrf, onSessionEnded } from './api.js';
import { h, clear, announce } from './dom.js';
import { t, loadLang, savedLang, translateTree } from './i18n.js';
import './elements.js';
import { loginScreen, reauthDialog } from './login.js';
import { homeScreen } from './home.js';
import { registerScreen } from './register.js';
import { personScreen } from './person.js';
import { sessionsScreen, passwordScreen } from './account.js';
import { dpoRoutes, dpoNav } from './dpo.js';
import { adminUsersScreen, adminUserNewScreen, adminUserScreen } from './admin-users.js';
import { adminPartnersScreen, adminGrantsScreen } from './admin-partners.js';
import { adminSettingsScreen } from './admin-settings.js';
import { enrolLinkScreen } from './enrol-link.js';
import { statsScreen } from './stats.js';

export const state = { user: null, access: { read: [], write: [] }, session: null, notice: null };
const RETURN_KEY = 'crt.return';

const routes = [
  [/^#\/?$/, () => (role() === 'dpo' ? dpoRoutes[0][1]() : homeScreen)],
  [/^#\/register$/, () => registerScreen],
  [/^#\/persons\/([^/]+)$/, () => personScreen],
  [/^#\/sessions$/, () => sessionsScreen],
  [/^#\/password$/, () => passwordScreen],
  ...dpoRoutes,
  [/^#\/admin\/users$/, () => adminUsersScreen],
  [/^#\/admin\/users\/new$/, () => adminUserNewScreen],
  [/^#\/admin\/users\/([0-9a-f-]{36})$/, () => adminUserScreen],
  [/^#\/admin\/partners$/, () => adminPartnersScreen],
  [/^#\/admin\/grants$/, () => adminGrantsScreen],
  [/^#\/admin\/settings$/, () => adminSettingsScreen],
  [/^#\/statistics$/, () => statsScreen],
];
// The enrolment link of a new colleague: shown whether or not anyone is signed in.
const ENROL_LINK = /^#\/enrol\/([A-Za-z0-9_-]{20,100})$/;

export function main() { return document.getElementById('main'); }

// Starts a screen: a fresh <main> content, the document title, focus on its heading.
export function screen(titleKey, vars) {
  const m = clear(main());
  const title = t(titleKey, vars);
  document.title = `${title} — CRT`;
  const h1 = h('h1', { tabindex: '-1', id: 'page-title', text: title });
  m.append(h1);
  return { m, h1 };
}

export function focusTitle() {
  const h1 = document.getElementById('page-title');
  if (h1) h1.focus();
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

export function can(kind, group) { return state.access[kind].includes(group); }
export function role() { return state.user ? state.user.role : null; }

async function route() {
  const link = ENROL_LINK.exec(location.hash);
  if (link) { try { await enrolLinkScreen(link[1]); } catch (e) { failed(e); } focusTitle(); return; }
  if (!state.user) { loginScreen(); return; }
  let hash = location.hash || '#/';
  if (role() === 'reporting' && hash === '#/') hash = '#/statistics'; // reads no person list
  for (const [re, screenFn] of routes) {
    const m = re.exec(hash);
    if (m) {
      try { await screenFn()(...m.slice(1)); } catch (e) { failed(e); }
      markNav(hash);
      focusTitle();
      return;
    }
  }
  notFound();
}

function failed(e) {
  if (e && e.status === 401) return; // the session-end handler already shows the login
  const { m } = screen('error.title');
  m.append(h('p', { role: 'alert', text: t('error.load') }));
  if (e && !('status' in e)) console.warn(e); // eslint-disable-line no-console
}

export function notFound() {
  const { m } = screen('notfound.title');
  m.append(h('p', { text: t('notfound.text') }), h('p', {}, h('a', { href: '#/', text: t('nav.home') })));
}

function markNav(hash) {
  document.querySelectorAll('#nav a').forEach((a) => {
    if (a.getAttribute('href') === hash) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

function controllerName(c) {
  const code = typeof c === 'string' ? c : (c && c.code);
  return code ? t(`controller.${code}`) : '';
}

function renderChrome() {
  const nav = document.getElementById('nav');
  const user = document.getElementById('user');
  clear(nav); clear(user);
  nav.setAttribute('aria-label', t('nav.label'));
  document.getElementById('skip-link').textContent = t('nav.skip');
  document.getElementById('lang-label').textContent = t('nav.language');
  const foot = clear(document.getElementById('foot'));
  foot.append(h('p', { text: t('foot.text') }));
  if (!state.user) { nav.hidden = true; user.hidden = true; return; }
  // a DPO has its console; reporting reads no person, so no "my persons" entry
  const items = role() === 'dpo' ? [...dpoNav] : role() === 'reporting' ? [] : [['#/', 'nav.home']];
  if (can('write', 'identification') && ['intake', 'coordinator'].includes(role())) items.push(['#/register', 'nav.register']);
  if (role() === 'admin') items.push(['#/admin/users', 'admin.nav.console']);
  if (['coordinator', 'reporting'].includes(role())) items.push(['#/statistics', 'nav.stats']);
  items.push(['#/sessions', 'nav.sessions'], ['#/password', 'nav.password']);
  nav.append(h('ul', {}, items.map(([href, key]) => h('li', {}, h('a', { href, text: t(key) })))));
  nav.hidden = false;
  user.append(
    h('span', { class: 'who', text: `${state.user.display_name || state.user.username} · ${t(`role.${state.user.role}`)} · ${controllerName(state.user.controller)}` }),
    h('button', { type: 'button', class: 'secondary small', id: 'logout', onclick: logout, text: t('nav.logout') }),
  );
  user.hidden = false;
}

// After the second factor: remember the session, load the role's matrix, back to where the
// user was (or home).
export async function signedIn(session) {
  state.session = session;
  state.user = session.user;
  setCsrf(session.csrf_token);
  try { state.access = await get('/v1/me/access'); } catch { state.access = { read: [], write: [] }; }
  renderChrome();
  let back = null;
  try { back = sessionStorage.getItem(RETURN_KEY); sessionStorage.removeItem(RETURN_KEY); } catch { /* none */ }
  if (back && back !== location.hash) location.hash = back; else await route();
}

async function logout() {
  try { await post('/v1/auth/logout'); } catch { /* ended already */ }
  endSession('logout.done');
}

function endSession(noticeKey) {
  state.user = null; state.session = null; setCsrf(null);
  state.notice = noticeKey;
  renderChrome();
  if (location.hash && location.hash !== '#/') history.replaceState(null, '', '#/');
  loginScreen();
  announce(t(noticeKey));
}

// Whether the screen holds typing that would be lost (a filter box or a preset date is not).
function hasTyping() {
  return [...main().querySelectorAll('form input, form textarea')].some((e) => e.value.trim() !== ''
    && !['radio', 'checkbox', 'date', 'month', 'search', 'hidden'].includes(e.type));
}

onSessionEnded((err) => {
  if (!state.user) return;
  if (hasTyping() && !document.getElementById('reauth-form')) {
    reauthDialog(state.user.username, err.slug === 'session-expired' ? 'login.expired_short' : 'login.ended', (s) => {
      state.session = s; setCsrf(s.csrf_token);
      announce(t('reauth.done'));
    });
    return;
  }
  try { sessionStorage.setItem(RETURN_KEY, location.hash || '#/'); } catch { /* none */ }
  endSession(err.slug === 'session-expired' ? 'login.expired' : 'login.ended');
});

async function boot() {
  const lang = await loadLang(savedLang());
  const sel = document.getElementById('lang');
  sel.value = lang;
  sel.addEventListener('change', async () => {
    await loadLang(sel.value);
    translateTree(document);
    renderChrome();
    if (state.user) await route(); else loginScreen();
  });
  window.addEventListener('hashchange', () => route());
  try {
    const s = await get('/v1/auth/session', { auth: true });
    state.session = s; state.user = s.user; setCsrf(s.csrf_token);
    state.access = await get('/v1/me/access');
  } catch (e) {
    if (e.slug === 'session-expired') {
      state.notice = 'login.expired';
      try { sessionStorage.setItem(RETURN_KEY, location.hash || '#/'); } catch { /* none */ }
    } else if (location.hash && location.hash !== '#/') {
      try { sessionStorage.setItem(RETURN_KEY, location.hash); } catch { /* none */ }
    }
  }
  renderChrome();
  await route();
}

boot();
