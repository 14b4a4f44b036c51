"""
load.py -- the steady mixed load the fault suite runs through HAProxy while
a fault happens: synchronous compute tasks, logins, uploads and report
requests (each with an Idempotency-Key) and downloads, in bounded loops on
loopback.  Every attempt is recorded with what the client saw; a keyed
POST whose answer was lost (a reset, a timeout, a 502/504) is sent again
with the same key, as a client that follows the contract would.
"""
import os
import secrets
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from api import bearer  # noqa: E402
from httpc import HttpError, http  # noqa: E402
import media  # noqa: E402

CLIENT_TIMEOUT = 20.0   # seconds a client waits for any answer
KEY_TRIES = 4           # sends of one Idempotency-Key before giving up
# Seconds between two requests of one load thread, per kind: a steady
# load, not a flood.  Logins cost an argon2id hash; each upload makes a
# thumbnail job and each report a PDF, and the job queues must stay short
# enough that a job not done after a fault is a fault, not a backlog.
PAUSE = {"compute": 0.05, "login": 0.3, "download": 0.1, "upload": 0.5,
         "report": 1.0}

# The dependencies each route needs (the deps contract): a route whose
# dependencies all work must answer 2xx whatever else is down.
NEEDS = {
    "compute": set(),
    "login": {"postgres"},
    "upload": {"postgres", "s3"},
    "download": {"postgres", "s3"},
    "report": {"postgres"},
}

# What a client may see: a status documented for the route, or 503 with
# Retry-After.  Anything else (502, 504, a reset, a timeout) is a fault.
DOCUMENTED = {200, 201, 202, 401, 404, 409, 422, 429}


class Attempt:
    """One request and what came back."""

    def __init__(self, kind, key=None):
        self.kind = kind
        self.key = key
        self.t0 = time.monotonic()
        self.t1 = None
        self.status = None      # the HTTP status, or None
        self.error = None       # "reset", "timeout", "refused" or None
        self.retry_after = False
        self.replayed = False
        self.ident = None       # the file or job id a 201/202 names
        self.worker = None

    @property
    def outcome(self):
        """The status as a string, or the error: what the doc counts."""
        return str(self.status) if self.status is not None else self.error

    def documented(self):
        if self.status in DOCUMENTED:
            return True
        return self.status == 503 and self.retry_after

    def answered(self):
        """The route kept answering: a documented status that is not 503."""
        return self.status in DOCUMENTED

    def lost(self):
        """The client cannot know whether the request ran."""
        return self.status is None or self.status in (502, 504)


def send(addr, kind, method, path, body=None, headers=None,
         content_type="application/json", key=None):
    """One request on a fresh connection, recorded as an Attempt (with the
    Response as .resp when there was one)."""
    a = Attempt(kind, key)
    hdrs = list(headers or [])
    if key is not None:
        hdrs.append(("Idempotency-Key", key))
    a.resp = None
    try:
        r = http(addr, method, path, body, hdrs, timeout=CLIENT_TIMEOUT,
                 content_type=content_type)
        a.status = r.status
        a.retry_after = r.header("Retry-After") is not None
        a.replayed = (r.header("Idempotent-Replayed") or "") == "true"
        a.worker = r.header("X-Pfo3-Worker")
        a.resp = r
        if r.status in (201, 202):
            a.ident = (r.json() or {}).get("id" if kind == "upload"
                                           else "job_id")
    except (socket.timeout, TimeoutError):
        a.error = "timeout"
    except ConnectionRefusedError:
        a.error = "refused"
    except (ConnectionError, HttpError, OSError):
        a.error = "reset"
    a.t1 = time.monotonic()
    return a


class Account:
    """A user of the load: credentials, a token, a file to download."""

    def __init__(self, uid, email, password, token, file_id, file_data):
        self.uid = uid
        self.email = email
        self.password = password
        self.token = token
        self.file_id = file_id
        self.file_data = file_data


