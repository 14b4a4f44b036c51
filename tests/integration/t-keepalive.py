#!/usr/bin/python3
"""
t-keepalive: idle keep-alive connections cost the worker nothing but a
slot in its event loop.

200 idle keep-alive connections to w1 do not hold pool threads: a task on
a new connection is still served at once, `stats` counts the connections,
and the idle ones still work afterwards.  Pipelined requests are answered
in order; HTTP/1.0 closes unless asked to keep alive.
"""
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from httpc import Conn, build_request
from stackenv import stack
from tap import cmp_ok, diag, is_, ok, run
from wait import poll

IDLE = 200


def idle_connections(w1):
    base = w1.stats()["connections"]
    conns = []
    bad = []
    try:
        for i in range(IDLE):
            c = Conn(w1.addr, timeout=10)
            conns.append(c)
            c.request("GET", "/healthz")
            r = c.response()
            if r.status != 200 or r.header("Connection") is not None:
                bad.append((i, r))
        ok(not bad, "%d keep-alive GET /healthz on %d connections: 200, "
           "kept open (no Connection: close)" % (IDLE, IDLE),
           lambda: repr(bad[:3]))

        r = task(w1.addr, "suma", {"a": 25, "b": 17}, timeout=5)
        ok(r.status == 200 and (r.json() or {}).get("resultado") == 42,
           "with %d idle connections open a task is served correctly"
           % IDLE, lambda: repr(r))
        cmp_ok(r.elapsed, "<", 1.0, "... promptly (< 1 s)")

        n = w1.stats()["connections"]
        cmp_ok(n, ">=", IDLE, "stats: connections >= %d (%d)" % (IDLE, n))

        bad = []
        for i, c in enumerate(conns):
            c.request("GET", "/readyz")
            r = c.response()
            if r.status != 200 or (r.json() or {}).get("status") != "ready":
                bad.append((i, r))
        ok(not bad, "a second request on each idle connection is served",
           lambda: repr(bad[:3]))
    finally:
        for c in conns:
            c.close()
    gone = poll(lambda: w1.stats()["connections"] <= base + 2, 3.0)
    ok(gone, "closed connections leave the worker (connections back to %d)"
       % base, lambda: "now %d" % w1.stats()["connections"])


def pipelining(w1):
    reqs = (build_request(w1.addr, "GET", "/healthz") +
            build_request(w1.addr, "POST", "/api/v1/tasks",
                          {"operacion": "multiplicacion",
                           "datos": {"a": 6, "b": 7}}) +
            build_request(w1.addr, "GET", "/readyz"))
    with Conn(w1.addr) as c:
        c.send(reqs)
        got = [c.response() for _ in range(3)]
        ok(not c.closed_by_peer(0.2),
           "the pipelined connection stays open afterwards")
    is_((got[0].status, got[0].body), (200, b"ok\n"),
        "pipelined 1st response: /healthz 200 ok")
    is_((got[1].status, (got[1].json() or {}).get("resultado")), (200, 42),
        "pipelined 2nd response: the task (6*7 = 42), in order")
    is_((got[2].status, (got[2].json() or {}).get("status")), (200, "ready"),
        "pipelined 3rd response: /readyz ready")


def http10(w1):
    with Conn(w1.addr) as c:
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        r = c.response()
        is_((r.status, r.header("Connection")), (200, "close"),
            "HTTP/1.0 without keep-alive: 200, Connection: close")
        ok(c.closed_by_peer(2.0), "... and the worker closes the connection")
    with Conn(w1.addr) as c:
        c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.response()
        is_((r.status, r.header("Connection")), (200, "keep-alive"),
            "HTTP/1.0 with Connection: keep-alive: kept alive")
        c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        is_(c.response().status, 200, "... and a second request is served")
    with Conn(w1.addr) as c:
        c.request("GET", "/healthz", keep_alive=False)
        r = c.response()
        is_((r.status, r.header("Connection")), (200, "close"),
            "HTTP/1.1 with Connection: close: 200, Connection: close")
        ok(c.closed_by_peer(2.0), "... and the worker closes the connection")


def main():
    st = stack()
    w1 = st.worker("w1")
    t0 = time.monotonic()
    idle_connections(w1)
    diag("idle connection test took %.2f s" % (time.monotonic() - t0))
    pipelining(w1)
    http10(w1)


run(main)
