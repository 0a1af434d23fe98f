#!/usr/bin/python3
# The web application in a real browser: headless Chromium driven by Selenium against crt-api
# (TLS, a certificate made here) and the PostgreSQL of the environment (crt-local db). Checks
# every screen with axe-core, watches the browser log for CSP violations and script errors, and
# writes screenshots to build/web-screenshots/. Usage: run_tests.py CRT_API_BIN CRTCTL_BIN
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid

from console_dpo import DpoTests
from harness import (HERE, ROOT, PASSWORD, Api, browser, bearer_login, cookie_login, create_account,
                     enrol_by_api, make_certs, partner_with_grant, unique)

from console_admin import AdminTests
from console_stats import StatsTests

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
AXE = os.path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js')
SHOTS = os.path.join(ROOT, 'build', 'web-screenshots')
PERSON_GROUPS = ['identification', 'contact', 'trajectory', 'situation', 'sensitive']


class Skip(Exception):
    pass


def catalogue(lang):
    """The whole catalogue of one language: the base file and every console's part."""
    i18n = os.path.join(ROOT, 'services/web/i18n')
    cat = json.load(open(os.path.join(i18n, f'{lang}.json')))
    for f in sorted(os.listdir(i18n)):
        if f.endswith(f'.{lang}.json'):
            part = json.load(open(os.path.join(i18n, f)))
            assert not set(part) & set(cat), (f, sorted(set(part) & set(cat)))
            cat.update(part)
    return cat