def image(seed):
    """A small PNG, different for every seed, so each upload is its own."""
    return media.png(48, 32, lambda x, y: ((x * 5 + seed) & 255,
                                           (y * 7 + seed) & 255, seed & 255))


class Load:
    """One thread per kind of request, each looping until stop(), so a
    route that hangs does not hold the others; thread N makes its
    requests as account N (modulo their number)."""

    def __init__(self, addr, accounts, month,
                 kinds=("compute", "login", "upload", "report", "download"),
                 max_requests=100000):
        self.addr = addr
        self.accounts = accounts
        self.month = month
        self.kinds = kinds
        self.attempts = []
        self.keys = {}          # Idempotency-Key -> [Attempt, ...]
        self.requests = {}      # Idempotency-Key -> the request it keys
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.max_requests = max_requests
        self.threads = [threading.Thread(target=self._loop, args=(i,),
                                         daemon=True)
                        for i in range(len(kinds))]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(CLIENT_TIMEOUT * KEY_TRIES + 10)

    def _record(self, a):
        with self.lock:
            self.attempts.append(a)
            if a.key is not None:
                self.keys.setdefault(a.key, []).append(a)

    def _loop(self, n):
        acct = self.accounts[n % len(self.accounts)]
        i = 0
        while not self.stop_flag.is_set() and i < self.max_requests:
            getattr(self, "_" + self.kinds[n])(acct, n * 100000 + i)
            i += 1
            self.stop_flag.wait(PAUSE[self.kinds[n]])

    def _compute(self, acct, i):
        a = send(self.addr, "compute", "POST", "/api/v1/tasks",
                 {"operacion": "suma", "datos": {"a": i, "b": 1}})
        # A 200 with a wrong sum is not an answer.
        if a.status == 200 and (a.resp.json() or {}).get("resultado") != i + 1:
            a.status, a.error = None, "wrong result"
        self._record(a)

    def _login(self, acct, i):
        self._record(send(self.addr, "login", "POST", "/api/v1/login",
                          {"email": acct.email, "password": acct.password}))

    def _download(self, acct, i):
        a = send(self.addr, "download", "GET",
                 "/api/v1/files/%d/content" % acct.file_id,
                 headers=bearer(acct.token))
        if a.status == 200 and a.resp.body != acct.file_data:
            a.status, a.error = None, "wrong content"
        self._record(a)

    def keyed(self, kind, method, path, body, headers, content_type):
        """Sends a keyed POST until it has an answer that says whether it
        ran (KEY_TRIES at most, waiting 1 s between)."""
        key = "%s-%s" % (kind, secrets.token_hex(12))
        self.requests[key] = (kind, method, path, body, headers,
                              content_type)
        for _ in range(KEY_TRIES):
            a = self.resend(key)
            if not (a.lost() or a.status in (409, 503)) or \
                    self.stop_flag.is_set():
                return key
            time.sleep(1.0)
        return key

    def resend(self, key):
        """Sends the request of `key` (once more), recorded."""
        kind, method, path, body, headers, ctype = self.requests[key]
        a = send(self.addr, kind, method, path, body, headers, ctype, key)
        self._record(a)
        return a

    def _upload(self, acct, i):
        self.keyed("upload", "POST", "/api/v1/files?name=load-%d.png" % i,
                   image(i), bearer(acct.token), "image/png")

    def _report(self, acct, i):
        self.keyed("report", "POST", "/api/v1/reports",
                   {"month": self.month}, bearer(acct.token),
                   "application/json")

    # ---------------------------------------------------------------- views

    def by_kind(self):
        out = {}
        for a in self.attempts:
            out.setdefault(a.kind, []).append(a)
        return out

    def counts(self):
        """{kind: {outcome: count}} over every attempt."""
        out = {}
        for a in self.attempts:
            d = out.setdefault(a.kind, {})
            d[a.outcome] = d.get(a.outcome, 0) + 1
        return out
