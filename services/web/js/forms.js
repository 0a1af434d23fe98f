// Building the person form groups and reading them back into the API's JSON shape: one control
// per field (data-field = group.field, as problem+json names it) and, per field, its source.
import { h, field, options } from './dom.js';
import { t } from './i18n.js';
import { GROUPS, SOURCES, jsonValue } from './model.js';

export function controlFor(def, name, value, extra = {}) {
  const spec = {
    name, label: t(`field.${def.name}`), type: def.type, required: def.required,
    hint: def.hint ? t(def.hint) : undefined, min: def.min, max: def.max, inputmode: def.inputmode,
    value, ...extra,
  };
  if (def.type === 'select') spec.options = options(`enum.${def.name}`, def.values);
  if (def.type === 'bool') { spec.type = 'select'; spec.options = [['', t('common.unknown')], ['true', t('common.yes')], ['false', t('common.no')]]; }
  if (def.type === 'textarea') spec.wide = true;
  return field(spec);
}

// A per-field source choice: "" means the form's source.
function sourceSelect(group, def) {
  const id = `src-${group}-${def.name}`;
  return h('div', { class: 'src', dataset: { field: `sources.${def.name}` } },
    h('label', { for: id, text: t('form.source_of', { field: t(`field.${def.name}`) }) }),
    h('select', { id, name: `sources.${def.name}`, 'aria-describedby': `${id}-err` },
      [['', t('form.source_same')], ...SOURCES.map((s) => [s, t(`source.${s}`)])].map(([v, l]) => h('option', { value: v, text: l }))),
    h('p', { class: 'error', id: `${id}-err` }));
}

export function groupFieldset(group, prefill = {}, { sources = true } = {}) {
  return h('fieldset', { class: 'group', dataset: { group } },
    h('legend', { text: t(`group.${group}`) }),
    h('div', { class: 'grid' }, GROUPS[group].map((def) => {
      const name = `${group}.${def.name}`;
      const extra = sources && group !== 'sensitive' ? { extra: sourceSelect(group, def) } : {};
      return controlFor(def, name, prefill[def.name] ?? '', extra);
    })));
}

export function sourceField(name = 'source', value = '') {
  return field({ name, label: t('form.source'), type: 'select', required: true, hint: t('form.source_hint'),
    options: [['', t('common.choose')], ...SOURCES.map((s) => [s, t(`source.${s}`)])], value });
}

// The groups of the form as JSON: only fields given; sources only where they differ.
export function readGroups(form, groups) {
  const fd = new FormData(form);
  const body = {}; const sources = {};
  for (const g of groups) {
    const out = {};
    for (const def of GROUPS[g]) {
      const v = jsonValue(def, fd.get(`${g}.${def.name}`));
      if (v !== undefined) {
        out[def.name] = def.name === 'nationality' ? String(v).toUpperCase() : v;
        const s = fd.get(`sources.${def.name}`);
        if (s) sources[def.name] = s;
      }
    }
    if (Object.keys(out).length || g === 'identification') body[g] = out;
  }
  if (Object.keys(sources).length) body.sources = sources;
  return body;
}
