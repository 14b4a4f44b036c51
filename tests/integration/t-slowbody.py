#!/usr/bin/python3
"""
t-slowbody: slow clients cannot starve the pools.

Through HAProxy and straight on the workers, 44 uploads from one account
send a 10 MB body 1 KB every 2 s (the attack of the issue this guards
against).  Meanwhile a `suma` task and a login answer 2xx within 2 s on
every path, and another user's upload is stored: uploads run on upload
threads of their own, never on the pool.  The account gets 429 with
Retry-After at once for every upload past uploads.max_per_user on a
worker; the ones taken are cut with 408 at the first
worker.body_rate_window (10 s) for sending under worker.body_min_rate.
None leaves a row or an object in S3.

On a private worker with short limits (3 upload threads, 2 per user, 4 KiB/s
over 1 s, a 3 s whole-body deadline): a third upload of one user is 429
while another user's upload is stored; an upload past the worker's cap is
503 with Retry-After; tasks and logins answer while every upload thread
waits on a client; a body fast enough for the rate is still cut at the
whole-body deadline (408); a body under the rate is cut after one window,
streamed (an upload, with a length or chunked) or not (a task); nothing is stored for any of them,
and the user's uploads work again afterwards.
"""
import os
import select
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import TEST_PASSWORD, bearer, new_user, task
from httpc import Conn, HttpError, http
from psql import psql
from s3direct import s3_get
from stackenv import stack
from tap import diag, is_, ok, run
from workers import PrivateWorker, retire

# Seconds a task or a login may take meanwhile; sanitizer builds run the
# password hash many times slower, and a starved pool never answers anyway.
FAST = 2.0 * (5 if os.environ.get("PFO3_SANITIZER") else 1)
SUMA = {"a": 25, "b": 17}


class SlowBody(threading.Thread):
    """A request whose body (`length` bytes announced) comes `chunk` bytes
    every `interval` seconds until the server answers or closes, or
    `limit` seconds pass (`length` None: chunked, one chunk a send).
    .status, .resp and .elapsed (seconds from the head to the answer) tell
    what happened; .status None: no answer."""

    def __init__(self, addr, token, length=10 << 20, chunk=1024,
                 interval=2.0, limit=30.0, path="/api/v1/files",
                 ctype="application/octet-stream"):
        threading.Thread.__init__(self, daemon=True)
        self.addr, self.interval, self.limit = addr, interval, limit
        self.piece = b"x" * chunk if length is not None else \
            b"%x\r\n%s\r\n" % (chunk, b"x" * chunk)
        framing = "Transfer-Encoding: chunked" if length is None else \
            "Content-Length: %d" % length
        self.head = ("POST %s HTTP/1.1\r\nHost: test\r\n%sContent-Type: %s"
                     "\r\n%s\r\n\r\n"
                     % (path, "" if token is None else
                        "Authorization: Bearer %s\r\n" % token, ctype,
                        framing)).encode()
        self.status = self.resp = self.elapsed = self.error = None
        self.stop = threading.Event()

    def _answer(self, c, t0):
        try:
            c.settimeout(5)
            self.resp = c.final_response()
            self.status = self.resp.status
        except (HttpError, OSError) as e:
            self.error = repr(e)
        self.elapsed = time.monotonic() - t0

    def run(self):
        try:
            c = Conn(self.addr, timeout=10)
        except OSError as e:
            self.error = repr(e)
            return
        with c:
            t0 = time.monotonic()
            try:
                c.send(self.head)
                while not self.stop.is_set() and \
                        time.monotonic() - t0 < self.limit:
                    c.send(self.piece)
                    if select.select([c.sock], [], [], self.interval)[0]:
                        break
            except OSError:
                pass            # closed by the server: read its answer
            if not self.stop.is_set():
                self._answer(c, t0)

    def body(self):
        return self.resp.body.decode("utf-8", "replace") if self.resp else ""


def start(uploads, spacing=0.0):
    for u in uploads:
        u.start()
        if spacing:
            time.sleep(spacing)
    return uploads


def finish(uploads, timeout):
    deadline = time.monotonic() + timeout
    for u in uploads:
        u.join(max(0.1, deadline - time.monotonic()))
    for u in uploads:
        u.stop.set()


def timed(fn):
    """(status or the exception, seconds) of fn()."""
    t0 = time.monotonic()
    try:
        r = fn()
        return r.status, time.monotonic() - t0
    except (HttpError, OSError) as e:
        return repr(e), time.monotonic() - t0


