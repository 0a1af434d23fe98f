// The DPO console's seal state: the last seal and rows sealed, the last `crt-review verify`
// and when it ran, and an alarm (role=alert, in words) when verify failed or sealing stopped.
import { get } from './api.js';
import { h, dl } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { screen } from './app.js';
import { dpoStyles, tag } from './dpo.js';

export async function sealScreen() {
  dpoStyles();
  const s = await get('/v1/audit/seal');
  const { m } = screen('dpo.seal.title');
  m.append(h('p', { class: 'lead', text: t('dpo.seal.intro') }));
  if (s.alarms.length) {
    m.append(h('div', { class: 'alarm', id: 'seal-alarm', role: 'alert' },
      h('h2', { text: t('dpo.seal.alarm') }),
      h('ul', {}, s.alarms.map((a) => h('li', { text: t(`dpo.seal.alarm_${a}`, { hours: Math.round(s.max_age_s / 360) / 10 }) })))));
  } else {
    m.append(h('p', { class: 'notice ok', id: 'seal-ok', text: t('dpo.seal.ok') }));
  }
  const v = s.last_verify;
  m.append(
    h('section', { class: 'card', 'aria-labelledby': 'seal-last' }, h('h2', { id: 'seal-last', text: t('dpo.seal.last') }), dl([
      [t('dpo.seal.last_at'), s.last_seal ? fmtDateTime(s.last_seal.sealed_at) : t('dpo.seal.never')],
      [t('dpo.seal.last_rows'), s.last_seal ? String(s.last_seal.rows) : null],
      [t('dpo.seal.count'), s.seals === null ? '0' : String(s.seals)],
      [t('dpo.seal.rows_sealed'), s.rows_sealed === null ? '0' : String(s.rows_sealed)],
      [t('dpo.seal.unsealed'), String(s.unsealed_rows)],
      [t('dpo.seal.oldest_unsealed'), s.oldest_unsealed_at ? fmtDateTime(s.oldest_unsealed_at) : null],
      [t('dpo.seal.max_age'), t('dpo.seal.hours', { hours: Math.round(s.max_age_s / 360) / 10 })],
    ])),
    h('section', { class: 'card', 'aria-labelledby': 'seal-verify' }, h('h2', { id: 'seal-verify', text: t('dpo.seal.verify') }), dl([
      [t('dpo.seal.verify_result'), v ? tag(t(`dpo.seal.result_${v.result}`), v.result === 'clean' ? 'ok' : 'high') : t('dpo.seal.never_verified')],
      [t('dpo.seal.verify_at'), v ? fmtDateTime(v.finished_at) : null],
      [t('dpo.seal.verify_seals'), v ? String(v.seals) : null],
      [t('dpo.seal.verify_problems'), v ? String(v.problems) : null],
      [t('dpo.seal.last_clean'), s.last_clean_verify_at ? fmtDateTime(s.last_clean_verify_at) : t('dpo.seal.never')],
    ])),
    h('p', { class: 'hint', text: t('dpo.seal.how') }));
}
