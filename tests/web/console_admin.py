# The administrator console in the browser (issue 14 part 2), a mixin of run_tests.py's Suite:
# an administrator creates a colleague who enrols through the one-time link and logs in, then
# disables them (their open session is refused at once); a partner's secret is rotated (the old
# secret and its token are refused); grants and settings; another controller's administrator
# and an intake user find none of it. Every console screen goes through check_screen (axe-core,
# the browser log, a screenshot).
import http.client
import json
import time
import urllib.parse

from harness import Account, create_account, enrol_by_api

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def oauth(api, client, secret):
    """(status, json) of a client-credentials request."""
    body = urllib.parse.urlencode({'grant_type': 'client_credentials', 'client_id': client, 'client_secret': secret})
    conn = http.client.HTTPSConnection('localhost', api.port, context=api.ctx, timeout=15)
    try:
        conn.request('POST', '/v1/oauth/token', body=body, headers={'Content-Type': 'application/x-www-form-urlencoded'})
        r = conn.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)
    finally:
        conn.close()


class AdminTests:
    # ---- helpers ----

    def admin_accounts(self):
        if getattr(self, 'adm', None):
            return
        self.adm = create_account(self.ctl_bin, f'{self.tag}.atlas.admin', 'atlas', 'admin')
        self.adm_other = create_account(self.ctl_bin, f'{self.tag}.ingent.admin', 'ingent', 'admin')
        for a in (self.adm, self.adm_other):
            enrol_by_api(self.api, a)

    def confirm(self):
        self.wait('#confirm-yes')
        self.check_screen('admin-confirm', shot=False)
        self.d.find_element(By.ID, 'confirm-yes').click()

    def secret_shown(self, css, name):
        """The value a secret dialog shows once, after checking the dialog; then closes it."""
        el = self.wait(css)
        value = el.text.strip()
        self.check_screen(name)
        self.d.find_element(By.ID, 'secret-close').click()
        time.sleep(0.2)
        assert not self.d.find_elements(By.CSS_SELECTOR, 'dialog[open]'), 'the dialog closed'
        return value

    # ---- the tests ----

    def test_admin_creates_a_colleague_who_enrols_through_the_link(self):
        self.admin_accounts()
        self.go('#/')  # the main crt-api (an earlier test may have left another one's page)
        self.login_ui(self.adm)
        nav = self.d.find_element(By.CSS_SELECTOR, '#nav a[href="#/admin/users"]')
        nav.click()
        self.wait('#users-table')
        self.check_screen('admin-users')
        self.d.find_element(By.ID, 'new-user').click()
        self.wait('#new-user-form')
        self.submit('#new-user-form')  # nothing filled in: refused beside a field
        self.wait('#new-user-form .field.invalid')
        self.check_screen('admin-new-user-refused', shot=False)
        self.new_username = f'{self.tag}.atlas.colleague'
        self.fill('display_name', 'An Peeters')
        self.fill('username', self.new_username)
        self.fill('role', 'intake')
        self.check_screen('admin-new-user')
        self.submit('#new-user-form')
        link = self.secret_shown('#enrol-link', 'admin-enrol-link')
        assert '#/enrol/' in link and link.startswith(self.api.origin), link
        self.wait_text('#page-title', 'An Peeters')
        self.new_user_id = self.d.current_url.rsplit('/', 1)[-1]
        self.check_screen('admin-user')
        self.logout_ui()

        # The colleague opens the link: the code leaves the address bar, a password, the TOTP.
        self.d.get(link)
        self.wait('#enrol-password-form')
        assert self.d.current_url.endswith('#/enrol'), self.d.current_url
        assert 'An Peeters' in self.d.find_element(By.ID, 'enrol-who').text
        self.check_screen('enrol-link')
        self.fill('password', 'plum-orchard-velvet-42')
        self.fill('repeat', 'plum-orchard-velvet-42')
        self.submit('#enrol-password-form')
        secret = self.wait('#totp-secret').text.strip()
        self.colleague = Account(self.new_username, 'atlas', 'intake')
        self.colleague.secret = secret
        self.fill('code', self.colleague.code())
        self.submit('#enrol-form')
        self.wait('#recovery-codes')
        self.colleague.recovery = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, '#recovery-codes code')]
        self.d.find_element(By.ID, 'recovery-done').click()
        self.wait('#logout')
        self.logout_ui()
        # The link works once; a later login with the chosen password and a code works.
        self.d.get(link)
        self.wait('#enrol-invalid')
        self.check_screen('enrol-link-used', shot=False)
        self.go('#/')
        self.wait('#login-form')
        self.fill('username', self.new_username)
        self.fill('password', 'plum-orchard-velvet-42')
        self.submit('#login-form')
        self.wait('#code-form')
        self.fill('code', self.colleague.recovery.pop())
        self.submit('#code-form')
        self.wait('#logout')
        who = self.d.find_element(By.ID, 'user').text
        assert 'An Peeters' in who or self.new_username in who, who

    def test_admin_disables_the_colleague_and_their_open_session_is_refused_at_once(self):
        cookie = self.session_cookie()  # the colleague's open browser session
        assert self.api.request('GET', '/v1/auth/session', cookie=cookie)[0] == 200
        self.d.delete_all_cookies()      # the session stays open on the server
        self.go('#/')
        self.login_ui(self.adm)
        self.go(f'#/admin/users/{self.new_user_id}')
        self.wait('#user-sessions')
        self.d.find_element(By.ID, 'disable-user').click()
        self.confirm()
        self.wait('#user-status .notice')
        self.wait('#no-sessions')
        s, _, body = self.api.request('GET', '/v1/auth/session', cookie=cookie)
        assert s == 401, (s, body)
        s, _, _ = self.api.request('GET', '/v1/me', cookie=cookie)
        assert s == 401, 'the old cookie reads nothing'
        self.check_screen('admin-user-disabled')

    def test_admin_rotates_a_partner_secret_and_the_old_one_is_refused(self):
        self.go('#/admin/partners')
        self.wait('#partner-form')
        self.client_id = f'{self.tag}-console'
        self.partner_name = f'OCMW console {self.tag}'
        self.fill('name', self.partner_name)
        self.fill('client_id', self.client_id)
        self.fill('kind', 'social_welfare')
        self.submit('#partner-form')
        first = self.secret_shown('#client-secret', 'admin-partner-secret')
        self.wait(f'#rotate-{self.client_id}')
        self.check_screen('admin-partners')
        s, tok = oauth(self.api, self.client_id, first)
        assert s == 200, (s, tok)
        old_token = tok['access_token']
        assert self.api.request('GET', '/v1/partner/persons', token=old_token)[0] == 200

        self.d.find_element(By.ID, f'rotate-{self.client_id}').click()
        self.confirm()
        second = self.secret_shown('#client-secret', 'admin-partner-new-secret')
        assert second and second != first
        assert oauth(self.api, self.client_id, first)[0] == 401, 'the old secret is refused'
        assert self.api.request('GET', '/v1/partner/persons', token=old_token)[0] == 401, 'its token too'
        assert oauth(self.api, self.client_id, second)[0] == 200, 'the new secret works'

    def test_admin_grants_and_sees_the_disclosure_count(self):
        self.go('#/admin/grants')
        self.wait('#grant-form')
        Select(self.d.find_element(By.NAME, 'partner_id')).select_by_visible_text(self.partner_name)
        self.fill('purpose', 'social_support')
        self.fill('legal_basis', 'art. 6.1.e AVG; decreet van 7 juni 2013, art. 27')
        self.submit('#grant-form')  # no field group chosen: refused beside the groups
        self.wait('[data-field="field_groups"].invalid')
        self.check_screen('admin-grant-refused', shot=False)
        self.d.find_element(By.CSS_SELECTOR, 'input[name="field_groups"][value="identification"]').click()
        self.d.find_element(By.CSS_SELECTOR, 'input[name="field_groups"][value="contact"]').click()
        self.submit('#grant-form')
        self.wait('#grant-status .notice')
        row = [r for r in self.d.find_elements(By.CSS_SELECTOR, '#grants-table tbody tr') if self.partner_name in r.text]
        assert len(row) == 1 and 'social_support' in row[0].text, [r.text for r in row]
        assert row[0].find_element(By.CSS_SELECTOR, '.count').text == '0'
        self.check_screen('admin-grants')

    def test_admin_changes_settings_validated_as_the_api_does(self):
        self.go('#/admin/settings')
        self.wait('#settings-form')
        window = self.value('intake_window_days')
        self.fill('intake_window_days', '0')
        self.submit('#settings-form')
        bad = self.wait('[data-field="intake_window_days"] [aria-invalid="true"]')
        assert bad == self.d.switch_to.active_element, 'focus on the refused field'
        self.check_screen('admin-settings-refused', shot=False)
        self.fill('intake_window_days', window)
        day = self.d.find_element(By.CSS_SELECTOR, '#holiday-form [name="day"]')
        self.d.execute_script('arguments[0].value = arguments[1]', day, '2031-11-11')
        self.fill('name', 'Wapenstilstand')
        self.submit('#holiday-form')
        self.wait('#holidays-table')
        assert 'Wapenstilstand' in self.d.find_element(By.ID, 'holidays-table').text
        self.check_screen('admin-settings', shot='full')
        row = [r for r in self.d.find_elements(By.CSS_SELECTOR, '#holidays-table tbody tr') if 'Wapenstilstand' in r.text]
        row[0].find_element(By.TAG_NAME, 'button').click()
        self.wait_text('#settings-status', 'verwijderd')
        assert not self.d.find_elements(By.ID, 'holidays-table') or \
            'Wapenstilstand' not in self.d.find_element(By.ID, 'holidays-table').text
        self.logout_ui()

    def test_another_controllers_admin_finds_none_of_it(self):
        self.login_ui(self.adm_other)
        self.go('#/admin/partners')
        self.wait('#partner-form')
        main = self.d.find_element(By.ID, 'main').text
        assert self.partner_name not in main and self.client_id not in main
        self.go('#/admin/grants')
        self.wait('#grant-form')
        assert 'social_support' not in self.d.find_element(By.ID, 'main').text
        self.go('#/admin/users')
        self.wait('#users-table')
        assert self.new_username not in self.d.find_element(By.ID, 'main').text
        self.go(f'#/admin/users/{self.new_user_id}')
        self.wait_text('#page-title', 'Niet gevonden')
        assert 'An Peeters' not in self.d.find_element(By.ID, 'main').text
        assert not self.d.find_elements(By.ID, 'disable-user') and not self.d.find_elements(By.ID, 'enable-user')
        self.check_screen('admin-other-controller', shot=False)
        self.logout_ui()

    def test_intake_typing_a_console_url_gets_not_found_and_no_data(self):
        self.login_ui(self.intake)
        assert not self.d.find_elements(By.CSS_SELECTOR, '#nav a[href^="#/admin"]'), 'no console in the menu'
        for path in ('#/admin/users', '#/admin/partners', '#/admin/grants', '#/admin/settings',
                     f'#/admin/users/{self.new_user_id}'):
            self.go(path)
            self.wait_text('#page-title', 'Niet gevonden')
            main = self.d.find_element(By.ID, 'main').text
            assert self.partner_name not in main and 'An Peeters' not in main, main
        self.check_screen('admin-intake-not-found', shot=False)
        cookie = self.session_cookie()
        for path in ('/v1/admin/users', '/v1/admin/partners', '/v1/admin/grants', '/v1/admin/settings'):
            s, _, body = self.api.request('GET', path, cookie=cookie)
            assert s == 403 and 'items' not in (body or {}), (path, s, body)
        self.logout_ui()
