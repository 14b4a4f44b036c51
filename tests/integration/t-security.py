#!/usr/bin/python3
"""
t-security: what doc/SECURITY.md promises, against the real stack.

Jobs: an async task needs a Bearer token (401 with WWW-Authenticate
without one), a job is read only with a token, only by its owner (another
user gets 404, as if it did not exist); anonymous synchronous tasks stay
allowed.

Login limits, on private workers (X-Forwarded-For from 127.0.0.1 names
the client, so TEST-NET addresses stand for distinct clients): wrong
passwords from client A delay A with growing Retry-After while the owner
from client B logs in; the account-wide bound spares a client that logged
in before; the counts live in PostgreSQL, so another worker (and a worker
started after the first stopped) sees them.  Registrations: a flood from
one client gets 429 after auth.register_per_source, another client still
registers.

The stack: its PostgreSQL refuses TCP without the password (and has no
`trust` for TCP), its socket directory is 0700, no file of the state
folder is readable by other users, and its S3 server refuses the server's
public default keys and unsigned requests.
"""
import os
import re
import secrets
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import TEST_PASSWORD, bearer, new_user
from httpc import http
from psql import psql
from s3direct import s3_request
from stackenv import stack
from tap import is_, like, ok, run
from wait import poll
from workers import PrivateWorker, retire

RUN = secrets.token_hex(4)
DONE_TIMEOUT = 30.0


def email_of(tag):
    return "sec.%s.%s.%s@example.org" % (tag, RUN, secrets.token_hex(2))


def client(net):
    """A fresh client address in a TEST-NET range, as X-Forwarded-For."""
    return [("X-Forwarded-For", "%s.%d" % (net, 1 + secrets.randbelow(250)))]


def register(addr, email, headers=None):
    return http(addr, "POST", "/api/v1/users",
                {"email": email, "password": TEST_PASSWORD, "name": "S"},
                headers)


def login(addr, email, password, headers=None):
    return http(addr, "POST", "/api/v1/login",
                {"email": email, "password": password}, headers)


def retry_after(r):
    v = r.header("Retry-After") or ""
    return int(v) if v.isdigit() else None


# ------------------------------------------------------------------ jobs

def jobs(st):
    task = {"operacion": "suma", "datos": {"a": 40, "b": 2}}
    r = http(st.http, "POST", "/api/v1/tasks", dict(task, **{"async": True}))
    ok(r.status == 401 and isinstance((r.json() or {}).get("error"), str),
       "anonymous async task: 401 JSON", lambda: repr(r))
    like(r.header("WWW-Authenticate") or "", r"^Bearer ",
         "anonymous async task: WWW-Authenticate: Bearer")
    r = http(st.http, "POST", "/api/v1/tasks", dict(task, **{"async": True}),
             bearer("x" * 43))
    ok(r.status == 401 and "invalid_token" in
       (r.header("WWW-Authenticate") or ""),
       "async task with an unknown token: 401 invalid_token",
       lambda: repr(r) + repr(r.headers))
    r = http(st.http, "POST", "/api/v1/tasks", task)
    ok(r.status == 200 and (r.json() or {}).get("resultado") == 42,
       "anonymous synchronous task: still 200 with the result",
       lambda: repr(r))

    uid, _, tok = new_user(st.http, "sec-owner")
    _, _, other = new_user(st.http, "sec-other")
    r = http(st.http, "POST", "/api/v1/tasks", dict(task, **{"async": True}),
             bearer(tok))
    jid = (r.json() or {}).get("job_id")
    ok(r.status == 202 and isinstance(jid, int), "async task with a token: "
       "202", lambda: repr(r))
    if not isinstance(jid, int):
        return
    is_(psql("SELECT user_id FROM jobs WHERE id = %d" % jid), str(uid),
        "the job's row names its owner")
    path = "/api/v1/jobs/%d" % jid
    r = http(st.http, "GET", path)
    ok(r.status == 401 and (r.header("WWW-Authenticate") or "")
       .startswith("Bearer") and "resultado" not in r.text,
       "anonymous GET of a job: 401 with WWW-Authenticate, nothing of it "
       "shown", lambda: repr(r))
    r = http(st.http, "GET", path, headers=bearer(other))
    ok(r.status == 404 and r.json() == {"error": "no such job"},
       "another user's job: 404, as if missing", lambda: repr(r))
    r = http(st.http, "GET", "/api/v1/jobs/987654321012345",
             headers=bearer(other))
    is_(r.status, 404, "a missing job: the same 404")

    def done():
        r = http(st.http, "GET", path, headers=bearer(tok))
        return r if r.status == 200 and (r.json() or {}).get("status") == \
            "done" else None
    r = poll(done, DONE_TIMEOUT, 0.1)
    ok(r is not None and (r.json().get("result") or {}).get("resultado")
       == 42, "own job: 200, done, with its result", lambda: repr(r))
    # A job without an owner (made before owners were required, or whose
    # user was deleted) is nobody's to read.
    orphan = int(psql("INSERT INTO jobs (type, status, payload, "
                      "published_at) VALUES ('task', 'done', '{}', now()) "
                      "RETURNING id"))
    r = http(st.http, "GET", "/api/v1/jobs/%d" % orphan,
             headers=bearer(tok))
    is_(r.status, 404, "a job without an owner: 404 to any user")


