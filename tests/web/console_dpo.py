# The DPO console in the browser (issue 14): a log planted through the API (a caseworker's
# break-glass), crt-review run over it, then a DPO finds the finding, decides and replaces the
# decision, filters the access log and downloads CSV matching the filter, sees overdue and due-soon
# requests and extends one, reads login events and the seal state; another controller's DPO and an
# intake user see none of it. Mixed into run_tests.py's Suite (its helpers: self.d, login_ui, ...).
import csv
import datetime
import io
import os
import subprocess
import tempfile
import time

from harness import bearer_login, create_account, enrol_by_api

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BG_REASON = 'Persoon meldt zich in nood aan de balie, begeleider afwezig'


class DpoTests:

    # ---- set-up: accounts, the planted log, crt-review, requests ----

    def dpo_api(self, method, path, body=None, acct=None):
        tok = self.dpo_tokens.get((acct or self.dpo).username)
        if tok is None:
            tok = self.dpo_tokens[(acct or self.dpo).username] = bearer_login(self.api, acct or self.dpo)
        return self.api.request(method, path, body, token=tok)

    def dpo_plant(self):
        mk = lambda ctl, role, n='': create_account(self.ctl_bin, f'{self.tag}.{ctl}.{role}{n}', ctl, role)  # noqa: E731
        # The DPO (named in the header of every screen) and the planted caseworker (whose case the
        # review screen is named after) have usernames as long as one may be: 64 characters, no
        # space; the screens must still fit 320 px (test_dpo_narrow).
        longest = lambda ctl, role: create_account(self.ctl_bin, f'{self.tag}.{ctl}.{role}.'.ljust(64, 'x'), ctl, role)  # noqa: E731
        self.dpo = longest('atlas', 'dpo')
        self.dpo_other = mk('ingent', 'dpo')
        self.dpo_cw = longest('atlas', 'caseworker')
        self.dpo_coord = mk('atlas', 'coordinator', 'rq')
        self.dpo_intake = mk('atlas', 'intake', 'nosy')
        for a in (self.dpo, self.dpo_other, self.dpo_cw, self.dpo_coord, self.dpo_intake):
            enrol_by_api(self.api, a)
        self.dpo_tokens = {}
        coord = bearer_login(self.api, self.dpo_coord)
        s, _, p = self.api.request('POST', '/v1/persons', {'source': 'person', 'identification': {
            'first_name': 'Mariam', 'last_name': f'Haidari{self.tag}', 'birth_date': '1985-06-01'}}, token=coord)
        assert s == 201, (s, p)
        self.dpo_person = p['id']
        # The planted log: the caseworker, without need to know, breaks the glass and reads.
        cw = bearer_login(self.api, self.dpo_cw)
        s, _, r = self.api.request('POST', f'/v1/persons/{self.dpo_person}/break-glass', {'reason': BG_REASON}, token=cw)
        assert s in (200, 201), (s, r)
        s, _, r = self.api.request('GET', f'/v1/persons/{self.dpo_person}', token=cw)
        assert s == 200, (s, r)
        s, _, me = self.api.request('GET', '/v1/me', token=cw)
        self.dpo_cw_id = me.get('id') or me.get('user_id') or me['user']['id']
        # Requests: one received 40 days ago (overdue), one 25 days ago (due within a week).
        today = datetime.date.today()
        self.dpo_requests = {}
        for name, days in (('overdue', 40), ('soon', 25)):
            body = {'kind': 'access', 'received_on': str(today - datetime.timedelta(days=days)), 'identity_check': 'eid'}
            s, _, r = self.api.request('POST', f'/v1/persons/{self.dpo_person}/requests', body, token=coord)
            assert s == 201, (s, r)
            self.dpo_requests[name] = r
        self.dpo_review_run()

    def dpo_review_run(self):
        """crt-review run until the DPO's API shows the BG-01 finding about the caseworker."""
        review_bin = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(self.api_bin))), 'review', 'crt-review')
        failures = []
        for attempt in range(5):
            # Integration tests may add seals to the same database meanwhile (ctest -j): a run
            # that loses that race fails and the next one seals.
            p = subprocess.run([review_bin, 'run'], capture_output=True, text=True, timeout=120)
            if p.returncode != 0:
                failures.append(f'{p.returncode}: {p.stderr[-400:]}')
                time.sleep(1)
                continue
            s, _, page = self.dpo_api('GET', '/v1/reviews?limit=5')
            assert s == 200, page
            for rv in page['items']:
                s, _, f = self.dpo_api('GET', f"/v1/reviews/{rv['id']}/findings?user={self.dpo_cw_id}&rule=BG-01")
                if s == 200 and f['items']:
                    self.dpo_review, self.dpo_finding = rv['id'], f['items'][0]['id']
                    return
            time.sleep(1)
        raise AssertionError(f'crt-review made no BG-01 finding about the planted break-glass; failed runs: {failures}')

    # ---- the tests ----

    def test_dpo_finds_decides_and_replaces(self):
        self.dpo_plant()
        self.go('#/')
        self.login_ui(self.dpo)
        self.wait_text('#page-title', 'Periodieke toegangsreview')
        nav = self.d.find_element(By.ID, 'nav').text
        assert 'Toegangslog' in nav and 'Verzoeken' in nav and 'Mijn personen' not in nav, nav
        self.wait('#chart-share')
        rows = self.d.find_elements(By.CSS_SELECTOR, '#chart-share-table tbody tr')
        assert rows and self.d.find_elements(By.CSS_SELECTOR, '#chart-rules-table tbody tr'), 'the charts come with their tables'
        assert self.d.find_elements(By.CSS_SELECTOR, '#chart-rules pattern'), 'bars are told apart by patterns'
        self.check_screen('dpo-reviews', shot='full')
        self.d.find_element(By.CSS_SELECTOR, f'table.reviews a[href="#/dpo/reviews/{self.dpo_review}"]').click()
        self.wait('#finding-filters')
        self.fill('user', self.dpo_cw_id)
        self.fill('rule', 'BG-01')
        self.submit('#finding-filters')
        art = f'#finding-{self.dpo_finding}'

        def filtered(d):
            arts = d.find_elements(By.CSS_SELECTOR, 'article.finding')
            ok = arts and all(a.get_attribute('data-rule') == 'BG-01' for a in arts) and d.find_elements(By.CSS_SELECTOR, art)
            return d.find_element(By.CSS_SELECTOR, art).text if ok else False
        text = WebDriverWait(self.d, 10, ignored_exceptions=(StaleElementReferenceException,)).until(filtered)
        assert BG_REASON in text and 'break-glass' in text and self.dpo_person in text, text
        assert 'ernst: hoog' in text and self.dpo_cw.username in self.d.find_element(By.ID, 'findings').text
        self.check_screen('dpo-review-findings')
        # Decide, then replace the decision: the whole history stays visible.
        form = self.d.find_element(By.CSS_SELECTOR, f'{art} form.decide')
        form.find_element(By.CSS_SELECTOR, 'input[value=follow_up]').click()
        form.find_element(By.NAME, 'note').send_keys('Navragen bij de teamleider.\nWie stond aan de balie?')
        form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        self.wait(f'{art} .history li')
        form = self.d.find_element(By.CSS_SELECTOR, f'{art} form.decide')
        form.find_element(By.CSS_SELECTOR, 'input[value=violation]').click()
        form.find_element(By.NAME, 'note').send_keys('Geen nood: de teamleider was aanwezig.')
        form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        WebDriverWait(self.d, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, f'{art} .history li')) == 2)
        hist = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, f'{art} .history li')]
        assert 'opvolging nodig' in hist[0] and 'vervangen' in hist[0] and 'Wie stond aan de balie?' in hist[0], hist
        assert 'inbreuk' in hist[1] and 'geldend' in hist[1], hist
        s, _, f = self.dpo_api('GET', f'/v1/reviews/{self.dpo_review}/findings?user={self.dpo_cw_id}&status=violation')
        assert [x['id'] for x in f['items']] == [self.dpo_finding], f
        self.check_screen('dpo-finding-decided', shot='full')
        # The evidence links to the access log of that user and day.
        self.d.find_element(By.CSS_SELECTOR, f'{art} a.log-link').click()
        self.wait_text('#page-title', 'Toegangslog')
        self.wait_text('#log-rows', 'break-glass')
        assert self.value('user') == self.dpo_cw_id and self.value('from') and self.value('from') == self.value('to')
        self.check_screen('dpo-access-log')

    def test_dpo_access_log_csv_matches_filter(self):
        folder = tempfile.mkdtemp(prefix='dpo-csv-', dir=self.tmp)
        self.d.execute_cdp_cmd('Page.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': folder})
        self.go(f'#/dpo/log?user={self.dpo_cw_id}')
        self.wait('#log-filters')
        self.fill('action', 'read')
        self.submit('#log-filters')
        WebDriverWait(self.d, 10).until(lambda d: 'break-glass' not in d.find_element(By.ID, 'log-rows').text
                                        and 'lezen' in d.find_element(By.ID, 'log-rows').text)
        shown = len(self.d.find_elements(By.CSS_SELECTOR, '#log-rows tbody tr'))
        self.d.find_element(By.ID, 'csv-download').click()
        path = os.path.join(folder, 'access-log.csv')
        WebDriverWait(self.d, 15).until(lambda d: os.path.exists(path) and os.path.getsize(path) > 0)
        time.sleep(0.3)
        rows = list(csv.DictReader(io.StringIO(open(path, encoding='utf-8').read())))
        assert rows, 'the CSV has rows'
        assert all(r['user_id'] == self.dpo_cw_id and r['action'] == 'read' for r in rows), rows
        s, _, page = self.dpo_api('GET', f'/v1/audit/access?user={self.dpo_cw_id}&action=read&limit=500')
        assert [int(r['id']) for r in rows] == [x['id'] for x in page['items']], 'the CSV holds exactly the filtered rows'
        assert len(rows) == shown or shown == 50, (len(rows), shown)
        assert self.dpo_person in {r['person_id'] for r in rows}

    def test_dpo_logins_and_seal(self):
        self.go('#/dpo/logins')
        self.wait('table.logins')
        assert 'herstelcode gebruikt' in self.d.find_element(By.ID, 'main').text, 'the DPO logged in with a recovery code'
        self.check_screen('dpo-logins')
        self.go('#/dpo/seal')
        self.wait_text('#page-title', 'Verzegeling')
        s, _, st = self.dpo_api('GET', '/v1/audit/seal')
        assert s == 200, st
        if st['alarms']:
            alarm = self.wait('#seal-alarm')
            assert alarm.get_attribute('role') == 'alert' and 'Alarm' in alarm.text
        else:
            self.wait('#seal-ok')
        assert st['last_seal'] is not None, 'crt-review sealed the planted rows'
        self.check_screen('dpo-seal')

    def test_dpo_narrow(self):
        """The console at 320 px (and 640 px, i.e. 1280 px at 200 %): no horizontal scrolling;
        tables and charts scroll or shrink inside their own region."""
        try:
            for w in (320, 640):
                self.d.set_window_size(w, 900)
                for hash_, ready in (('#/dpo', '#chart-share'), (f'#/dpo/reviews/{self.dpo_review}', 'article.finding'),
                                     ('#/dpo/log', '#log-rows table'), ('#/dpo/requests', 'table.requests'), ('#/dpo/seal', '#seal-last')):
                    self.go(hash_)
                    self.wait(ready)
                    # against the width without the vertical scroll bar: an overflow narrower than the
                    # bar still makes the page scroll sideways
                    over = self.d.execute_script('return document.documentElement.scrollWidth - document.documentElement.clientWidth')
                    assert over <= 1, f'{hash_} at {w}px: {over}px horizontal scroll; too wide: {self.too_wide()}'
                    if w == 320 and hash_.startswith('#/dpo/reviews/'):
                        self.check_screen('dpo-review-320px')
        finally:
            self.d.set_window_size(1280, 900)

    def too_wide(self):
        """The outermost elements that reach beyond the window and are not inside a region that
        scrolls on its own: what to fix."""
        return self.d.execute_script('''
            const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
            const scrolls = (e) => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement)
              if (getComputedStyle(p).overflowX !== 'visible') return true; return false; };
            const hits = [...document.querySelectorAll('body *')].filter((e) =>
              e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !scrolls(e));
            const outer = hits.filter((e) => !hits.some((o) => o !== e && o.contains(e)));
            return outer.slice(0, 4).map((e) => name(e) + ' "' + e.textContent.trim().slice(0, 50) + '"').join('; ');''')

    def test_dpo_requests_overdue_and_extension(self):
        self.go('#/dpo/requests')
        self.wait('table.requests')
        late, soon = self.dpo_requests['overdue'], self.dpo_requests['soon']

        def only(cls, req):
            """After a filter: every row listed carries cls, and req is among them; its row."""
            def ready(d):
                rows = d.find_elements(By.CSS_SELECTOR, 'table.requests tbody tr')
                mine = [r for r in rows if r.find_elements(By.CSS_SELECTOR, f'a[href="#/dpo/requests/{req["id"]}"]')]
                return mine[0] if rows and mine and all(cls in (r.get_attribute('class') or '') for r in rows) else False
            return WebDriverWait(self.d, 10, ignored_exceptions=(StaleElementReferenceException,)).until(ready)
        # The register is long (earliest due first): the DPO narrows it by state and number.
        self.fill('due', 'overdue')
        self.fill('number', str(late['number']))
        self.submit('#req-filters')
        r = only('overdue', late)
        assert 'TE LAAT' in r.text, r.text
        self.fill('due', 'soon')
        self.fill('number', '')
        self.submit('#req-filters')
        r = only('due-soon', soon)
        assert 'binnen 7 dagen' in r.text, r.text
        self.check_screen('dpo-requests')
        # The overdue one can no longer be extended: the refusal is shown beside the field.
        self.go(f'#/dpo/requests/{late["id"]}')
        self.wait('#extend-form')
        assert 'TE LAAT' in self.d.find_element(By.ID, 'req-facts').text
        self.fill('reason', 'Het dossier ligt op twee diensten', root=self.d.find_element(By.ID, 'extend-form'))
        self.submit('#extend-form')
        self.wait('#extend-form [data-field="months"] .error')
        assert self.d.find_element(By.CSS_SELECTOR, '#extend-form [name=months]').get_attribute('aria-invalid') == 'true'
        self.check_screen('dpo-request-refused')
        # The one due within seven days is extended by a month, with its reason.
        self.go(f'#/dpo/requests/{soon["id"]}')
        self.wait('#extend-form')
        self.fill('reason', 'Het dossier ligt op twee diensten', root=self.d.find_element(By.ID, 'extend-form'))
        self.submit('#extend-form')
        self.wait('#extend-done')
        facts = self.d.find_element(By.ID, 'req-facts').text
        assert 'Het dossier ligt op twee diensten' in facts and '1 maand' in facts, facts
        s, _, r = self.dpo_api('GET', f'/v1/requests/{soon["id"]}')
        assert r['extension']['months'] == 1 and r['due_on'] > soon['due_on'], r
        self.check_screen('dpo-request-extended')
        self.logout_ui()

    def test_dpo_other_controller_sees_nothing(self):
        self.login_ui(self.dpo_other)
        for hash_ in (f'#/dpo/reviews/{self.dpo_review}', f'#/dpo/requests/{self.dpo_requests["overdue"]["id"]}'):
            self.go(hash_)
            self.wait_text('#page-title', 'Niet gevonden')
        self.check_screen('dpo-other-not-found', shot=False)
        self.go(f'#/dpo/log?user={self.dpo_cw_id}')
        self.wait('#log-rows .empty')
        self.go('#/dpo/requests')
        self.wait('#req-summary')
        time.sleep(0.3)
        main = self.d.find_element(By.ID, 'main').text
        for secret in (self.dpo_cw.username, f'#{self.dpo_requests["overdue"]["number"]}'):
            assert secret not in main, (secret, main)
        s, _, r = self.dpo_api('GET', f'/v1/reviews/{self.dpo_review}/findings', acct=self.dpo_other)
        assert s == 404, (s, r)
        self.logout_ui()

    def test_dpo_console_not_for_intake(self):
        self.login_ui(self.dpo_intake)
        nav = self.d.find_element(By.ID, 'nav').text
        assert 'Toegangslog' not in nav, nav
        for hash_ in ('#/dpo', '#/dpo/log', '#/dpo/logins', '#/dpo/requests', '#/dpo/seal',
                      f'#/dpo/reviews/{self.dpo_review}', f'#/dpo/requests/{self.dpo_requests["soon"]["id"]}'):
            self.go(hash_)
            self.wait_text('#page-title', 'Niet gevonden')
            assert not self.d.find_elements(By.CSS_SELECTOR, '#main table'), hash_
        self.check_screen('dpo-intake-not-found', shot=False)
        cookie = self.session_cookie()
        for path in ('/v1/reviews', f'/v1/reviews/{self.dpo_review}/findings', '/v1/audit/access?format=csv',
                     '/v1/audit/seal', '/v1/audit/logins'):
            s, _, body = self.api.request('GET', path, cookie=cookie)
            assert s in (403, 404), (path, s, body)
            assert 'items' not in (body if isinstance(body, dict) else {}), (path, body)
        self.logout_ui()
