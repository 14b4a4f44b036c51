#!/usr/bin/python3
"""
t-drain: `drain` and `resume` on a worker's control socket, as HAProxy
sees them.

Draining w2 turns its /readyz to 503 (its /healthz stays 200: it is alive),
lets the request in flight finish with Connection: close, makes its agent
answer "drain", and HAProxy takes it out of rotation: first DRAIN (agent),
then DOWN once the /readyz check fails twice (check_code 503).  Traffic
through HAProxy avoids it.  `resume` reverses every step.
"""
import collections
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from haproxy import backend_servers, server_stat, wait_settled
from httpc import Conn, get
from stackenv import stack
from tap import diag, is_, ok, run
from wait import Background, poll

WID = "w2"


def agent_line(w):
    with socket.create_connection(w.agent, timeout=5) as s:
        data = b""
        while True:
            chunk = s.recv(256)
            if not chunk:
                return data.decode("ascii", "replace")
            data += chunk


def states(st, wid):
    return {b: (server_stat(st, b, wid) or {}).get("status")
            for b in (st.backend, "seed")}


def drained(st, w):
    is_(get(w.addr, "/readyz").status, 200, "%s /readyz is 200 before" % WID)

    slow = Background(task, w.addr, "sleep", {"segundos": 2})
    slow.start()
    ok(poll(lambda: w.stats()["threads"]["busy"] >= 1, 1.5, 0.01),
       "a 2 s sleep is running on %s" % WID)

    seen = []
    t0 = time.monotonic()

    def down():
        s = states(st, WID)
        if not seen or seen[-1][1] != s:
            seen.append((round(time.monotonic() - t0, 2), s))
        return all(v == "DOWN" for v in s.values())

    # Watch HAProxy from the drain on, to see every state it passes.
    watcher = Background(poll, down, 10, 0.05)
    rep = w.ctl("drain")
    watcher.start()
    ok(rep.get("ok") is True and rep.get("draining") is True and
       rep.get("inflight") == 1,
       "drain: ok, draining true, inflight 1", lambda: repr(rep))
    is_(w.stats()["draining"], True, "stats: draining true")

    r = get(w.addr, "/readyz")
    body = r.json() or {}
    is_(r.status, 503, "%s /readyz is 503 while draining" % WID)
    ok(body.get("status") == "draining" and body.get("draining") is True and
       isinstance(body.get("error"), str),
       "/readyz body: status draining, draining true, an error",
       lambda: repr(r.body))
    r = get(w.addr, "/healthz")
    is_((r.status, r.body), (200, b"ok\n"),
        "%s /healthz still 200 ok (alive)" % WID)
    is_(agent_line(w), "drain\n", "agent port answers \"drain\"")

    with Conn(w.addr) as c:
        c.request("GET", "/healthz")
        r = c.response()
        ok(r.status == 200 and r.header("Connection") == "close" and
           c.closed_by_peer(2.0),
           "while draining, a keep-alive request is answered and closed",
           lambda: "%r, Connection: %r" % (r, r.header("Connection")))

    slow.join(10)
    r = slow.result
    ok(slow.error is None and r is not None and r.status == 200 and
       (r.json() or {}).get("resultado") == 2,
       "the sleep in flight completes with 200",
       lambda: "error %r, response %r" % (slow.error, r))
    is_(r.header("Connection") if r else None, "close",
        "... and Connection: close")

    watcher.join(15)
    ok(watcher.result, "HAProxy lists %s DOWN in %s and seed within 10 s "
       "of the drain" % (WID, st.backend), lambda: repr(seen[-3:]))
    diag("HAProxy states of %s after the drain: %r" % (WID, seen))
    row = server_stat(st, st.backend, WID)
    is_((row["status"], row["check_status"], row["check_code"]),
        ("DOWN", "L7STS", "503"),
        "%s/%s: status DOWN after a 503 from /readyz (L7STS 503)"
        % (st.backend, WID))
    allowed = {"UP", "UP 1/2", "DRAIN (agent)", "DRAIN", "DOWN"}
    odd = [s for _, ss in seen for s in ss.values() if s not in allowed]
    ok(not odd, "on the way down HAProxy showed only %s"
       % ", ".join(sorted(allowed)), lambda: repr(odd))

    counts = collections.Counter()
    good = 0
    for i in range(12):
        r = task(st.http, "suma", {"a": i, "b": 1})
        counts[(r.json() or {}).get("worker")] += 1
        good += r.status == 200 and (r.json() or {}).get("resultado") == i + 1
    diag("while %s is drained: %r" % (WID, dict(counts)))
    is_(good, 12, "12 tasks through HAProxy all answered 200 and right")
    is_(counts.get(WID, 0), 0, "none of them reached %s" % WID)

    # HAProxy keeps asking /readyz, which answers 503: a state, not errors.
    req = w.stats()["requests"]
    checked = poll(lambda: w.stats()["requests"]["by_status"].get("503", 0)
                   >= req["by_status"].get("503", 0) + 2, 10)
    ok(checked and w.stats()["requests"]["errors"] == req["errors"],
       "%s drained: HAProxy's checks get 503, not counted as errors" % WID,
       lambda: repr((req, w.stats()["requests"])))


def resumed(st, w):
    rep = w.ctl("resume")
    ok(rep.get("ok") is True and rep.get("draining") is False,
       "resume: ok, draining false", lambda: repr(rep))
    r = get(w.addr, "/readyz")
    is_((r.status, (r.json() or {}).get("status")), (200, "ready"),
        "%s /readyz is 200 ready again" % WID)
    like_ready = re.match(r"^ready \d+%\n$", agent_line(w))
    ok(like_ready, "agent port answers \"ready N%\" again")

    ok(poll(lambda: all(v == "UP" for v in states(st, WID).values()), 10,
            0.05), "HAProxy lists %s UP again in %s and seed" % (WID,
                                                                 st.backend),
       lambda: repr(states(st, WID)))
    wait_settled(st, timeout=10)

    counts = collections.Counter()
    for i in range(9):
        r = task(st.http, "suma", {"a": i, "b": 2})
        counts[(r.json() or {}).get("worker")] += 1
    diag("after resume: %r" % dict(counts))
    ok(counts.get(WID, 0) >= 1, "requests through HAProxy reach %s again"
       % WID)


def main():
    st = stack()
    w = st.worker(WID)
    ok(wait_settled(st, timeout=20), "every worker UP in HAProxy at the start",
       lambda: repr({b: {k: v["status"] for k, v in
                         backend_servers(st, b).items()}
                     for b in (st.backend, "seed")}))
    try:
        drained(st, w)
        resumed(st, w)
    finally:
        # Leave the stack as it was: w2 resumed and back in rotation.
        try:
            if w.stats()["draining"]:
                w.ctl("resume")
        finally:
            if not wait_settled(st, timeout=15):
                diag("warning: HAProxy did not settle after the test")


run(main)