def responsive(name, addr, email):
    """A suma task and a login on `addr` answer 2xx within FAST."""
    s, t = timed(lambda: task(addr, "suma", SUMA, timeout=FAST + 1))
    ok(s == 200 and t < FAST, "%s: a suma task answers %s in %.2f s (< %g)"
       % (name, s, t, FAST))
    s, t = timed(lambda: http(addr, "POST", "/api/v1/login",
                              {"email": email, "password": TEST_PASSWORD},
                              timeout=FAST + 1))
    ok(s == 200 and t < FAST, "%s: a login answers %s in %.2f s (< %g)"
       % (name, s, t, FAST))


def last_file_id():
    return int(psql("SELECT last_value FROM files_id_seq"))


def nothing_stored(uid, lo, hi, what):
    """No row of `uid` with an id in (lo, hi], no object of its for them."""
    rows = int(psql("SELECT count(*) FROM files WHERE owner_id = %d AND "
                    "id > %d AND id <= %d" % (uid, lo, hi)))
    is_(rows, 0, "%s: no file row" % what)
    found = [k for k in range(lo + 1, hi + 1)
             if s3_get("files/%d/%d" % (uid, k))[0] != 404]
    is_(found, [], "%s: no object in S3 for the ids reserved" % what)


def statuses(uploads):
    out = {}
    for u in uploads:
        out[u.status] = out.get(u.status, 0) + 1
    return out


def attack(st, a_uid, a_email, a_tok, b_tok):
    """The issue's attack on the stack, through HAProxy and straight."""
    per_user = 3                        # uploads.max_per_user, etc/pfo3.conf
    lo = last_file_id()
    ups = [SlowBody(st.http, a_tok) for _ in range(32)]
    ups += [SlowBody(w.addr, a_tok) for w in st.workers for _ in range(4)]
    start(ups, 0.02)
    time.sleep(1.0)
    for w in st.workers:
        responsive("44 slow uploads of one user, %s straight" % w.id,
                   w.addr, a_email)
    for _ in range(2):
        responsive("44 slow uploads of one user, through HAProxy",
                   st.http, a_email)
    r = http(st.http, "POST", "/api/v1/files?name=b.txt", b"b's file",
             bearer(b_tok), timeout=FAST + 1, content_type="text/plain")
    is_(r.status, 201, "meanwhile another user's upload is stored")
    b_id = (r.json() or {}).get("id", 0)

    refused = [u for u in ups if u.status == 429]
    ok(len(refused) >= len(ups) - per_user * len(st.workers),
       "at least %d of %d uploads refused with 429 at once"
       % (len(ups) - per_user * len(st.workers), len(ups)),
       lambda: repr(statuses(ups)))
    ok(all(u.elapsed < FAST and u.resp.header("Retry-After") and
           "too many uploads" in u.body() for u in refused),
       "each 429 came within %g s with Retry-After and says why" % FAST,
       lambda: repr([(u.elapsed, u.resp) for u in refused][:3]))

    finish(ups, 16)
    taken = [u for u in ups if u.status != 429]
    ok(taken and all(u.status == 408 and 9.0 <= u.elapsed < 14.0 and
                     "minimum rate" in u.body() for u in taken),
       "the %d uploads taken are cut with 408 (under the minimum rate) "
       "10 s after their head" % len(taken),
       lambda: repr([(u.status, u.elapsed, u.body(), u.error)
                     for u in taken]))
    nothing_stored(a_uid, lo, last_file_id(), "the slow uploads")
    ok(b_id > 0 and s3_get("files/%d/%d" % (
        int(psql("SELECT owner_id FROM files WHERE id = %d" % b_id)),
        b_id))[0] == 200, "the other user's file is in S3")
    for w in st.workers:
        responsive("after the attack, %s straight" % w.id, w.addr, a_email)


