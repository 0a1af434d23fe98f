#!/usr/bin/env python3
"""Helper of tests/bench/run.sh: logs the benchmark account in to crt-api (password + TOTP).

  login.py API_URL USERNAME PASSWORD_FILE STATE_FILE

First login of an account without a second factor: password -> enrol_token -> TOTP secret ->
confirm with a first code. Later logins: password -> mfa_token -> a code of a 30-second step not
used before (waits for the next step when needed). The TOTP secret and the last step used are
kept in STATE_FILE (JSON, mode 600). Prints one line:
  access_token sub sid ctl role exp
(the claims read from the token's payload; the signature is crt-api's business).
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request

STEP, DIGITS = 30, 6  # common/totp.c: RFC 6238, SHA-1, 30 s, 6 digits


def post(api, path, body):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit(f"login.py: POST {path} -> {e.code}: {e.read().decode(errors='replace')[:300]}")


def totp(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** DIGITS
    return f"{code:0{DIGITS}d}"


def fresh_step(state):
    """The current step, after waiting for a new one if the current one was used already."""
    step = int(time.time()) // STEP
    while step <= state.get("last_step", -1):
        time.sleep(max(0.2, (step + 1) * STEP - time.time() + 0.2))
        step = int(time.time()) // STEP
    state["last_step"] = step
    return step


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    api, user, pw_file, state_file = sys.argv[1:]
    password = open(pw_file).read().strip()
    state = json.load(open(state_file)) if os.path.exists(state_file) else {}

    r = post(api, "/v1/auth/login", {"username": user, "password": password})
    if "enrol_token" in r:
        enrol = r["enrol_token"]
        state["secret"] = post(api, "/v1/auth/totp/enrol", {"enrol_token": enrol})["secret"]
        code = totp(state["secret"], fresh_step(state))
        r = post(api, "/v1/auth/totp/enrol/confirm", {"enrol_token": enrol, "code": code})
    elif "mfa_token" in r:
        if "secret" not in state:
            sys.exit("login.py: the account has a second factor this script does not know")
        code = totp(state["secret"], fresh_step(state))
        r = post(api, "/v1/auth/totp", {"mfa_token": r["mfa_token"], "code": code})
    else:
        sys.exit(f"login.py: unexpected login answer: {sorted(r)}")
    fd = os.open(state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f)

    token = r["access_token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    print(token, claims["sub"], claims["sid"], claims["ctl"], claims["role"], claims["exp"])


if __name__ == "__main__":
    main()
