// The person record as the API defines it (proto/openapi.yaml): field groups, their fields and
// the input each needs. Labels come from the catalogue as field.<name>, choices as <enum>.<value>.
export const SOURCES = ['person', 'intermediary', 'interpreter', 'test', 'staff', 'partner'];
export const CONTROLLERS = ['agii', 'huis', 'atlas', 'ingent'];

const text = (name, extra = {}) => ({ name, type: 'text', ...extra });
const date = (name, extra = {}) => ({ name, type: 'date', ...extra });
const choice = (name, values, extra = {}) => ({ name, type: 'select', values, ...extra });
const bool = (name) => ({ name, type: 'bool' });

export const GROUPS = {
  identification: [
    text('title'), text('first_name', { required: true }), text('last_name', { required: true }),
    choice('gender', ['female', 'male', 'x', 'unknown']), date('birth_date', { required: true }),
    text('nationality', { hint: 'hint.nationality', maxlength: 2 }),
  ],
  contact: [
    text('phone', { type: 'tel', inputmode: 'tel' }), text('email', { type: 'email' }),
    choice('contact_preference', ['phone', 'email', 'sms', 'post', 'in_person']),
    text('address_street'), text('address_number'), text('address_box'),
    text('address_postcode', { inputmode: 'numeric', hint: 'hint.postcode' }), text('address_city'),
    text('home_country_address'), text('home_country_postcode'),
  ],
  trajectory: [date('registration_date'), date('first_enrolment_date'), text('contact_language')],
  situation: [
    choice('residence_status', ['temporary_protection', 'applicant', 'refugee', 'subsidiary_protection', 'other', 'unknown']),
    date('residence_status_start'), date('residence_status_end'),
    { name: 'family_situation', type: 'textarea' },
    { name: 'minor_children', type: 'number', min: 0, max: 30, inputmode: 'numeric' },
    text('languages'),
    choice('literacy', ['literate', 'literate_other_script', 'low_literate', 'illiterate', 'unknown']),
    text('work_study'), bool('needs_childcare'), bool('needs_buddy'),
  ],
  sensitive: [text('national_number', { hint: 'hint.national_number', inputmode: 'numeric' })],
};
export const PERSON_GROUPS = ['identification', 'contact', 'trajectory', 'situation'];

export const TRAJECTORY_KINDS = ['intake', 'info_session', 'social_orientation', 'nt2_offer', 'test_result'];
export const DETAILS = {
  intake: [text('location'), text('contact_language'), bool('interpreter_used')],
  info_session: [text('topic', { required: true }), bool('attended')],
  social_orientation: [text('module', { required: true }), { name: 'hours', type: 'number', min: 0, max: 200 }, bool('completed')],
  nt2_offer: [text('provider', { required: true }),
    choice('level', ['alfa', '1.1', '1.2', '2.1', '2.2', '2.3', '2.4', '3.1', '3.2', '3.3', '3.4', '4.1', '4.2']),
    text('course'), date('start_date')],
  test_result: [choice('test', ['latin_script', 'cognitive_skills', 'nt2_placement', 'other'], { required: true }),
    text('result', { required: true }), { name: 'score', type: 'number', min: 0, max: 1000 }],
};

// A form control's value as the JSON the API takes: '' is "not given" (undefined), numbers and
// booleans typed.
export function jsonValue(def, raw) {
  if (raw === '' || raw === undefined || raw === null) return undefined;
  if (def.type === 'number') return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (def.type === 'bool') return raw === 'true';
  return raw;
}
