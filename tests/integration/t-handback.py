#!/usr/bin/python3
"""
t-handback: a pool thread that writes a task's reply itself hands the
connection back to the event thread without waking it (conn-pool.c).
Nothing of a request may be lost or reordered on the way, and nothing
that counts requests may miss one.

On one keep-alive connection many tasks in a row are each answered, in
order, with their own result.  Pipelined tasks (bytes read ahead, so the
event thread answers) are answered in order too.  A task whose client
then stays silent, keeping its connection open, is counted at once:
`stats` and /metrics on another connection show it, and nothing is left
in flight.  And a connection whose reply went out that way is still
served when its next request comes much later.
"""
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpc import Conn, build_request, get
from metrics import metric, parse_metrics
from stackenv import stack
from tap import is_, ok, run

ROUNDS = 200


def suma(a, b):
    return {"operacion": "suma", "datos": {"a": a, "b": b}}


def tasks200(w1):
    m = parse_metrics(get(w1.addr, "/metrics").text)
    return metric(m, "pfo3_http_requests_total", worker=w1.id,
                  route="/api/v1/tasks", status="200") or 0.0


def in_a_row(w1):
    before = tasks200(w1)
    bad = []
    ids = []
    with Conn(w1.addr) as c:
        for i in range(ROUNDS):
            c.request("POST", "/api/v1/tasks", suma(i, 1000))
            r = c.response()
            j = r.json() or {}
            if r.status != 200 or j.get("resultado") != i + 1000:
                bad.append((i, r.status, r.body[:120]))
            ids.append(j.get("id"))
        ok(not bad, "%d tasks in a row on one connection: each 200 with "
           "its own result" % ROUNDS, lambda: repr(bad[:3]))
        ok(all(isinstance(x, int) for x in ids) and ids == sorted(ids),
           "... answered in the order they were sent (task ids grow)",
           lambda: repr(ids[:10]))
        # The connection stays open and silent: nothing on it brings the
        # last request back to the event thread; stats and /metrics must
        # count it all the same.
        is_(w1.stats()["inflight"], 0,
            "stats at once: nothing left in flight (the last one either)")
        is_(tasks200(w1) - before, ROUNDS,
            "/metrics on another connection counts every one of them")


def pipelined(w1):
    reqs = b"".join(build_request(w1.addr, "POST", "/api/v1/tasks",
                                  suma(i, 1)) for i in range(5))
    with Conn(w1.addr) as c:
        c.send(reqs)
        got = [c.response() for _ in range(5)]
        ok(not c.closed_by_peer(0.2),
           "the pipelined connection stays open afterwards")
    is_([(r.status, (r.json() or {}).get("resultado")) for r in got],
        [(200, i + 1) for i in range(5)],
        "5 pipelined tasks: 200 each, answered in order")


def counted_at_once(w1):
    before = tasks200(w1)
    with Conn(w1.addr) as c:
        c.request("POST", "/api/v1/tasks", suma(20, 22))
        r = c.response()
        is_((r.status, (r.json() or {}).get("resultado")), (200, 42),
            "a task on a connection then left open: 42")
        is_(tasks200(w1) - before, 1.0,
            "/metrics on another connection counts it at once")
        # Later, the same connection is still served.
        time.sleep(0.5)
        c.request("POST", "/api/v1/tasks", suma(1, 2))
        r = c.response()
        is_((r.status, (r.json() or {}).get("resultado")), (200, 3),
            "its next request, 0.5 s later, is served on the same "
            "connection")
        c.request("GET", "/healthz")
        is_(c.response().status, 200, "... and so is a /healthz after it")


def main():
    w1 = stack().worker("w1")
    in_a_row(w1)
    pipelined(w1)
    counted_at_once(w1)


run(main)