# ----------------------------------------------------------- login limits

def lockout(st):
    """Client A guesses; the owner from client B is never locked out; A's
    delay doubles with each further failure."""
    p = PrivateWorker(st, "s1", args=("-o", "auth.delay_base=2s"))
    email = email_of("lock")
    is_(register(p.addr, email).status, 201, "lockout: account registered")
    a, b = client("198.51.100"), client("203.0.113")
    codes = [login(p.addr, email, "guess %d" % i, a).status
             for i in range(5)]
    is_(codes, [401] * 5, "lockout: 5 wrong passwords from A are 401")
    r = login(p.addr, email, "guess 6", a)
    waits = [retry_after(r)]
    ok(r.status == 429 and waits[0] in (1, 2),
       "lockout: A's next attempt is 429, Retry-After 2 (auth.delay_base)",
       lambda: repr(r) + repr(r.headers))
    r = login(p.addr, email, TEST_PASSWORD, a)
    is_(r.status, 429, "lockout: even the right password from A waits")
    r = login(p.addr, email, TEST_PASSWORD, b)
    ok(r.status == 200 and (r.json() or {}).get("token"),
       "lockout: the owner from client B logs in meanwhile",
       lambda: repr(r))
    # A waits as told, fails again: each failure doubles its delay.
    for want in (4, 8):
        time.sleep(waits[-1] or 2)
        r = login(p.addr, email, "guess again", a)
        is_(r.status, 401, "lockout: after waiting, A's wrong password is "
            "checked (401)")
        r = login(p.addr, email, "and again", a)
        waits.append(retry_after(r))
        ok(r.status == 429 and waits[-1] in (want - 1, want),
           "lockout: then 429 with Retry-After %d" % want,
           lambda: repr(r) + repr(r.headers))
    ok(waits == sorted(waits) and len(set(waits)) == 3,
       "lockout: A's delays grow: %r" % waits)
    r = login(p.addr, email, TEST_PASSWORD, b)
    is_(r.status, 200, "lockout: the owner from B still logs in")
    retire(p)


def account_bound(st):
    """auth.account_max_failures from many clients: a client unknown to the
    account is delayed, the client the owner logged in from is not."""
    p = PrivateWorker(st, "s2", args=(
        "-o", "auth.account_max_failures=6", "-o", "auth.delay_base=60s"))
    email = email_of("acct")
    is_(register(p.addr, email).status, 201, "account bound: registered")
    home = client("192.0.2")
    is_(login(p.addr, email, TEST_PASSWORD, home).status, 200,
        "account bound: the owner logs in from home")
    codes = [login(p.addr, email, "guess",
                   [("X-Forwarded-For", "198.18.0.%d" % (1 + i))]).status
             for i in range(6)]
    is_(codes, [401] * 6, "account bound: 6 clients fail once each")
    r = login(p.addr, email, TEST_PASSWORD, client("198.19.0"))
    ok(r.status == 429 and (retry_after(r) or 0) > 0,
       "account bound: a new client is delayed, right password or not",
       lambda: repr(r))
    r = login(p.addr, email, TEST_PASSWORD, home)
    is_(r.status, 200, "account bound: the owner's known client logs in")
    retire(p)


def shared(st):
    """The counts are in PostgreSQL: failures on one worker limit the
    client on another, and on a worker started after the first stopped."""
    args = ("-o", "auth.delay_base=60s")
    p1 = PrivateWorker(st, "s3", args=args)
    email = email_of("shared")
    is_(register(p1.addr, email).status, 201, "shared: registered")
    a = client("198.51.100")
    is_([login(p1.addr, email, "guess", a).status for _ in range(5)],
        [401] * 5, "shared: 5 failures on one worker")
    retire(p1)
    p2 = PrivateWorker(st, "s4", args=args)
    r = login(p2.addr, email, TEST_PASSWORD, a)
    ok(r.status == 429 and 50 <= (retry_after(r) or 0) <= 60,
       "shared: a worker started afterwards delays that client too",
       lambda: repr(r))
    retire(p2)


def registration(st):
    p = PrivateWorker(st, "s5", args=(
        "-o", "auth.register_per_source=3", "-o", "auth.register_window=1h"))
    flood = client("198.51.100")
    codes = [register(p.addr, email_of("flood%d" % i), flood).status
             for i in range(5)]
    is_(codes, [201, 201, 201, 429, 429], "registration: 3 from one client, "
        "then 429")
    r = register(p.addr, email_of("flood-more"), flood)
    ok(r.status == 429 and 3500 <= (retry_after(r) or 0) <= 3600 and
       isinstance((r.json() or {}).get("error"), str),
       "registration: 429 JSON with Retry-After until the window ends",
       lambda: repr(r) + repr(r.headers))
    r = register(p.addr, email_of("elsewhere"), client("203.0.113"))
    is_(r.status, 201, "registration: another client still registers")
    retire(p)


