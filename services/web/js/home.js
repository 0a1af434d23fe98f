// Home, "my persons": a caseworker's active assignments, intake staff's recent registrations,
// the controller's persons for coordinators (with filters) and education staff; paged.
import { get } from './api.js';
import { h, field, clear, showProblem } from './dom.js';
import { t, fmtDate, fmtDateTime } from './i18n.js';
import { screen, role, can } from './app.js';

const LIMIT = 20;

export async function homeScreen() {
  const { m } = screen(`home.title.${role()}`);
  m.append(h('p', { class: 'lead', text: t(`home.intro.${role()}`) }));
  if (!can('read', 'identification')) { m.append(h('p', { text: t('home.no_persons') })); return; }
  if (['intake', 'coordinator'].includes(role())) {
    m.append(h('p', {}, h('a', { href: '#/register', class: 'button', text: t('home.register') })));
  }
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('home.filters'), novalidate: true },
    field({ name: 'q', label: t('home.q'), type: 'search', hint: t('home.q_hint') }));
  if (role() === 'coordinator') {
    form.append(
      field({ name: 'unassigned', label: t('home.unassigned'), type: 'select', options: [['false', t('home.all')], ['true', t('home.only_unassigned')]] }),
      field({ name: 'restricted', label: t('home.restricted'), type: 'select', options: [['', t('home.all')], ['true', t('home.only_restricted')], ['false', t('home.not_restricted')]] }));
  }
  form.append(h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary', text: t('home.filter') })));
  const region = h('section', { 'aria-labelledby': 'list-title', class: 'list' },
    h('h2', { id: 'list-title', text: t('home.list') }));
  const body = h('div', { 'aria-live': 'polite' });
  const pager = document.createElement('crt-pager');
  region.append(body, pager);
  m.append(form, region);

  async function load(offset) {
    const fd = new FormData(form);
    const qs = new URLSearchParams({ limit: String(LIMIT), offset: String(offset) });
    const q = (fd.get('q') || '').trim();
    if (q) qs.set('q', q);
    if (fd.get('unassigned') === 'true') qs.set('unassigned', 'true');
    if (fd.get('restricted')) qs.set('restricted', fd.get('restricted'));
    try {
      const page = await get(`/v1/me/persons?${qs}`);
      clear(body).append(table(page.items));
      pager.set(offset, LIMIT, page.next_offset, load);
    } catch (err) {
      if (err.status === 401) return;
      showProblem(form, err);
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(0); });
  await load(0);
}

function table(items) {
  if (!items.length) return h('p', { class: 'empty', text: t('home.empty') });
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': t('home.list'), tabindex: '0' },
    h('table', { class: 'persons' },
      h('caption', { class: 'visually-hidden', text: t('home.list') }),
      h('thead', {}, h('tr', {}, ['home.col.name', 'home.col.oki', 'home.col.birth', 'home.col.why', 'home.col.status', 'home.col.registered']
        .map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, items.map((p) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/persons/${p.id}`, text: `${p.identification.last_name}, ${p.identification.first_name}` })),
        h('td', { text: p.oki_number }),
        h('td', { text: fmtDate(p.identification.birth_date) }),
        h('td', { text: p.access_reason ? t(`why.${p.access_reason}`) : '' }),
        h('td', {}, status(p)),
        h('td', { text: fmtDateTime(p.created_at) }))))));
}

function status(p) {
  const tags = [];
  if (p.restricted) tags.push(h('span', { class: 'tag tag-warn', text: t('person.restricted_tag') }));
  if (p.assigned) tags.push(h('span', { class: 'tag', text: t('home.assigned') }));
  else tags.push(h('span', { class: 'tag tag-muted', text: t('home.not_assigned') }));
  return tags;
}

