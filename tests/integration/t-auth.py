#!/usr/bin/python3
"""
t-auth: accounts and sessions through HAProxy — registration and its
validation, login, the Bearer token on /api/v1/me, logout, the answers to
wrong passwords and unknown addresses (same body, similar time), SQL
metacharacters; then, on private workers with short delays and low
limits, the failed-login limit of an account from one client, that its
delay ends when Retry-After said, and that a client address has a limit of
its own.  (t-security.py checks that the owner from another client is not
locked out, the growing delays and the registration limit.)

Failed logins count per account and client, per client and per account.
Through HAProxy every test's client is 127.0.0.1, whose limit is
auth.source_max_failures (100) per window (15 minutes): this test causes 3
failures as 127.0.0.1 per run, always on fresh random addresses, so runs in
a row against one stack (./stack up) stay under it.  The private workers'
tests use TEST-NET client addresses (X-Forwarded-For from 127.0.0.1 is
trusted) and leave 127.0.0.1 alone.
"""
import datetime
import os
import re
import secrets
import statistics
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import bearer
from httpc import Conn, http
from stackenv import stack
from tap import cmp_ok, diag, is_, like, ok, run
from workers import PrivateWorker, retire

MIN_PASSWORD = 8                # auth.min_password, the default
TIMING_ACCOUNTS = 3             # accounts whose wrong passwords are timed
MAX_FAILURES = 5                # auth.max_failures, the default
BAD_LOGIN = {"error": "invalid email or password"}
TOKEN_RE = r"^[A-Za-z0-9_-]{43}$"
ISO_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
RUN = secrets.token_hex(4)      # makes every address of this run new


def addr_of(tag):
    return "%s.%s.%s@Example.org" % (tag, RUN, secrets.token_hex(2))


def post(addr, path, body, headers=None):
    return http(addr, "POST", path, body, headers)


def register(addr, email, password="correct horse battery", name="Ann"):
    return post(addr, "/api/v1/users",
                {"email": email, "password": password, "name": name})


def login(addr, email, password, headers=None):
    return post(addr, "/api/v1/login",
                {"email": email, "password": password}, headers)


def me(addr, headers=None):
    return http(addr, "GET", "/api/v1/me", headers=headers)


def parse_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def error_names(r, field, status=422):
    """The answer is `status` with an error message naming `field`."""
    body = r.json() or {}
    return r.status == status and field in str(body.get("error", ""))


def registration(st):
    email = addr_of("Ann")
    r = register(st.http, email, name="Ann Example")
    body = r.json() or {}
    ok(r.status == 201 and isinstance(body.get("id"), int) and
       body.get("email") == email and body.get("name") == "Ann Example" and
       re.match(ISO_RE, body.get("created_at") or "") is not None and
       "password" not in body and "password_hash" not in body,
       "register: 201 {id, email, name, created_at}, no password",
       lambda: repr(r))
    created = parse_iso(body.get("created_at") or "1970-01-01T00:00:00Z")
    now = datetime.datetime.now(datetime.timezone.utc)
    cmp_ok(abs((now - created).total_seconds()), "<", 120,
           "register: created_at is now, in UTC")

    r = register(st.http, email.swapcase())
    is_((r.status, r.json()), (409, {"error": "email already registered"}),
        "register: the same address in another case is 409")
    r = register(st.http, "  %s\t" % email.upper())
    is_(r.status, 409, "register: surrounding spaces are trimmed: 409 too")

    fresh = addr_of("v")
    cases = [
        ({"password": "long enough pw", "name": "A"}, "email",
         "missing email"),
        ({"email": 7, "password": "long enough pw", "name": "A"}, "email",
         "email of the wrong type"),
        ({"email": "no-at-sign.org", "password": "long enough pw",
          "name": "A"}, "email", "email without @"),
        ({"email": "a@b@c.org", "password": "long enough pw", "name": "A"},
         "email", "email with two @"),
        ({"email": "@c.org", "password": "long enough pw", "name": "A"},
         "email", "email with an empty local part"),
        ({"email": "a@", "password": "long enough pw", "name": "A"},
         "email", "email with an empty domain"),
        ({"email": "a b@c.org", "password": "long enough pw", "name": "A"},
         "email", "email with a space"),
        ({"email": "a\u0001b@c.org", "password": "long enough pw",
          "name": "A"}, "email", "email with a control character"),
        ({"email": "a" * 250 + "@c.org", "password": "long enough pw",
          "name": "A"}, "email", "email over 254 bytes"),
        ({"email": fresh, "name": "A"}, "password", "missing password"),
        ({"email": fresh, "password": ["x"] * 9, "name": "A"}, "password",
         "password of the wrong type"),
        ({"email": fresh, "password": "short", "name": "A"}, "password",
         "password under auth.min_password"),
        # 7 characters in 14 bytes: characters count, not bytes.
        ({"email": fresh, "password": "\u00f1" * (MIN_PASSWORD - 1),
          "name": "A"}, "password", "password of 7 two-byte characters"),
        ({"email": fresh, "password": "x" * 1025, "name": "A"}, "password",
         "password over 1024 bytes"),
        ({"email": fresh, "password": "long enough pw"}, "name",
         "missing name"),
        ({"email": fresh, "password": "long enough pw", "name": None},
         "name", "null name"),
        ({"email": fresh, "password": "long enough pw", "name": ""}, "name",
         "empty name"),
        ({"email": fresh, "password": "long enough pw", "name": "n" * 201},
         "name", "name over 200 characters"),
    ]
    for body, field, what in cases:
        r = post(st.http, "/api/v1/users", body)
        ok(error_names(r, field), "register, %s: 422 naming %s"
           % (what, field), lambda: repr(r))

    # Eight two-byte characters are a long enough password; 200
    # characters (400 bytes) are a long enough name.
    r = register(st.http, fresh, "\u00f1" * MIN_PASSWORD, "\u00e9" * 200)
    is_(r.status, 201, "register: 8 two-byte characters are a long enough "
        "password, 200 two-byte characters a valid name")
    r = login(st.http, fresh, "\u00f1" * MIN_PASSWORD)
    is_(r.status, 200, "login with a non-ASCII password")
    return email


