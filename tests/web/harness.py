# The browser tests' harness: a test certificate authority and localhost certificate, crt-api
# started over TLS on a free port against the database of the environment, fresh accounts made
# with crtctl, a small HTTPS client (urllib) that can replay a cookie, TOTP codes, and a
# headless Chromium (Selenium) with the browser log, axe-core and screenshots.
import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PASSWORD = 'crt-web-test-password-1'


# ---- TOTP (RFC 6238, SHA-1, 6 digits, 30 s), standard library only ----

def totp(secret_b32, at=None, step=30):
    key = base64.b32decode(secret_b32.upper() + '=' * (-len(secret_b32) % 8))
    counter = int((at if at is not None else time.time()) // step)
    mac = hmac.new(key, struct.pack('>Q', counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return f'{code:06d}', counter


# ---- certificates ----

def make_certs(folder):
    """A CA and a localhost certificate signed by it (openssl CLI); returns (ca, cert, key)."""
    ca_key, ca = os.path.join(folder, 'ca.key'), os.path.join(folder, 'ca.pem')
    key, csr, cert = (os.path.join(folder, n) for n in ('tls.key', 'tls.csr', 'tls.pem'))
    ext = os.path.join(folder, 'ext.cnf')
    with open(ext, 'w') as f:
        f.write('subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n'
                'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n')
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', ca_key, '-out', ca, '-days', '2', '-subj', '/CN=CRT web test CA')
    run('openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', csr, '-subj', '/CN=localhost')
    run('openssl', 'x509', '-req', '-in', csr, '-CA', ca, '-CAkey', ca_key, '-CAcreateserial',
        '-out', cert, '-days', '2', '-extfile', ext)
    os.chmod(key, 0o600)
    return ca, cert, key


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# ---- crt-api ----

class Api:
    """A crt-api process serving HTTPS on a free port, with its log in a file."""

    def __init__(self, binary, certs, tmp, extra_env=None, name='api'):
        self.port = free_port()
        self.origin = f'https://localhost:{self.port}'
        self.ca = certs[0]
        env = dict(os.environ)
        env.update({
            'CRT_LISTEN': f'127.0.0.1:{self.port}', 'CRT_THREADS': '2', 'CRT_LOG_LEVEL': 'warn',
            'CRT_SCRYPT_LOG2N': '14', 'CRT_TLS_CERT_FILE': certs[1], 'CRT_TLS_KEY_FILE': certs[2],
            'CRT_WEB_ROOT': os.path.join(ROOT, 'services', 'web'),
        })
        env.update(extra_env or {})
        self.log_path = os.path.join(tmp, f'{name}.log')
        self.log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen([binary], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.ctx = ssl.create_default_context(cafile=self.ca)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'crt-api exited ({self.proc.returncode}); see {self.log_path}:\n'
                                   + open(self.log_path, errors='replace').read()[-2000:])
            try:
                if self.request('GET', '/healthz')[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f'crt-api did not come up on {self.origin}')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def request(self, method, path, body=None, headers=None, cookie=None, token=None):
        """(status, headers, json-or-text) of one request; never raises for HTTP errors."""
        h = {'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h['Content-Type'] = 'application/json'
        if cookie:
            h['Cookie'] = cookie
        if token:
            h['Authorization'] = f'Bearer {token}'
        h.update(headers or {})
        conn = http.client.HTTPSConnection('localhost', self.port, context=self.ctx, timeout=15)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            hdrs['set-cookie-all'] = r.headers.get_all('Set-Cookie') or []
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw.decode(errors='replace')
            return r.status, hdrs, payload
        finally:
            conn.close()


# ---- accounts ----

class Account:
    def __init__(self, username, controller, role):
        self.username, self.controller, self.role = username, controller, role
        self.secret = None
        self.recovery = []
        self.last_step = -1

    def code(self):
        """A TOTP code of a step not used yet by this account (waits for the next step if needed)."""
        code, step = totp(self.secret)
        if step <= self.last_step:
            time.sleep(30 - time.time() % 30 + 0.5)
            code, step = totp(self.secret)
        self.last_step = step
        return code


def create_account(ctl, username, controller, role):
    p = subprocess.run([ctl, 'user', 'create', '--controller', controller, '--role', role,
                        '--name', f'Web test {role}', username], input=PASSWORD + '\n',
                       text=True, capture_output=True, env=dict(os.environ, CRT_SCRYPT_LOG2N='14'))
    if p.returncode != 0:
        raise RuntimeError(f'crtctl user create {username}: {p.stderr.strip()}')
    return Account(username, controller, role)


def partner_with_grant(ctl, client_id, name, controller, groups, purpose):
    """A partner agency (crtctl partner create) with a grant of controller for purpose."""
    for args in (['partner', 'create', '--name', name, '--kind', 'employment', client_id],
                 ['grant', 'add', '--partner', client_id, '--controller', controller, '--groups', groups,
                  '--purpose', purpose, '--legal-basis', 'Decreet integratie- en inburgeringsbeleid art. 27']):
        p = subprocess.run([ctl] + args, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f'crtctl {args[0]} {args[1]}: {p.stderr.strip()}')


def enrol_by_api(api, acct):
    """First login through the API (Bearer flow): keeps the secret and the recovery codes."""
    s, _, r = api.request('POST', '/v1/auth/login', {'username': acct.username, 'password': PASSWORD})
    assert s == 200 and 'enrol_token' in r, (s, r)
    s, _, e = api.request('POST', '/v1/auth/totp/enrol', {'enrol_token': r['enrol_token']})
    assert s == 200, (s, e)
    acct.secret = e['secret']
    s, _, c = api.request('POST', '/v1/auth/totp/enrol/confirm',
                          {'enrol_token': r['enrol_token'], 'code': acct.code()})
    assert s == 200, (s, c)
    acct.recovery = list(c['recovery_codes'])
    return c.get('access_token')


def cookie_login(api, acct):
    """A browser-like login through the API: returns (cookie header value, csrf token)."""
    s, _, r = api.request('POST', '/v1/auth/login', {'username': acct.username, 'password': PASSWORD})
    assert s == 200 and 'mfa_token' in r, (s, r)
    s, h, body = api.request('POST', '/v1/auth/totp', {'mfa_token': r['mfa_token'],
                                                       'code': acct.recovery.pop(), 'session': 'cookie'})
    assert s == 200, (s, body)
    cookie = next(c.split(';', 1)[0] for c in h['set-cookie-all'] if c.startswith('__Host-crt_session='))
    return cookie, body['csrf_token']


def bearer_login(api, acct):
    s, _, r = api.request('POST', '/v1/auth/login', {'username': acct.username, 'password': PASSWORD})
    assert s == 200 and 'mfa_token' in r, (s, r)
    s, _, body = api.request('POST', '/v1/auth/totp', {'mfa_token': r['mfa_token'], 'code': acct.recovery.pop()})
    assert s == 200, (s, body)
    return body['access_token']


# ---- the browser ----

def browser(tmp):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = '/usr/bin/chromium'
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--no-first-run', '--disable-background-networking', '--disable-component-update',
              '--disable-sync', '--window-size=1280,900', '--lang=nl-BE',
              f'--user-data-dir={tempfile.mkdtemp(prefix="chrome-", dir=tmp)}'):
        opts.add_argument(a)
    opts.accept_insecure_certs = True  # the test CA is not in the browser's store
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)


def unique(prefix):
    return f'{prefix}{secrets.token_hex(3)}'
