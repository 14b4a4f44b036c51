#!/usr/bin/python3
"""
t-notify: GET /api/v1/notifications?wait=S waits for a new notification
without holding a pool thread, through HAProxy.

Twenty requests of one user wait at once (more than the 15 pool threads
of the stack): the workers say they are parked and no thread is busy, and
other requests are answered at once meanwhile.  A notification written for
that user (by PostgreSQL, as the report job writes them) answers all of
them within a second, whichever worker holds them; another user's waiting
request is not woken by it.  With nothing new, the wait ends after S
seconds with an empty list.  A monthly report's own notification wakes
its user.  A wait beyond jobs.max_wait is 400.
"""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import bearer, new_user
from httpc import http
from psql import psql
from stackenv import stack
from tap import cmp_ok, is_, ok, run
from wait import poll

WAITERS = 20        # more than the stack's 3 x 5 pool threads
WAKE_BOUND = 1.5    # seconds from the notification to the answers


class Waiter(threading.Thread):
    """One GET /api/v1/notifications?wait=... in the background."""

    def __init__(self, addr, token, query):
        super().__init__(daemon=True)
        self.addr, self.token, self.query = addr, token, query
        self.resp = None
        self.t_end = None

    def run(self):
        try:
            self.resp = http(self.addr, "GET", "/api/v1/notifications?" +
                             self.query, headers=bearer(self.token),
                             timeout=60)
        except OSError as e:
            self.resp = e
        self.t_end = time.monotonic()

    def ids(self):
        if self.resp is None or isinstance(self.resp, OSError):
            return None
        return [n.get("id") for n in (self.resp.json() or {})
                .get("notifications", [])]


def parked(st):
    return sum(w.stats().get("parked", 0) for w in st.workers)


def busy(st):
    return sum(w.stats().get("threads", {}).get("busy", 0)
               for w in st.workers)


def notify(uid, kind="test"):
    """Writes a notification for `uid`; its id."""
    return int(psql("INSERT INTO notifications (user_id, kind, body) VALUES "
                    "(%d, '%s', '{}') RETURNING id" % (uid, kind)))


def main():
    st = stack()
    addr = st.http
    uid, _, tok = new_user(addr, "notify-a")
    other_uid, _, other_tok = new_user(addr, "notify-b")

    r = http(addr, "GET", "/api/v1/notifications?wait=99999",
             headers=bearer(tok))
    is_(r.status, 400, "a wait beyond jobs.max_wait is 400")

    t0 = time.monotonic()
    r = http(addr, "GET", "/api/v1/notifications?wait=1", headers=bearer(tok))
    took = time.monotonic() - t0
    ok(r.status == 200 and (r.json() or {}).get("notifications") == [] and
       0.9 <= took < 3, "nothing new: the wait ends after 1 s, empty",
       lambda: "%d in %.2fs" % (r.status, took))

    waiters = [Waiter(addr, tok, "wait=20") for _ in range(WAITERS)]
    other = Waiter(addr, other_tok, "wait=20")
    for t in waiters + [other]:
        t.start()
    ok(poll(lambda: parked(st) == WAITERS + 1, 10),
       "%d waiting requests are parked on the workers" % (WAITERS + 1),
       lambda: "parked %d" % parked(st))
    is_(busy(st), 0, "no pool thread is busy while they wait")
    t0 = time.monotonic()
    r = http(addr, "GET", "/api/v1/me", headers=bearer(tok))
    cmp_ok(time.monotonic() - t0, "<", 1.0,
           "another request is answered at once meanwhile")
    is_(r.status, 200, "... with 200")

    nid = notify(uid)
    t_note = time.monotonic()
    for t in waiters:
        t.join(WAKE_BOUND + 5)
    late = [t.t_end - t_note for t in waiters
            if t.t_end is None or t.t_end - t_note > WAKE_BOUND]
    is_(late, [], "all %d woken within %.1f s of the notification" %
        (WAITERS, WAKE_BOUND))
    ok(all(t.ids() == [nid] for t in waiters),
       "each answer lists the new notification",
       lambda: repr([t.ids() for t in waiters][:3]))
    ok(other.is_alive(), "another user's waiting request is not woken")
    notify(other_uid)
    other.join(WAKE_BOUND + 5)
    ok(not other.is_alive() and other.ids() is not None and
       len(other.ids()) == 1, "... until its own notification comes")
    is_(parked(st), 0, "nothing is left parked")

    w = Waiter(addr, tok, "wait=25&after=%d" % nid)
    w.start()
    ok(poll(lambda: parked(st) == 1, 10), "a report's user waits")
    month = time.strftime("%Y-%m", time.gmtime())
    r = http(addr, "POST", "/api/v1/reports", {"month": month}, bearer(tok))
    is_(r.status, 202, "a report is asked for")
    w.join(30)
    got = (w.resp.json() or {}).get("notifications", []) \
        if w.ids() is not None else []
    ok(len(got) == 1 and got[0].get("kind") == "report_ready",
       "the report's notification wakes it", lambda: repr(w.resp))


if __name__ == "__main__":
    run(main)