class Suite(DpoTests, AdminTests, StatsTests):
    def __init__(self, api_bin, ctl_bin):
        self.api_bin, self.ctl_bin = api_bin, ctl_bin
        self.results = []
        self.axe_failures = []
        self.log_problems = []
        self.screens_checked = []
        self.shot_n = 0
        self.axe_src = open(AXE).read()
        self.axe_minor = 0

    # ---- browser helpers ----

    def wait(self, css, timeout=10):
        return WebDriverWait(self.d, timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def wait_text(self, css, text, timeout=10):
        WebDriverWait(self.d, timeout).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))

    def title(self):
        return self.wait('#page-title').text

    def fill(self, name, value, root=None):
        el = (root or self.d).find_element(By.CSS_SELECTOR, f'[name="{name}"]')
        if el.tag_name == 'select':
            Select(el).select_by_value(value)
        else:
            el.clear()
            el.send_keys(value)
        return el

    def value(self, name):
        return self.d.find_element(By.CSS_SELECTOR, f'[name="{name}"]').get_attribute('value')

    def submit(self, form_css):
        self.d.find_element(By.CSS_SELECTOR, f'{form_css} button[type=submit]').click()

    def go(self, hash_):
        self.d.get(f'{self.api.origin}/{hash_}')

    def check_screen(self, name, shot=True):
        """axe-core (serious/critical fail), the browser log, and a screenshot of this screen."""
        time.sleep(0.15)
        if self.d.execute_script('return typeof axe') == 'undefined':
            self.d.execute_script(self.axe_src)
        res = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},"
            " resultTypes: ['violations']}).then(r => done({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id,"
            " impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))}))"
            ".catch(e => done({passes: 0, violations: [{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]}));")
        assert res['passes'] >= 10, f'axe-core ran on {name} ({res})'
        bad = [v for v in res['violations'] if v['impact'] in ('serious', 'critical')]
        self.axe_minor += len(res['violations']) - len(bad)
        if bad:
            self.axe_failures.append((name, bad))
        self.screens_checked.append(name)
        self.drain_log(name)
        if shot:
            self.shot_n += 1
            size = self.d.get_window_size()
            height = self.d.execute_script('return document.documentElement.scrollHeight')
            if shot == 'full' and height > size['height']:
                self.d.set_window_size(size['width'], min(height + 140, 4000))
            self.d.save_screenshot(os.path.join(SHOTS, f'{self.shot_n:02d}-{name}.png'))
            if shot == 'full' and height > size['height']:
                self.d.set_window_size(size['width'], size['height'])

    def drain_log(self, where):
        for e in self.d.get_log('browser'):
            msg = e.get('message', '')
            csp = 'Content Security Policy' in msg or 'Refused to' in msg
            js_error = e.get('source') == 'javascript' and e.get('level') == 'SEVERE'
            uncaught = 'Uncaught' in msg
            if csp or js_error or uncaught:
                self.log_problems.append((where, msg))

    def login_ui(self, acct, code=None, expect_home=True):
        """Password, then a code (a recovery code unless given) through the login screen."""
        if self.d.find_elements(By.ID, 'logout'):  # a failed test before may have left a session
            self.logout_ui()
        self.wait('#login-form')
        self.fill('username', acct.username)
        self.fill('password', PASSWORD)
        self.submit('#login-form')
        self.wait('#code-form')
        self.fill('code', code or acct.recovery.pop())
        self.submit('#code-form')
        if expect_home:
            self.wait('#logout')

    def logout_ui(self):
        self.d.find_element(By.ID, 'logout').click()
        self.wait('#login-form')

    def session_cookie(self):
        c = [c for c in self.d.get_cookies() if c['name'] == '__Host-crt_session']
        return f"__Host-crt_session={c[0]['value']}" if c else None

    def groups_shown(self):
        return sorted(e.get_attribute('data-group') for e in self.d.find_elements(By.CSS_SELECTOR, 'section.group-view'))

    # ---- set-up ----

    def setup(self):
        os.makedirs(SHOTS, exist_ok=True)
        for f in os.listdir(SHOTS):
            if f.endswith('.png'):
                os.remove(os.path.join(SHOTS, f))
        self.tmp = tempfile.mkdtemp(prefix='crt-web-')
        self.certs = make_certs(self.tmp)
        try:
            self.api = Api(self.api_bin, self.certs, self.tmp)
        except RuntimeError as e:
            raise Skip(f'crt-api does not serve HTTPS with CRT_TLS_CERT_FILE/CRT_TLS_KEY_FILE yet '
                       f'(branch h6-webserver): {str(e)[-300:]}')
        s, h, body = self.api.request('GET', '/')
        if s != 200 or 'text/html' not in h.get('content-type', ''):
            raise Skip(f'crt-api does not serve the web application yet (GET / -> {s}); '
                       'the static serving of branch h6-webserver is needed')
        s, h, body = self.api.request('POST', '/v1/auth/login', {'username': 'nobody.x', 'password': 'x' * 12})
        self.tag = unique('w')
        mk = lambda ctl, role, n='': create_account(self.ctl_bin, f'{self.tag}.{ctl}.{role}{n}', ctl, role)  # noqa: E731
        self.intake = mk('atlas', 'intake')           # enrols in the browser
        self.coord = mk('atlas', 'coordinator')
        self.case1 = mk('atlas', 'caseworker', '1')        # assigned by the coordinator
        self.case2 = mk('atlas', 'caseworker', '2')        # break-glass
        self.edu = mk('atlas', 'education')
        self.other = mk('ingent', 'intake')           # another controller
        for a in (self.coord, self.case1, self.case2, self.edu, self.other):
            enrol_by_api(self.api, a)
        self.partner = f'VDAB test {self.tag}'
        partner_with_grant(self.ctl_bin, f'{self.tag}-vdab', self.partner, 'atlas', 'identification,contact', 'job_guidance')
        self.d = browser(self.tmp)
        self.d.set_script_timeout(30)
        self.access = {}

    def teardown(self):
        try:
            self.d.quit()
        except Exception:  # noqa: BLE001
            pass
        self.api.stop()
        if getattr(self, 'api_idle', None):
            self.api_idle.stop()

    # ---- the tests, in order (later ones use what earlier ones made) ----

    def test_first_login_enrols(self):
        self.go('#/')
        self.wait('#login-form')
        self.check_screen('login')
        # Keyboard only: Tab reaches the skip link first, then the controls, each with a visible
        # focus ring; Enter in the password field sends the form.
        self.d.find_element(By.TAG_NAME, 'body').send_keys(Keys.TAB)
        first = self.d.switch_to.active_element
        assert first.get_attribute('id') == 'skip-link', first.get_attribute('outerHTML')
        ring = self.d.execute_script('return getComputedStyle(document.activeElement).outlineStyle')
        assert ring not in ('none', ''), f'visible focus on the skip link: {ring}'
        self.fill('username', self.intake.username)
        user = self.d.find_element(By.NAME, 'username')
        user.send_keys(Keys.TAB)
        assert self.d.switch_to.active_element.get_attribute('name') == 'password'
        assert self.d.execute_script('return getComputedStyle(document.activeElement).outlineStyle') != 'none'
        self.d.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
        secret_el = self.wait('#totp-secret')
        img = self.d.find_elements(By.CSS_SELECTOR, 'img.qr')
        qr_ok = bool(img) and img[0].get_attribute('src').startswith('data:image/svg+xml;base64,') \
            and self.d.execute_script('return arguments[0].naturalWidth > 0', img[0])
        self.check_screen('enrol')
        self.intake.secret = secret_el.text.strip()
        self.fill('code', self.intake.code())
        self.submit('#enrol-form')
        self.wait('#recovery-codes')
        codes = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, '#recovery-codes code')]
        assert len(codes) == 10, codes
        self.intake.recovery = codes
        self.check_screen('recovery-codes')
        self.d.find_element(By.ID, 'recovery-done').click()
        self.wait('#logout')
        assert self.d.execute_script("return document.cookie.indexOf('crt_session') < 0"), 'cookie is HttpOnly'
        store = self.d.execute_script('return JSON.stringify(Object.assign({}, localStorage, sessionStorage))')
        assert 'token' not in store.lower(), f'no token in web storage: {store}'
        self.check_screen('home-intake-empty')
        assert qr_ok, 'the enrolment screen shows the server-made QR code (an SVG data: image)'

    def test_register_with_duplicate_and_validation(self):
        # Someone of the same name and birth date registered at another controller (IN-Gent).
        tok = bearer_login(self.api, self.other)
        self.first, self.last, self.birth = 'Olena', unique('Bondarenko'), '1988-04-12'
        s, _, r = self.api.request('POST', '/v1/persons', {'source': 'person', 'identification': {
            'first_name': self.first, 'last_name': self.last, 'birth_date': self.birth}}, token=tok)
        assert s == 201, (s, r)
        self.other_person = r['id']
        self.d.find_element(By.CSS_SELECTOR, '#nav a[href="#/register"]').click()
        self.wait('#dup-form')
        self.fill('first_name', self.first)
        self.fill('last_name', self.last)
        self.d.find_element(By.CSS_SELECTOR, '#dup-form [name=birth_date]').send_keys('12041988')
        if self.value('birth_date') != self.birth:  # date input typed in another locale order
            self.d.execute_script("arguments[0].value = arguments[1]", self.d.find_element(By.CSS_SELECTOR, '#dup-form [name=birth_date]'), self.birth)
        self.submit('#dup-form')
        warn = self.wait('#dup-elsewhere')
        assert 'IN-Gent' in warn.text, warn.text
        self.check_screen('register-duplicate-warning')
        self.d.find_element(By.ID, 'dup-continue').click()
        self.wait('#person-form')
        assert self.value('identification.first_name') == self.first, 'step 1 carried over'
        self.fill('source', 'interpreter')
        self.fill('identification.nationality', 'UA')
        self.fill('contact.phone', '+32 470 12 34 56')
        self.fill('sources.phone', 'person')
        self.fill('contact.address_postcode', '0123')    # refused by the server: not a Belgian postcode
        self.fill('situation.minor_children', '2')
        self.submit('#person-form')
        err = self.wait('[data-field="contact.address_postcode"] .error')
        assert err.text.strip(), 'the error is shown beside the postcode'
        ctl = self.d.find_element(By.CSS_SELECTOR, '[name="contact.address_postcode"]')
        assert ctl.get_attribute('aria-invalid') == 'true'
        assert self.d.switch_to.active_element == ctl, 'focus moves to the refused field'
        assert self.value('contact.phone') == '+32 470 12 34 56' and self.value('identification.nationality') == 'UA', 'typing kept'
        self.check_screen('register-validation-error')
        self.fill('contact.address_postcode', '2060')
        radio = self.d.find_element(By.CSS_SELECTOR, '#household input[value=new]')
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", radio)
        radio.click()
        self.fill('household.family_name', self.last)
        self.fill('household.address_city', 'Antwerpen')
        self.submit('#person-form')
        done = self.wait('#reg-done')
        assert re.search(r'OKI\d{9}', done.text), done.text
        assert 'IN-Gent' in self.wait('#reg-elsewhere').text
        self.check_screen('register-done', shot=False)
        self.d.find_element(By.ID, 'reg-open').click()
        self.wait('section.group-view')
        self.person = self.d.current_url.rsplit('/', 1)[1]
        phone = self.d.find_element(By.CSS_SELECTOR, 'section[data-group=contact]').text
        assert '+32 470 12 34 56' in phone and 'de persoon zelf' in phone, 'per-field source shown'
        assert self.last in self.wait('#household-section').text, 'the new household is shown'
        self.check_screen('person-intake')

    def expect_groups(self, acct_role):
        tok_groups = self.access[acct_role]
        want = sorted(g for g in PERSON_GROUPS if g in tok_groups)
        got = self.groups_shown()
        assert got == want, f'{acct_role}: shown {got}, role reads {want}'

    def role_access(self, acct):
        s, _, body = self.api.request('GET', '/v1/me/access', token=bearer_login(self.api, acct))
        assert s == 200, body
        self.access[acct.role] = body['read']

    def test_intake_sees_its_groups(self):
        self.role_access(self.other)  # same role, same default matrix
        self.expect_groups('intake')

    def test_logout_ends_session(self):
        old = self.session_cookie()
        assert old, 'the session cookie is set'
        assert self.api.request('GET', '/v1/auth/session', cookie=old)[0] == 200
        self.logout_ui()
        self.check_screen('logged-out', shot=False)
        s, _, body = self.api.request('GET', '/v1/me', cookie=old)
        assert s == 401, (s, body)
        s, _, body = self.api.request('GET', f'/v1/persons/{self.person}', cookie=old)
        assert s == 401, (s, body)

    def test_coordinator_assigns_and_filters(self):
        self.login_ui(self.coord)
        self.wait('table.persons')
        self.fill('q', self.last)
        self.submit('form.filters')
        WebDriverWait(self.d, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, 'table.persons tbody tr')) == 1)
        rows = self.d.find_elements(By.CSS_SELECTOR, 'table.persons tbody tr')
        assert self.last in rows[0].text, rows[0].text
        self.check_screen('home-coordinator')
        rows[0].find_element(By.CSS_SELECTOR, 'a').click()
        self.wait('#assign-form')
        self.role_access(self.coord)
        self.expect_groups('coordinator')
        self.fill('user_id', self.d.execute_script(
            "return [...document.querySelectorAll('#assign-form option')].find(o => o.textContent.includes(arguments[0])).value",
            self.case1.username))
        self.fill('reason', 'Volgt het inburgeringstraject')
        self.submit('#assign-form')
        self.wait_text('#assignment-list', self.case1.username)
        self.fill('partner_id', self.d.execute_script(
            "return [...document.querySelectorAll('#referral-form option')].find(o => o.textContent.includes(arguments[0])).value",
            self.partner))
        self.submit('#referral-form')
        self.wait_text('#referral-list', self.partner)
        received = self.d.find_element(By.ID, 'referral-list').text
        assert 'ontvangt: Identificatie, Contact' in received, received
        self.check_screen('person-coordinator', shot='full')
        self.logout_ui()

    def test_caseworker_sees_assigned(self):
        self.login_ui(self.case1)
        self.wait_text('table.persons tbody', self.last)
        self.check_screen('home-caseworker')
        self.d.find_element(By.CSS_SELECTOR, 'table.persons tbody a').click()
        self.wait('section.group-view')
        self.role_access(self.case1)
        self.expect_groups('caseworker')
        assert 'toegewezen' in self.d.find_element(By.ID, 'why').text
        self.check_screen('person-caseworker', shot=False)
        self.logout_ui()

    def test_break_glass(self):
        self.login_ui(self.case2)
        self.wait('#list-title')
        time.sleep(0.3)
        assert self.last not in self.d.find_element(By.ID, 'main').text, 'an unassigned caseworker does not list the person'
        self.go(f'#/persons/{self.person}')
        btn = self.wait('#break-glass')
        self.check_screen('no-need-to-know', shot=False)
        btn.click()
        dlg = self.wait('dialog.dialog')
        assert 'DPO' in dlg.text
        self.fill('reason', 'te kort')
        dlg.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        err = self.wait('#bg-reason-err')
        assert err.text.strip(), 'a short reason is refused beside the field'
        assert self.d.find_element(By.ID, 'bg-reason').get_attribute('aria-invalid') == 'true'
        self.check_screen('break-glass-refused')
        self.fill('reason', 'Persoon staat aan de balie in nood, trajectbegeleider onbereikbaar')
        dlg.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        self.wait('section.group-view')
        cd = self.wait('#why crt-countdown')
        assert re.match(r'^\d+:\d\d$', cd.text) and int(cd.text.split(':')[0]) >= 58, cd.text
        self.check_screen('person-break-glass')
        self.logout_ui()

    def test_education_enters_test_result(self):
        self.login_ui(self.edu)
        self.go(f'#/persons/{self.person}')
        self.wait('#entry-form')
        self.role_access(self.edu)
        self.expect_groups('education')
        kinds = [o.get_attribute('value') for o in self.d.find_elements(By.CSS_SELECTOR, '#entry-form [name=kind] option')]
        assert kinds == ['test_result'], kinds
        assert not self.d.find_elements(By.ID, 'rectify-form') and not self.d.find_elements(By.ID, 'referral-form')
        self.fill('details.test', 'nt2_placement')
        self.fill('details.result', '1.2')
        self.fill('details.score', '640')
        self.submit('#entry-form')
        self.wait_text('#trajectory-list', 'NT2-plaatsing')
        self.check_screen('person-education', shot='full')
        self.logout_ui()

    def test_other_controller_not_found(self):
        self.login_ui(self.other)
        self.go(f'#/persons/{self.person}')
        self.wait_text('#page-title', 'Niet gevonden')
        theirs = self.d.find_element(By.ID, 'main').text
        self.check_screen('not-found')
        self.go(f'#/persons/{uuid.uuid4()}')
        time.sleep(0.3)
        self.wait_text('#page-title', 'Niet gevonden')
        assert self.d.find_element(By.ID, 'main').text == theirs, 'unknown id and other controller look the same'
        self.go(f'#/persons/{self.other_person}')  # their own person still opens
        self.wait('section.group-view')
        self.logout_ui()

    def test_recovery_code_once(self):
        code = self.coord.recovery.pop()
        self.login_ui(self.coord, code=code)
        self.logout_ui()
        for attempt in (1, 2):
            self.login_ui(self.coord, code=code, expect_home=False)
            err = self.wait('#code-form .form-error')
            assert err.text.strip(), f'used recovery code refused (attempt {attempt})'
            if attempt == 1:
                self.check_screen('code-refused', shot=False)
            self.go('#/')
            self.d.refresh()

    def test_later_login_with_totp(self):
        self.go('#/')
        self.login_ui(self.intake, code=self.intake.code())
        self.go('#/sessions')
        self.wait('#revoke-others')
        self.check_screen('sessions')
        self.go('#/password')
        self.wait('#password-form')
        self.fill('current_password', 'not-the-password')
        self.fill('new_password', 'a-new-long-password-2026')
        self.fill('repeat', 'a-new-long-password-2026')
        self.submit('#password-form')
        err = self.wait('#password-form .form-error')
        assert err.text.strip()
        self.check_screen('password-refused')

    def test_language_switch(self):
        Select(self.d.find_element(By.ID, 'lang')).select_by_value('en')
        self.wait_text('#page-title', 'Change password')
        assert self.d.execute_script('return document.documentElement.lang') == 'en'
        self.go('#/')
        self.wait_text('#page-title', 'My recent registrations')
        self.check_screen('home-intake-en')
        Select(self.d.find_element(By.ID, 'lang')).select_by_value('nl')
        self.wait_text('#page-title', 'Mijn recente registraties')

    def test_narrow_and_zoom(self):
        for w, name in ((320, 'person-320px'), (640, 'person-200pct')):
            self.d.set_window_size(w, 900)
            self.go(f'#/persons/{self.person}')
            self.wait('section.group-view')
            # against the width without the vertical scroll bar (as test_dpo_narrow)
            over = self.d.execute_script('return document.documentElement.scrollWidth - document.documentElement.clientWidth')
            assert over <= 1, f'{name}: {over}px horizontal scroll'
            self.check_screen(name)
        self.d.set_window_size(1280, 900)
        self.logout_ui()

    def test_csrf_cross_site_post_writes_nothing(self):
        cookie, csrf = cookie_login(self.api, self.coord)
        name = unique('Csrf')
        body = {'source': 'person', 'identification': {'first_name': 'Eve', 'last_name': name, 'birth_date': '1990-01-01'}}
        cases = [({'Origin': 'https://evil.example', 'Sec-Fetch-Site': 'cross-site'}, 'no header, cross-site'),
                 ({}, 'no header at all'),
                 ({'X-CSRF-Token': csrf, 'Origin': 'https://evil.example'}, 'token but foreign Origin'),
                 ({'X-CSRF-Token': 'x' * len(csrf)}, 'wrong token')]
        for headers, what in cases:
            s, _, r = self.api.request('POST', '/v1/persons', body, headers=headers, cookie=cookie)
            assert s == 403 and r.get('type', '').endswith(':csrf'), (what, s, r)
        s, _, r = self.api.request('GET', f'/v1/me/persons?q={name}', cookie=cookie)
        assert s == 200 and r['items'] == [], ('nothing written', r)
        s, _, r = self.api.request('POST', '/v1/persons', body, headers={'X-CSRF-Token': csrf}, cookie=cookie)
        assert s == 201, ('the same request with the token is accepted', s, r)

    def test_idle_timeout(self):
        self.api_idle = Api(self.api_bin, self.certs, self.tmp, {'CRT_WEB_IDLE_TIMEOUT_S': '3'}, name='api-idle')
        cookie, _ = cookie_login(self.api_idle, self.case1)
        assert self.api_idle.request('GET', '/v1/me', cookie=cookie)[0] == 200
        time.sleep(4.2)
        s, _, r = self.api_idle.request('GET', '/v1/auth/session', cookie=cookie)
        assert s == 401 and r.get('type', '').endswith(':session-expired'), (s, r)
        assert self.api_idle.request('GET', '/v1/me', cookie=cookie)[0] == 401
        # In the browser: an expired session says so, and logging in again lands where the user was.
        main_api, self.api = self.api, self.api_idle
        try:
            self.d.delete_all_cookies()
            self.go('#/')
            self.login_ui(self.case1)
            self.go('#/sessions')
            self.wait('#revoke-others')
            time.sleep(4.2)
            self.d.refresh()
            notice = self.wait('#login-notice')
            assert 'verlopen' in notice.text, notice.text
            self.check_screen('session-expired')
            self.login_ui(self.case1, expect_home=False)
            self.wait('#revoke-others')
            assert self.d.current_url.endswith('#/sessions'), self.d.current_url
            # Typing in a form when the session ends: a sign-in dialog over the screen keeps it.
            self.go(f'#/persons/{self.person}')
            self.wait('#rectify-form')
            self.fill('which', 'situation.languages')
            self.fill('situation.languages', 'Oekraïens, Russisch')
            self.fill('source', 'person', root=self.d.find_element(By.ID, 'rectify-form'))
            self.fill('reason', 'Gegeven aan de balie', root=self.d.find_element(By.ID, 'rectify-form'))
            time.sleep(4.2)
            self.submit('#rectify-form')
            self.wait('#reauth-form')
            self.check_screen('reauth-dialog')
            self.fill('password', PASSWORD, root=self.d.find_element(By.ID, 'reauth-form'))
            self.submit('#reauth-form')
            self.wait('#reauth-form [name=code]').send_keys(self.case1.recovery.pop())
            self.submit('#reauth-form')
            WebDriverWait(self.d, 10).until(lambda d: not d.find_elements(By.ID, 'reauth-form'))
            form = self.d.find_element(By.ID, 'rectify-form')
            assert form.find_element(By.NAME, 'reason').get_attribute('value') == 'Gegeven aan de balie', 'typing kept'
            self.submit('#rectify-form')
            self.wait_text('section[data-group=situation]', 'Oekraïens, Russisch')
            self.wait_text('#history-section', 'Gegeven aan de balie')
        finally:
            self.api = main_api

    def test_headers_on_every_page(self):
        paths = ['/', '/index.html', '/css/app.css', '/js/app.js', '/js/person.js', '/i18n/nl.json',
                 '/i18n/en.json', '/img/logo.svg', '/v1/auth/session', '/no-such-file.js', '/healthz']
        for p in paths:
            s, h, _ = self.api.request('GET', p)
            assert h.get('content-security-policy') == CSP, (p, h.get('content-security-policy'))
            assert h.get('x-content-type-options') == 'nosniff', p
            assert h.get('referrer-policy') == 'no-referrer', p
            assert h.get('strict-transport-security', '').startswith('max-age='), p
        s, h, _ = self.api.request('GET', '/v1/auth/session')
        assert 'no-store' in h.get('cache-control', ''), h
        s, h, _ = self.api.request('GET', '/js/app.js')
        assert s == 200 and 'javascript' in h.get('content-type', '') and h.get('etag'), h
        assert self.api.request('GET', '/js/app.js', headers={'If-None-Match': h['etag']})[0] == 304

    def test_catalogues_complete(self):
        nl, en = catalogue('nl'), catalogue('en')
        assert set(nl) == set(en), set(nl) ^ set(en)
        used = set()
        web = os.path.join(ROOT, 'services/web')
        for f in [os.path.join(web, 'index.html')] + [os.path.join(web, 'js', x) for x in os.listdir(os.path.join(web, 'js'))]:
            s = open(f).read()
            used |= set(re.findall(r"\bt\('([a-z0-9_.-]+)'", s)) | set(re.findall(r'data-t="([a-z0-9_.-]+)"', s))
            used |= set(re.findall(r"(?:screen|section)\([^)]*?'([a-z]+\.[a-z0-9_.]+)'", s))
            assert not re.search(r'\sstyle=|setAttribute\(.style|\son[a-z]+="', s), f'{f}: inline style or handler'
        assert used <= set(nl), sorted(used - set(nl))

    def test_no_csp_violation_or_script_error(self):
        self.drain_log('end')
        assert not self.log_problems, self.log_problems

    def test_axe_every_screen(self):
        assert len(self.screens_checked) >= 15, self.screens_checked
        assert not self.axe_failures, json.dumps(self.axe_failures, indent=1)

    # ---- running ----

    def run(self):
        names = test_names(type(self))
        t0 = time.time()
        try:
            self.setup()
        except Skip as e:
            print(f'SKIP all browser tests: {e}')
            return 0 if os.environ.get('CRT_WEB_ALLOW_SKIP') else 77
        except Exception:
            if getattr(self, 'api', None):
                self.api.stop()
            raise
        failed = 0
        try:
            for n in names:
                t = time.time()
                try:
                    getattr(self, n)()
                    print(f'PASS {n} ({time.time() - t:.1f}s)', flush=True)
                except Skip as e:
                    print(f'SKIP {n}: {e}', flush=True)
                except Exception as e:  # noqa: BLE001
                    failed += 1
                    print(f'FAIL {n}: {type(e).__name__}: {e}', flush=True)
                    traceback.print_exc(limit=3)
                    try:
                        self.d.save_screenshot(os.path.join(SHOTS, f'FAIL-{n}.png'))
                    except Exception:  # noqa: BLE001
                        pass
        finally:
            self.teardown()
        print(f'{len(names) - failed}/{len(names)} passed in {time.time() - t0:.0f}s; '
              f'{len(self.screens_checked)} screens checked with axe-core ({self.axe_minor} minor/moderate findings); '
              f'screenshots in {SHOTS}')
        if failed:
            print(f'crt-api log: {self.api.log_path}')
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return 1 if failed else 0


def test_names(cls):
    """Tests in order: the console modules' (mixin classes, tests/web/console_*.py) after the
    staff application's, and the checks over every screen (log, axe, catalogues) last."""
    last = ['test_catalogues_complete', 'test_no_csp_violation_or_script_error', 'test_axe_every_screen']
    names = []
    for c in [cls] + [b for b in cls.__mro__[1:] if b is not object]:
        names += [n for n in c.__dict__ if n.startswith('test_') and n not in names and n not in last]
    return names + last


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: run_tests.py CRT_API_BIN CRTCTL_BIN')
    sys.exit(Suite(sys.argv[1], sys.argv[2]).run())
