// The DPO console: its hash routes and menu (role dpo only; anyone else gets "not found"), its
// stylesheet, and the helpers its screens share (tables, tags, paging by cursor, Brussels days).
import { h } from './dom.js';
import { t, has } from './i18n.js';
import { role, notFound } from './app.js';
import { reviewsScreen, reviewScreen } from './dpo-reviews.js';
import { logScreen, loginsScreen } from './dpo-log.js';
import { requestsScreen, requestScreen } from './dpo-requests.js';
import { sealScreen } from './dpo-seal.js';

// Only the DPO opens a console screen; for every other role it does not exist.
const dpoOnly = (fn) => () => (role() === 'dpo' ? fn : notFound);

export const dpoRoutes = [
  [/^#\/dpo\/?$/, dpoOnly(reviewsScreen)],
  [/^#\/dpo\/reviews\/(\d+)$/, dpoOnly(reviewScreen)],
  [/^#\/dpo\/log(?:\?(.*))?$/, dpoOnly(logScreen)],
  [/^#\/dpo\/logins$/, dpoOnly(loginsScreen)],
  [/^#\/dpo\/requests$/, dpoOnly(requestsScreen)],
  [/^#\/dpo\/requests\/([0-9a-f-]{36})$/, dpoOnly(requestScreen)],
  [/^#\/dpo\/seal$/, dpoOnly(sealScreen)],
];

export const dpoNav = [
  ['#/dpo', 'dpo.nav.reviews'], ['#/dpo/requests', 'dpo.nav.requests'], ['#/dpo/log', 'dpo.nav.log'],
  ['#/dpo/logins', 'dpo.nav.logins'], ['#/dpo/seal', 'dpo.nav.seal'],
];

// The console's own stylesheet (same origin, allowed by style-src 'self'), loaded once.
export function dpoStyles() {
  if (document.getElementById('dpo-css')) return;
  document.head.append(h('link', { id: 'dpo-css', rel: 'stylesheet', href: 'css/dpo.css' }));
}

// A label from the catalogue when it has one, else the raw value (rule ids, new event names).
export function label(prefix, value) {
  if (value === null || value === undefined || value === '') return '';
  return has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : String(value);
}

// A scrollable, labelled table: cols [[key, fn(row) → node|text]]; empty → a note.
// A rule id with its name when the catalogue knows the rule: "BG-01 (break-glass used)".
export function ruleText(id) {
  return has(`dpo.rule.${id}`) ? `${id} ${t(`dpo.rule.${id}`)}` : id;
}

export function table(cls, caption, cols, rows, emptyKey = 'dpo.empty') {
  if (!rows.length) return h('p', { class: 'empty', text: t(emptyKey) });
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', { class: cls },
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {}, cols.map(([k]) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, rows.map((r) => h('tr', { class: rowClass(r) }, cols.map(([, fn]) => h('td', {}, fn(r))))))));
}

function rowClass(r) { return r && r.rowClass ? r.rowClass : null; }

// A tag whose meaning is in its text (never colour alone).
export function tag(text, kind = '') {
  return h('span', { class: `tag${kind ? ` tag-${kind}` : ''}`, text });
}

export function severityTag(sev) {
  return tag(t(`dpo.severity.${sev}`), sev === 'high' ? 'high' : sev === 'medium' ? 'warn' : 'muted');
}

export function pct(share) {
  return share === null || share === undefined ? '—' : `${(share * 100).toFixed(1)} %`;
}

// YYYY-MM-DD of an instant, in Brussels.
export function brusselsDay(iso) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(iso));
}

// The start of Brussels day ymd as RFC 3339 with that day's offset (winter +01:00, summer +02:00).
export function dayStart(ymd) {
  const noon = new Date(`${ymd}T12:00:00Z`);
  const name = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Brussels', timeZoneName: 'longOffset' })
    .formatToParts(noon).find((p) => p.type === 'timeZoneName').value; // "GMT+01:00"
  const off = name === 'GMT' ? '+00:00' : name.slice(3);
  return `${ymd}T00:00:00${off}`;
}

// The day after ymd (YYYY-MM-DD).
export function nextDay(ymd) {
  const d = new Date(`${ymd}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// Paging by the API's `before` cursor on top of <crt-pager> (which counts offsets): page n is
// fetched with cursors[n]; load(n) must call pageDone(n, next_before).
export function cursorPager(limit, load) {
  const pager = document.createElement('crt-pager');
  const cursors = [null];
  return {
    el: pager,
    cursor: (n) => cursors[n],
    reset: () => { cursors.length = 1; },
    done(n, next) {
      if (next !== null && next !== undefined) cursors[n + 1] = next;
      pager.set(n * limit, limit, next !== null && next !== undefined ? (n + 1) * limit : null, (off) => load(off / limit));
    },
  };
}
