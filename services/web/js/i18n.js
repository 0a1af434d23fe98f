// The catalogues (i18n/nl.json, i18n/en.json and one part per console, i18n/<part>.<lang>.json):
// t() looks a key up in the chosen language; dates and times are shown in Brussels local form.
const LANGS = ['nl', 'en'];
// Each console keeps its strings in its own part so that screens can be added independently.
const PARTS = ['dpo', 'admin', 'stats'];
const TZ = 'Europe/Brussels';
let lang = 'nl';
let cat = {};

export function currentLang() { return lang; }

export async function loadLang(want) {
  lang = LANGS.includes(want) ? want : 'nl';
  const files = [`i18n/${lang}.json`, ...PARTS.map((p) => `i18n/${p}.${lang}.json`)];
  const parts = await Promise.all(files.map((f) => fetch(f, { cache: 'no-cache' }).then((r) => r.json())));
  cat = Object.assign({}, ...parts);
  document.documentElement.lang = lang;
  try { localStorage.setItem('crt.lang', lang); } catch { /* private mode: not remembered */ }
  return lang;
}

export function savedLang() {
  try { return localStorage.getItem('crt.lang') || 'nl'; } catch { return 'nl'; }
}

// The text of key with {name} replaced from vars; the key itself when missing (visible in tests).
export function t(key, vars = {}) {
  const s = cat[key];
  if (s === undefined) return key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function has(key) { return key in cat; }

// Fills every [data-t] element below root with its text.
export function translateTree(root) {
  root.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
}

function locale() { return lang === 'nl' ? 'nl-BE' : 'en-GB'; }

// A timestamp (ISO 8601 with offset) as date and time in Brussels.
export function fmtDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { timeZone: TZ, dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

// A calendar date YYYY-MM-DD (no time of day) in the local long form.
export function fmtDate(ymd) {
  if (!ymd) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(ymd);
  if (!m) return ymd;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], 12));
  return new Intl.DateTimeFormat(locale(), { timeZone: TZ, dateStyle: 'medium' }).format(d);
}

// Today's date in Brussels as YYYY-MM-DD (for date inputs' defaults and max).
export function todayBrussels() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  return parts;
}