def sessions(st, email):
    r = login(st.http, " " + email.upper() + " ", "correct horse battery")
    body = r.json() or {}
    token = body.get("token") or ""
    user = body.get("user") or {}
    ok(r.status == 200 and user.get("email") == email and
       user.get("name") == "Ann Example" and isinstance(user.get("id"), int),
       "login (any case, surrounding spaces): 200 with the user",
       lambda: repr(r))
    like(token, TOKEN_RE, "login: the token is 43 characters of base64url")
    is_(r.header("Cache-Control"), "no-store",
        "login: Cache-Control: no-store")
    exp = body.get("expires_at") or ""
    like(exp, ISO_RE, "login: expires_at is ISO 8601 UTC")
    if re.match(ISO_RE, exp):
        left = (parse_iso(exp) -
                datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        ok(23 * 3600 < left <= 24 * 3600 + 60,
           "login: expires_at is auth.session_ttl (24h) ahead", repr(left))

    r = me(st.http, bearer(token))
    mb = r.json() or {}
    ok(r.status == 200 and mb.get("email") == email and
       mb.get("id") == user.get("id") and mb.get("name") == "Ann Example"
       and re.match(ISO_RE, mb.get("created_at") or ""),
       "me with the token: 200 {id, email, name, created_at}",
       lambda: repr(r))
    r = me(st.http, [("Authorization", "bEaReR  " + token)])
    is_(r.status, 200, "me: the scheme is case-insensitive")

    def refused(r, name):
        ok(r.status == 401 and
           (r.header("WWW-Authenticate") or "").startswith("Bearer") and
           isinstance((r.json() or {}).get("error"), str),
           "%s: 401 JSON with WWW-Authenticate: Bearer" % name,
           lambda: repr(r) + " " + repr(r.headers))

    refused(me(st.http), "me without a token")
    refused(me(st.http, bearer("garbage")), "me with a garbage token")
    refused(me(st.http, bearer("A" * 43)), "me with an unknown token")
    refused(me(st.http, bearer(token[:-1])), "me with a truncated token")
    refused(me(st.http, bearer(token + "A")), "me with a token too long")
    refused(me(st.http, [("Authorization", "Basic " + token)]),
            "me with another scheme")
    # The last character of 43 carries 2 unused bits: another spelling of
    # the same bytes is not the token.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
               "0123456789-_"
    i = alphabet.index(token[-1])
    refused(me(st.http, bearer(token[:-1] + alphabet[i ^ 1])),
            "me with a non-canonical spelling of the token")

    # Logout: 204 without a body, on a connection that stays usable.
    w = st.workers[0]
    r2 = login(w.addr, email, "correct horse battery")
    token2 = (r2.json() or {}).get("token") or ""
    with Conn(w.addr) as c:
        c.request("POST", "/api/v1/logout", headers=bearer(token2))
        r = c.response()
        c.request("GET", "/api/v1/me", headers=bearer(token))
        after = c.response()
    ok(r.status == 204 and r.header("Content-Type") is None and
       r.header("Content-Length") in (None, "0"),
       "logout on a worker: 204 without a body", lambda: repr(r.raw_head))
    is_(after.status, 200, "logout sent no body bytes: the next response on "
        "the connection is intact")
    refused(me(st.http, bearer(token2)), "me with a logged-out token")
    is_(me(st.http, bearer(token)).status, 200,
        "logout ends only its own session")

    r = post(st.http, "/api/v1/logout", None, bearer(token))
    is_((r.status, r.body), (204, b""), "logout through HAProxy: 204")
    refused(me(st.http, bearer(token)), "me after logout through HAProxy")
    refused(post(st.http, "/api/v1/logout", None, bearer(token)),
            "logout again with the same token")
    refused(post(st.http, "/api/v1/logout", None), "logout without a token")

    for body, field in (({"password": "x" * 8}, "email"),
                        ({"email": email}, "password"),
                        ({"email": email, "password": 12345678}, "password")):
        r = post(st.http, "/api/v1/login", body)
        ok(error_names(r, field), "login without a valid %s: 422 naming it"
           % field, lambda: repr(r))


def failures(st, email):
    """Wrong password and unknown address: one answer, similar time.
    Counts 12 failures for 127.0.0.1."""
    r = login(st.http, email, "wrong password!")
    wrong = (r.status, r.json(), r.body)
    is_(wrong[:2], (401, BAD_LOGIN), "wrong password: 401 "
        "{\"error\":\"invalid email or password\"}")
    r = login(st.http, addr_of("nobody"), "wrong password!")
    is_((r.status, r.body), (401, wrong[2]),
        "unknown address: the very same answer, byte for byte")


def timing(st):
    """A wrong password and an unknown address take about as long: each
    unknown address is new, the wrong passwords go to accounts of their
    own, each failing auth.max_failures times, no more.  Three accounts
    give medians of 15, which a busy machine's noise does not swing.  A
    private worker, with a TEST-NET client address, so these failures do
    not count against 127.0.0.1."""
    p = PrivateWorker(st, "a-timing")
    xff = [("X-Forwarded-For", "198.51.100.%d" % secrets.randbelow(250))]
    victims = [addr_of("timing") for _ in range(TIMING_ACCOUNTS)]
    is_([register(p.addr, v).status for v in victims],
        [201] * TIMING_ACCOUNTS, "timing: accounts registered")
    t_wrong, t_unknown = [], []
    for victim in victims:
        for _ in range(MAX_FAILURES):
            r = login(p.addr, victim, "not the password", xff)
            if r.status == 401:
                t_wrong.append(r.elapsed)
            r = login(p.addr, addr_of("ghost"), "not the password", xff)
            if r.status == 401:
                t_unknown.append(r.elapsed)
    n = TIMING_ACCOUNTS * MAX_FAILURES
    ok(len(t_wrong) == len(t_unknown) == n,
       "timing: %d failures of each kind" % n)
    if t_wrong and t_unknown:
        mw, mu = statistics.median(t_wrong), statistics.median(t_unknown)
        diag("median wrong password %.1f ms, unknown address %.1f ms"
             % (mw * 1000, mu * 1000))
        ratio = mu / mw if mw > 0 else 0
        ok(0.5 <= ratio <= 2, "timing: unknown address / wrong password "
           "medians within a factor of 2 (%.2f)" % ratio)
    retire(p)


def sql_metacharacters(st):
    """Quotes, comments and backslashes are data.  Counts 1 failure for
    127.0.0.1."""
    # Spaces are not allowed in an address: the classic string is refused
    # as an address, a space-free variant is stored and used as data.
    r = register(st.http, "x'; DROP TABLE users; --@e.com")
    ok(error_names(r, "email"), "the classic injection string (it has "
       "spaces) is refused as an address: 422 naming email", lambda: repr(r))
    email = "x'\";DROP/**/TABLE/**/users;--%s@e.com" % RUN
    password = "p'a\"s\\s\\'; DROP TABLE users; --\\"
    name = "Robert'); DROP TABLE users; --"
    r = register(st.http, email, password, name)
    body = r.json() or {}
    ok(r.status == 201 and body.get("email") == email and
       body.get("name") == name,
       "register with SQL metacharacters: 201, stored as given",
       lambda: repr(r))
    r = login(st.http, email, password)
    token = (r.json() or {}).get("token") or ""
    is_(r.status, 200, "login with SQL metacharacters in address and "
        "password")
    r = me(st.http, bearer(token))
    is_(((r.json() or {}).get("email"), (r.json() or {}).get("name")),
        (email, name), "me shows the address and name as given")
    r = login(st.http, email.replace("x'", "y'", 1), password)
    is_(r.status, 401, "a similar address is another (unknown) account")
    r = register(st.http, addr_of("after"))
    is_(r.status, 201, "the users table is still there: a later "
        "registration works")


def limit(st):
    """auth.max_failures failures on one account from one client, then 429
    even for the right password from there, for auth.delay_base (30 s on
    this private worker: long enough to check, the test does not wait)."""
    p = PrivateWorker(st, "a0", args=("-o", "auth.delay_base=30s"))
    xff = [("X-Forwarded-For", "198.51.100.%d" % secrets.randbelow(250))]
    email = addr_of("limited")
    is_(register(p.addr, email, "the right password").status, 201,
        "limit: account registered")
    codes = [login(p.addr, email, "wrong %d" % i, xff).status
             for i in range(MAX_FAILURES)]
    is_(codes, [401] * MAX_FAILURES,
        "limit: the first %d failures are 401" % MAX_FAILURES)
    r = login(p.addr, email, "wrong again", xff)
    retry = r.header("Retry-After") or ""
    ok(r.status == 429 and isinstance((r.json() or {}).get("error"), str),
       "limit: failure %d is 429 JSON" % (MAX_FAILURES + 1),
       lambda: repr(r))
    ok(retry.isdigit() and 25 <= int(retry) <= 30,
       "limit: Retry-After is auth.delay_base (30 s)", repr(retry))
    r = login(p.addr, email.upper(), "the right password", xff)
    is_(r.status, 429, "limit: the right password (any case) from that "
        "client is 429 too while the delay runs")
    r = login(p.addr, addr_of("other"), "whatever it is", xff)
    is_(r.status, 401, "limit: another address from the same client is "
        "not limited")
    retire(p)


def window(st):
    """A private worker with a limit of 2 and a 2 s first delay: the delay
    ends no later than its Retry-After said."""
    p = PrivateWorker(st, "a1", args=(
        "-o", "auth.max_failures=2", "-o", "auth.delay_base=2s"))
    xff = [("X-Forwarded-For", "192.0.2.%d" % secrets.randbelow(250))]
    email = addr_of("window")
    is_(register(p.addr, email, "the right password").status, 201,
        "window: account registered on a private worker")
    codes = [login(p.addr, email, "wrong", xff).status for _ in range(3)]
    is_(codes, [401, 401, 429], "window: limit 2: the third attempt is 429")
    r = login(p.addr, email, "the right password", xff)
    retry = r.header("Retry-After") or ""
    ok(r.status == 429 and retry in ("1", "2"),
       "window: the right password is 429, Retry-After 1..2",
       lambda: repr(r) + " " + repr(r.headers))
    # Waiting what the server said is the point here, not a guess.
    time.sleep(int(retry) if retry.isdigit() else 2)
    r = login(p.addr, email, "the right password", xff)
    is_(r.status, 200, "window: after Retry-After the right password logs in")
    retire(p)


def client_limit(st):
    """A private worker with auth.source_max_failures=20: one client
    address has 20 failures on 20 addresses, then is refused for a 21st
    address while another client is not; X-Forwarded-For from 127.0.0.1
    names the client, and its last hop counts."""
    p = PrivateWorker(st, "a2", args=(
        "-o", "auth.source_max_failures=20", "-o", "auth.delay_base=60s"))
    client = "198.51.100.%d" % secrets.randbelow(250)
    # A spoofed first hop is ignored: the last hop is the client.
    xff = [("X-Forwarded-For", "203.0.113.9, " + client)]
    codes = [login(p.addr, addr_of("spray%d" % i), "guess", xff).status
             for i in range(20)]
    is_(codes, [401] * 20, "client limit: 20 failures on 20 addresses "
        "are 401 (auth.source_max_failures)")
    r = login(p.addr, addr_of("spray-more"), "guess", xff)
    ok(r.status == 429 and (r.header("Retry-After") or "").isdigit(),
       "client limit: the 21st address from that client is 429",
       lambda: repr(r))
    r = login(p.addr, addr_of("spray-more"), "guess",
              [("X-Forwarded-For", client + ", 203.0.113.10")])
    is_(r.status, 401, "client limit: another last hop is another client")
    r = login(p.addr, addr_of("spray-more"), "guess",
              [("X-Forwarded-For", "203.0.113.11"),
               ("X-Forwarded-For", client)])
    is_(r.status, 429, "client limit: the last X-Forwarded-For field counts")
    retire(p)


def main():
    st = stack()
    email = registration(st)
    sessions(st, email)
    failures(st, email)
    timing(st)
    sql_metacharacters(st)
    limit(st)
    client_limit(st)
    window(st)


if __name__ == "__main__":
    run(main)
