// DOM helpers: h() builds elements (never inline styles or handlers in markup), form fields with
// a label, a hint and an error slot tied by aria-describedby, and problem+json shown in a form.
import { t } from './i18n.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') throw new Error('no inline styles');
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

let uid = 0;
const idFor = (name) => `f-${name.replace(/[^a-z0-9]+/gi, '-')}-${++uid}`;

// A labelled control. spec: {name, label, type, options:[[value,label]], value, required,
// hint, rows, autocomplete, inputmode, min, max}. The wrapper carries data-field = name, the
// dotted JSON path the server names in problem+json `field`.
export function field(spec) {
  const id = idFor(spec.name);
  const hintId = spec.hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  let control;
  const common = { id, name: spec.name, 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') };
  if (spec.required) common['aria-required'] = 'true';
  if (spec.type === 'select') {
    control = h('select', common, (spec.options || []).map(([v, l]) => h('option', { value: v, text: l })));
    if (spec.value !== undefined && spec.value !== null) control.value = String(spec.value);
  } else if (spec.type === 'textarea') {
    control = h('textarea', { ...common, rows: spec.rows || 3 });
    control.value = spec.value ?? '';
  } else {
    control = h('input', {
      ...common, type: spec.type || 'text', autocomplete: spec.autocomplete || 'off',
      inputmode: spec.inputmode, min: spec.min, max: spec.max, spellcheck: spec.spellcheck,
    });
    control.value = spec.value ?? '';
  }
  const label = h('label', { for: id }, spec.label, spec.required ? h('span', { class: 'req', text: ` (${t('common.required')})` }) : null);
  const wrap = h('div', { class: `field${spec.wide ? ' wide' : ''}`, dataset: { field: spec.name } },
    label, control,
    spec.hint ? h('p', { class: 'hint', id: hintId, text: spec.hint }) : null,
    h('p', { class: 'error', id: errId }));
  if (spec.extra) wrap.append(spec.extra);
  return wrap;
}

export function options(prefix, values, withEmpty = true) {
  const out = values.map((v) => [v, t(`${prefix}.${v}`)]);
  return withEmpty ? [['', t('common.choose')], ...out] : out;
}

// Clears the errors of a form (field messages, aria-invalid, the summary).
export function clearErrors(form) {
  form.querySelectorAll('.field.invalid').forEach((f) => f.classList.remove('invalid'));
  form.querySelectorAll('[aria-invalid]').forEach((c) => c.removeAttribute('aria-invalid'));
  form.querySelectorAll('.field .error').forEach((e) => { e.textContent = ''; });
  const s = form.querySelector('.form-error');
  if (s) { s.textContent = ''; s.hidden = true; }
}

// Shows an error next to the field named `name` (dotted); false when the form has no such field.
export function fieldError(form, name, message) {
  const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!wrap) return false;
  wrap.classList.add('invalid');
  const control = wrap.querySelector('input, select, textarea');
  if (control) control.setAttribute('aria-invalid', 'true');
  const err = wrap.querySelector('.error');
  err.textContent = t('form.field_refused');
  if (message) {
    err.append(' ', document.createElement('span'));
    err.lastChild.textContent = `(${message})`;
    err.lastChild.lang = 'en'; // the server's detail is a fixed English sentence
  }
  return true;
}

// A summary at the top of the form (role=alert, announced), shown for every error.
export function formError(form, message) {
  let s = form.querySelector('.form-error');
  if (!s) {
    s = h('div', { class: 'form-error', role: 'alert', tabindex: '-1' });
    form.prepend(s);
  }
  s.textContent = message;
  s.hidden = false;
  return s;
}

// The user-facing text of an ApiError: the catalogue's message for its kind, with the
// server's detail (a fixed English sentence) after it when it adds something.
export function problemText(err) {
  const key = `problem.${err.slug || 'unknown'}`;
  const base = t(key) === key ? t('problem.unknown') : t(key);
  return err.detail && err.slug === 'validation' ? `${base} ${err.detail}` : base;
}

// Shows err in form: beside its field when the form has it, always in the summary; focuses the
// field (or the summary) so a keyboard or screen-reader user lands on it.
export function showProblem(form, err) {
  clearErrors(form);
  const text = problemText(err);
  const placed = err.field ? fieldError(form, err.field, err.localDetail ? null : err.detail) : false;
  if (placed && err.localDetail) form.querySelector(`[data-field="${CSS.escape(err.field)}"] .error`).textContent = err.localDetail;
  const summary = formError(form, placed ? t('form.fix_field', { field: labelOf(form, err.field) }) : text);
  const target = placed ? form.querySelector(`[data-field="${CSS.escape(err.field)}"] [aria-invalid]`) : summary;
  (target || summary).focus();
}

function labelOf(form, name) {
  const l = form.querySelector(`[data-field="${CSS.escape(name)}"] label`);
  return l ? l.firstChild.textContent : name;
}

export function announce(text) {
  const a = document.getElementById('announce');
  a.textContent = '';
  setTimeout(() => { a.textContent = text; }, 50);
}

export function button(text, onclick, cls = '') {
  return h('button', { type: 'button', class: cls || null, onclick }, text);
}

export function dl(rows) {
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([k, v, extra]) => [
    h('dt', { text: k }), h('dd', {}, v === null || v === undefined || v === '' ? h('span', { class: 'muted', text: t('common.empty') }) : v, extra || null),
  ]));
}
