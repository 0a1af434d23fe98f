// What the administrator's screens share: the role guard, the <dialog> that shows a secret or an
// enrolment link once (with a copy button), a confirmation dialog, and a status line for results.
import { h, clear, announce, problemText } from './dom.js';
import { t } from './i18n.js';
import { role, notFound } from './app.js';

// True for an administrator; otherwise the screen is "not found" (no API call, no data).
export function adminOnly() {
  if (role() === 'admin') return true;
  notFound();
  return false;
}

// The admin console's sub-navigation (users, partners, grants, settings), current one marked.
export function adminNav(current) {
  const items = [['users', '#/admin/users'], ['partners', '#/admin/partners'], ['grants', '#/admin/grants'], ['settings', '#/admin/settings']];
  return h('nav', { class: 'subnav', 'aria-label': t('admin.nav.label') },
    h('ul', {}, items.map(([k, href]) => h('li', {}, h('a', { href, 'aria-current': k === current ? 'page' : null, text: t(`admin.nav.${k}`) })))));
}

// Shows value once in a modal dialog: title, an explanation, the value with a copy button, and
// a warning that it cannot be shown again. Resolves when the dialog is closed.
export function secretDialog({ title, intro, label, value, id }) {
  return new Promise((resolve) => {
    const copied = h('p', { class: 'muted small', 'aria-live': 'polite' });
    const code = h('code', { class: 'secret', id, text: value });
    const dlg = h('dialog', { class: 'dialog secret-dialog', 'aria-labelledby': 'secret-title' },
      h('h2', { id: 'secret-title', text: title }),
      h('p', { text: intro }),
      h('p', { class: 'small muted', text: label }),
      h('p', {}, code),
      h('p', { class: 'warn notice', text: t('admin.secret.once') }),
      copied,
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'secret-copy', class: 'secondary', text: t('admin.secret.copy'),
          onclick: async () => {
            try { await navigator.clipboard.writeText(value); copied.textContent = t('admin.secret.copied'); } catch {
              const range = document.createRange(); range.selectNodeContents(code);
              const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
              copied.textContent = t('admin.secret.select');
            }
          } }),
        h('button', { type: 'button', id: 'secret-close', text: t('admin.secret.close'), onclick: () => dlg.close() })));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(); });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector('#secret-copy').focus();
  });
}

// Asks before something that cannot be undone; resolves true when confirmed.
export function confirmDialog(question, yesText) {
  return new Promise((resolve) => {
    let answer = false;
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title', text: t('admin.confirm.title') }),
      h('p', { text: question }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'confirm-yes', text: yesText, onclick: () => { answer = true; dlg.close(); } }),
        h('button', { type: 'button', id: 'confirm-no', class: 'secondary', text: t('common.cancel'), onclick: () => dlg.close() })));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(answer); });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector('#confirm-no').focus();
  });
}

// A status line: ok(text) announces a result, fail(err) shows the problem (role=alert).
export function statusLine(id) {
  const el = h('div', { id, class: 'status-line' });
  return {
    el,
    ok(text) { clear(el).append(h('p', { class: 'notice ok', role: 'status', text })); announce(text); },
    fail(err) { clear(el).append(h('p', { class: 'form-error', role: 'alert', text: problemText(err) })); },
  };
}

export function tag(text, kind = '') { return h('span', { class: `tag${kind ? ` tag-${kind}` : ''}`, text }); }

// A table in a scrollable, labelled region: heads are catalogue keys, rows arrays of cells.
export function table(label, heads, rows, id) {
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': label },
    h('table', { id },
      h('thead', {}, h('tr', {}, heads.map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c)))))));
}
