#!/usr/bin/python3
"""
t-ctld-drain: `worker.drain`, `worker.resume` and a rolling
`worker.restart all` through pfo3-ctld, under a steady load through HAProxy
(threads on keep-alive connections and threads opening a connection per
request).

Draining w2 fails no request; once HAProxy has taken it out (DRAIN), w2
gets no new request; its work in flight finishes and it ends `drained`.
`resume` brings it back: up, UP in HAProxy, serving again.  Restarting
every worker one at a time fails no request either, and each worker comes
back with a new process before the next one goes.
"""
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from ctldtest import Load, admin, lb_rows, restore, sockets, status, wait_state
from stackenv import stack
from tap import cmp_ok, diag, is_, ok, run
from wait import poll

WID = "w2"


def check_drain(st):
    load = Load(st.http).start()
    ok(poll(lambda: Load.served_by(load.snapshot(), WID), 10, 0.05),
       "the load reaches %s before the drain" % WID)
    t_drain = time.monotonic()
    rep = admin("worker.drain", WID)
    ok(rep.get("ok"), "worker.drain %s: ok" % WID, rep)
    is_(rep.get("state"), "draining", "it answers at once: draining")
    ok(poll(lambda: all(r["status"].startswith("DRAIN") or
                        r["status"].startswith("DOWN")
                        for r in lb_rows(st, WID).values()), 5, 0.05),
       "HAProxy takes %s out of rotation" % WID,
       {b: r["status"] for b, r in lb_rows(st, WID).items()})
    t_out = time.monotonic()
    w = wait_state(WID, "drained", 20)
    ok(w is not None, "%s ends drained" % WID)
    ok(w is not None and w["inflight"] == 0 and w["lb"]["sessions"] == 0,
       "drained: nothing in flight, no HAProxy session", w)
    time.sleep(2)
    load.stop()
    res = load.snapshot()
    fails = Load.failures(res)
    ok(not fails, "drain under load: 0 of %d requests failed"
        % len(res), fails[:5])
    late = Load.served_by(res, WID, after=t_out)
    is_(len(late), 0, "no request started after HAProxy took %s out "
        "reached it" % WID)
    others = [r for r in res if r[0] >= t_out and r[2] not in (None, WID)]
    cmp_ok(len(others), ">", 20, "the others served the load meanwhile")
    diag("drain: %.2f s until HAProxy took it out" % (t_out - t_drain))
    s = status()
    ok(any(("%s draining" % WID) in e["text"] and "uid" in e["text"]
           for e in s["events"]), "events name the drain and its uid")
    is_(admin("worker.drain", WID).get("ok"), False,
        "draining it again is refused")


def check_resume(st):
    rep = admin("worker.resume", WID)
    ok(rep.get("ok"), "worker.resume %s: ok" % WID, rep)
    ok(wait_state(WID, "up", 5) is not None, "%s is up again" % WID)
    ok(poll(lambda: all(r["status"] == "UP" for r in
                        lb_rows(st, WID).values()), 15, 0.1),
       "HAProxy marks %s UP again" % WID)

    def reached():
        r = task(st.http, "suma", {"a": 1, "b": 1})
        return r.status == 200 and r.json().get("worker") == WID
    ok(poll(reached, 10, 0.02), "requests reach %s again" % WID)
    is_(admin("worker.resume", WID).get("ok"), False,
        "resuming a worker that is up is refused")


def check_restart_all(st):
    before = {w["id"]: w["pid"] for w in status()["workers"]}
    load = Load(st.http).start()
    rep = admin("worker.restart", "all")
    ok(rep.get("ok"), "worker.restart all: ok", rep)
    order = []
    away = [0]

    def done():
        s = status()
        away[0] = max(away[0], len([w for w in s["workers"]
                                    if w["state"] != "up"]))
        for w in s["workers"]:
            if w["pid"] != before.get(w["id"]) and w["id"] not in order:
                order.append(w["id"])
        return ("rolling_restart" not in s and
                all(w["pid"] not in (None, before[w["id"]]) and
                    w["state"] == "up" for w in s["workers"]))
    ok(poll(done, 90, 0.1), "every worker restarted")
    cmp_ok(away[0], "<=", 1, "never more than one worker away at a time")
    is_(sorted(order), sorted(st.ids), "each has a new process")
    time.sleep(1)
    load.stop()
    res = load.snapshot()
    fails = Load.failures(res)
    ok(not fails, "rolling restart under load: 0 of %d requests "
        "failed" % len(res), fails[:5])
    ok(any("rolling restart done" in e["text"] for e in status()["events"]),
       "events tell the rolling restart is done")


def main():
    st = stack()
    sockets()
    try:
        check_drain(st)
        check_resume(st)
        check_restart_all(st)
    finally:
        ok(restore(st), "the cluster is back to %s" % " ".join(st.ids))


run(main)
