"""Browser tests of the statistics page (js/stats.js): the reporting role lands on it and reads
aggregates only, suppressed cells are drawn and listed as such, filters, the CSV download,
refusals beside their field. Mixed into run_tests.Suite."""
import os
import subprocess

from harness import create_account, enrol_by_api

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

SEED = """
INSERT INTO persons (controller_id, first_name, last_name, gender, birth_date, address_postcode,
  residence_status, registration_date, sources, created_by)
SELECT c.id, 'Web' || g, 'Statistiekweb', 'male', date '1985-01-01' + g, '2000',
       CASE WHEN g <= 3 THEN 'applicant' ELSE 'refugee' END,
       date_trunc('month', current_date)::date, '{"first_name":"person"}',
       (SELECT id FROM staff_users WHERE controller_id = c.id ORDER BY username LIMIT 1)
  FROM controllers c, generate_series(1, 30) g WHERE c.code = 'atlas';
SET ROLE crt_review;
SELECT crt_stats_refresh(10);
"""


def sql_super(script):
    url = os.environ.get('CRT_SUPER_DATABASE_URL')
    if not url:
        raise AssertionError('CRT_SUPER_DATABASE_URL is not set (eval "$(./deploy/local/crt-local db)")')
    subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', url], input=script, text=True,
                   check=True, capture_output=True)


class StatsTests:
    def stats_login(self, acct):
        """Signs in acct once the page has decided whether someone is signed in already."""
        self.go('#/')
        WebDriverWait(self.d, 10).until(lambda d: d.find_elements(By.ID, 'login-form') or d.find_elements(By.ID, 'logout'))
        self.login_ui(acct)

    def stats_rows(self):
        return [[c.text for c in tr.find_elements(By.CSS_SELECTOR, 'th, td')]
                for tr in self.d.find_elements(By.CSS_SELECTOR, '#stats-out tbody tr')]

    def test_stats_reporting_reads_aggregates_only(self):
        sql_super(SEED)
        rep = create_account(self.ctl_bin, f'{self.tag}.atlas.reporting', 'atlas', 'reporting')
        enrol_by_api(self.api, rep)
        self.stats_login(rep)
        assert self.title() == 'Statistieken', self.title()
        self.wait_text('#stats-freshness', 'afgeschermd')
        assert self.d.find_elements(By.CSS_SELECTOR, '#stats-out svg.chart rect.bar'), 'a chart is drawn'
        assert self.d.find_element(By.CSS_SELECTOR, '#stats-out svg.chart').get_attribute('role') == 'img'
        nav = [a.get_attribute('href').split('#')[-1] for a in self.d.find_elements(By.CSS_SELECTOR, '#nav a')]
        assert '/register' not in nav and '/statistics' in nav, nav
        assert '/' not in nav, f'no "my persons" entry for a role that reads no person: {nav}'

        self.fill('figure', 'residence_status')
        self.fill('area', '20xx')
        self.submit('#stats-form')
        self.wait_text('#stats-out figcaption', 'Verblijfsstatus')
        rows = self.stats_rows()
        applicant = [r for r in rows if r[0] == 'verzoeker']
        assert applicant and applicant[0][1] == 'afgeschermd', rows
        assert all('Statistiekweb' not in ' '.join(r) for r in rows), rows
        assert self.d.find_elements(By.CSS_SELECTOR, 'svg.chart rect.bar.suppressed'), 'suppressed drawn as such'
        self.check_screen('statistics', 'full')

        href = self.d.find_element(By.ID, 'stats-csv').get_attribute('href')
        assert 'format=csv' in href, href
        cookie = self.session_cookie()
        s, h, body = self.api.request('GET', href.split(self.api.origin)[1], cookie=cookie)
        assert s == 200 and h['content-type'].startswith('text/csv'), (s, h)
        assert body.startswith('key,category,n,suppressed_cells'), body[:200]
        assert ',applicant,,' in body and 'Statistiekweb' not in body, body
        # The reporting role has no person route at all.
        for path in ('/v1/me/persons', '/v1/persons?birth_date=1985-01-02&q=Statistiekweb'):
            s, _, body = self.api.request('GET', path, cookie=cookie)
            assert s == 403 and 'Statistiekweb' not in str(body), (path, s, body)

        self.fill('area', 'Gent')
        self.submit('#stats-form')
        self.wait('[data-field="area"] [aria-invalid="true"]')
        self.check_screen('statistics-refused')
        self.logout_ui()

    def test_stats_coordinator_joint_scope(self):
        self.stats_login(self.coord)
        self.go('#/statistics')
        self.wait('#stats-form')
        self.fill('scope', 'joint')
        self.fill('by', 'area')
        self.submit('#stats-form')
        self.wait_text('#stats-out figcaption', 'postcodegebied')
        assert any(r[0] == '20xx' for r in self.stats_rows()), self.stats_rows()
        self.logout_ui()