def limits(st, a_uid, a_email, a_tok, b_tok):
    """Caps, deadline and rate on a private worker with short limits."""
    p = PrivateWorker(st, "slow1", args=(
        "--threads", "2", "-o", "uploads.max_per_worker=3",
        "-o", "uploads.max_per_user=2", "-o", "worker.body_min_rate=4K",
        "-o", "worker.body_rate_window=1s", "-o", "worker.body_timeout=3s"))
    lo = last_file_id()
    # 32 KiB/s, well over the rate: only the whole-body deadline cuts them.
    fast_enough = start([SlowBody(p.addr, a_tok, 4 << 20, 8192, 0.25)
                         for _ in range(2)], 0.05)
    time.sleep(0.5)
    third = start([SlowBody(p.addr, a_tok, 4 << 20, 1024, 0.25)])[0]
    third.join(FAST)
    ok(third.status == 429 and third.resp.header("Retry-After") and
       (third.resp.header("Connection") or "").lower() == "close",
       "a user's third upload: 429 with Retry-After, the connection closed",
       lambda: repr((third.status, third.resp, third.error)))
    t0 = time.monotonic()
    r = http(p.addr, "POST", "/api/v1/files?name=b2.txt", b"another user",
             bearer(b_tok), timeout=FAST + 1, content_type="text/plain")
    ok(r.status == 201 and time.monotonic() - t0 < FAST,
       "meanwhile another user's upload is stored (%d)" % r.status)

    b_slow = start([SlowBody(p.addr, b_tok, 4 << 20, 8192, 0.25)])[0]
    time.sleep(0.3)
    over = start([SlowBody(p.addr, b_tok, 4 << 20, 1024, 0.25)])[0]
    over.join(FAST)
    ok(over.status == 503 and over.resp.header("Retry-After") and
       "too many uploads in flight" in over.body(),
       "every upload thread taken: one more upload is 503 with Retry-After",
       lambda: repr((over.status, over.resp, over.error)))
    responsive("every upload thread waiting on a client", p.addr, a_email)

    finish(fast_enough + [b_slow], 6)
    ok(all(u.status == 408 and 2.5 <= u.elapsed < 5.0 and
           "timed out reading the request body" in u.body()
           for u in fast_enough + [b_slow]),
       "uploads at 32 KiB/s are still cut with 408 at the 3 s whole-body "
       "deadline", lambda: repr([(u.status, u.elapsed, u.body(), u.error)
                                 for u in fast_enough + [b_slow]]))

    under = start([SlowBody(p.addr, a_tok, 4 << 20, 1024, 0.5)])[0]
    finish([under], 5)
    ok(under.status == 408 and 0.8 <= under.elapsed < 2.5 and
       "minimum rate" in under.body(),
       "an upload at 2 KiB/s is cut with 408 after the 1 s window",
       lambda: repr((under.status, under.elapsed, under.body(), under.error)))
    chunked = start([SlowBody(p.addr, a_tok, None, 1024, 0.5)])[0]
    finish([chunked], 5)
    ok(chunked.status == 408 and 0.8 <= chunked.elapsed < 2.5 and
       "minimum rate" in chunked.body(),
       "a chunked upload at 2 KiB/s is cut with 408 after the 1 s window",
       lambda: repr((chunked.status, chunked.elapsed, chunked.body(),
                     chunked.error)))
    nothing_stored(a_uid, lo, last_file_id(), "the cut uploads")

    slow_task = start([SlowBody(p.addr, None, 50000, 1024, 0.5,
                                path="/api/v1/tasks",
                                ctype="application/json")])[0]
    finish([slow_task], 5)
    ok(slow_task.status == 408 and 0.8 <= slow_task.elapsed < 2.5 and
       "minimum rate" in slow_task.body(),
       "a task body at 2 KiB/s (not streamed) is cut with 408 too",
       lambda: repr((slow_task.status, slow_task.elapsed, slow_task.body())))

    for i in range(3):
        r = http(p.addr, "POST", "/api/v1/files?name=again.txt",
                 b"again %d" % i, bearer(a_tok), timeout=5,
                 content_type="text/plain")
        is_(r.status, 201, "afterwards the user's upload %d is stored: "
            "the slots were given back" % (i + 1))
        http(p.addr, "DELETE", "/api/v1/files/%d" % (r.json() or {}).get(
            "id", 0), headers=bearer(a_tok))
    retire(p)


def main():
    st = stack()
    a_uid, a_email, a_tok = new_user(st.http, "slow-a")
    _, _, b_tok = new_user(st.http, "slow-b")
    diag("the issue's attack: 1 KB every 2 s of a 10 MB body")
    attack(st, a_uid, a_email, a_tok, b_tok)
    limits(st, a_uid, a_email, a_tok, b_tok)


if __name__ == "__main__":
    run(main)