# ------------------------------------------------------------- the stack

def conninfo_without_password():
    ci = os.environ["PFO3_PG_CONNINFO"]
    return re.sub(r"\s*passfile=('(\\.|[^'])*'|\S+)", "", ci)


def postgres(st):
    ci = conninfo_without_password()
    env = dict(os.environ, PGPASSFILE="/nonexistent", PGCONNECT_TIMEOUT="5")
    env.pop("PGPASSWORD", None)
    for who, info in (("pfo3", ci),
                      ("the superuser", re.sub(r"user=\S+", "user=postgres",
                                               ci))):
        p = subprocess.run(["psql", "-X", "-w", "-d", info, "-c", "SELECT 1"],
                           env=env, capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        ok(p.returncode != 0 and "password" in p.stderr,
           "postgres: TCP as %s without a password is refused" % who,
           p.stderr.strip())
    p = subprocess.run(["psql", "-X", "-w", "-d", ci, "-c", "SELECT 1"],
                       env=dict(env, PGPASSWORD="not the password"),
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    ok(p.returncode != 0 and "password authentication failed" in p.stderr,
       "postgres: a wrong password is refused", p.stderr.strip())
    is_(psql("SELECT current_user"), "pfo3", "postgres: the stack's "
        "conninfo (its password file) logs in")
    rd = os.environ["PFO3_RUN_DIR"]
    with open(os.path.join(rd, "pg", "data", "pg_hba.conf")) as f:
        rules = [ln.split() for ln in f if ln.strip() and
                 not ln.lstrip().startswith("#")]
    ok(rules and all(r[-1] == "scram-sha-256" for r in rules
                     if r[0].startswith("host")) and
       all(r[0] == "local" or r[0].startswith("host") for r in rules),
       "postgres: every TCP rule of pg_hba.conf is scram-sha-256",
       repr(rules))
    mode = stat.S_IMODE(os.stat(os.path.join(rd, "pg", "sock")).st_mode)
    is_(oct(mode), "0o700", "postgres: the socket directory is 0700")
    mode = stat.S_IMODE(os.stat(os.path.join(rd, "pg", "pgpass")).st_mode)
    is_(oct(mode), "0o600", "postgres: the password file is 0600")


def state_folder(st):
    """Nothing in the state folder is open to other users: no entry has a
    permission bit for `other` (sockets may have them, as documented for
    the control daemon's read socket, behind folders that do not)."""
    rd = os.environ["PFO3_RUN_DIR"]
    bad, n = [], 0
    for root, dirs, files in os.walk(rd):
        for name in [None] + dirs + files:
            path = root if name is None else os.path.join(root, name)
            try:
                s = os.lstat(path)
            except FileNotFoundError:
                continue        # a file that went away meanwhile
            n += 1
            if stat.S_ISSOCK(s.st_mode) or stat.S_ISLNK(s.st_mode):
                continue
            if s.st_mode & 0o007:
                bad.append("%s %o" % (path, stat.S_IMODE(s.st_mode)))
    ok(n > 20 and not bad, "state folder: none of its %d entries is open "
       "to other users" % n, "\n".join(bad[:30]))


def s3(st):
    key = "security-%s" % RUN
    is_(s3_request("PUT", key, data=b"secret")[0], 200,
        "s3: the stack's keys sign a PUT")
    ok(os.environ["PFO3_S3_ACCESS_KEY"] != "S3RVER",
       "s3: the stack's keys are not the server's defaults")
    saved = (os.environ["PFO3_S3_ACCESS_KEY"],
             os.environ["PFO3_S3_SECRET_KEY"])
    os.environ["PFO3_S3_ACCESS_KEY"] = "S3RVER"
    os.environ["PFO3_S3_SECRET_KEY"] = "S3RVER"
    try:
        status, body = s3_request("GET", key)
        ok(status == 403 and b"InvalidAccessKeyId" in body,
           "s3: a GET signed with the default keys S3RVER/S3RVER is 403",
           repr((status, body[:200])))
        status, body = s3_request("PUT", key, data=b"overwritten")
        is_(status, 403, "s3: a PUT signed with the default keys is 403")
    finally:
        os.environ["PFO3_S3_ACCESS_KEY"], \
            os.environ["PFO3_S3_SECRET_KEY"] = saved
    host, port = re.match(r"https?://([^:/]+):(\d+)",
                          os.environ["PFO3_S3_ENDPOINT"]).groups()
    r = http((host, int(port)), "GET", "/%s/%s"
             % (os.environ["PFO3_S3_BUCKET"], key))
    ok(r.status == 403 and b"secret" not in r.body,
       "s3: an unsigned GET is 403", lambda: repr(r))
    is_(s3_request("GET", key), (200, b"secret"),
        "s3: the object is intact, readable with the stack's keys")
    s3_request("DELETE", key)


def main():
    st = stack()
    jobs(st)
    lockout(st)
    account_bound(st)
    shared(st)
    registration(st)
    postgres(st)
    state_folder(st)
    s3(st)


if __name__ == "__main__":
    run(main)
