#!/usr/bin/python3
"""
t-roundrobin: HAProxy spreads fresh connections over the workers in turn.

With every worker UP at the same weight, 15 sequential tasks, each on its
own connection, land exactly five on each of w1, w2, w3; the worker that
answers says so both in the JSON "worker" field and in X-Pfo3-Worker.
"""
import collections
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from haproxy import backend_servers, wait_settled
from stackenv import stack
from tap import diag, is_, ok, run

N = 15


def main():
    st = stack()
    settled = wait_settled(st, [st.backend], timeout=20)
    ok(settled, "HAProxy shows %s UP at equal weights in %s"
       % (" ".join(st.ids), st.backend),
       lambda: repr({k: (v["status"], v["check_status"], v["weight"])
                     for k, v in backend_servers(st, st.backend).items()}))

    counts = collections.Counter()
    for i in range(N):
        r = task(st.http, "suma", {"a": i, "b": 100})
        body = r.json() or {}
        wid = body.get("worker")
        counts[wid] += 1
        ok(r.status == 200 and body.get("resultado") == i + 100 and
           body.get("estado") == "completado",
           "task %d through HAProxy: 200, suma %d+100 = %d" % (i, i, i + 100),
           lambda: "got %r" % r)
        is_(r.header("X-Pfo3-Worker"), wid,
            "task %d: X-Pfo3-Worker equals the worker field (%s)" % (i, wid))

    diag("counts: %r" % dict(counts))
    for wid in st.ids:
        is_(counts.get(wid, 0), N // len(st.ids),
            "%s answered exactly %d of %d" % (wid, N // len(st.ids), N))
    is_(sum(counts[w] for w in st.ids), N,
        "no answer came from anywhere but %s" % " ".join(st.ids))


run(main)
