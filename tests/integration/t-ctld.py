#!/usr/bin/python3
"""
t-ctld: pfo3-ctld, the control daemon that `./stack` starts and that
starts the stack's workers, through its two control sockets.

`status` shows the stack's workers up with 5 threads each, HAProxy UP on
each, every dependency reachable, the job queues and the dead-letter
queue, totals and history.  The read-only socket serves status but refuses
admin commands; malformed and oversized lines on either socket get an
error reply and the daemon keeps serving.  doc/control-protocol.md lists
exactly the command table that `help` returns.  `worker.add` starts w4: HAProxy
lists it UP in both backends and requests reach it; `worker.remove` under
a steady load deletes it from HAProxy without one failed request; while it
runs, keep-alive requests reuse HAProxy's idle connections to it.  A
worker killed with SIGKILL is started again within 2 s and HAProxy marks
it UP again.  A worker of another host (here a private worker) registered
by address is seen through its heartbeats and joins HAProxy.
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from ctldtest import (Load, admin, lb_rows, raw_lines, restore, sockets,
                      status, wait_state, wait_worker, worker_of)
from ctlproto import ctl_call
from haproxy import backend_servers, wait_settled
from httpc import Conn
from stackenv import srcdir, stack
from tap import cmp_ok, is_, like, ok, run
from wait import poll
from workers import PrivateWorker, retire


def check_status(st):
    s = status()
    is_(s.get("v"), 1, "status: protocol version 1")
    ids = sorted(w["id"] for w in s["workers"])
    is_(ids, sorted(st.ids), "status lists the stack's workers")
    for w in s["workers"]:
        is_((w["state"], w["threads"]["total"], w["local"]),
            ("up", 5, True), "%s: up, 5 threads, local" % w["id"])
        is_(w["lb"]["status"], "UP", "%s: HAProxy says UP" % w["id"])
        is_(w["queue"]["capacity"], 64, "%s: pool queue of 64" % w["id"])
        ok(isinstance(w["pid"], int) and w["pid"] > 0,
           "%s: has a pid" % w["id"])
        cmp_ok(len(w["history"]["busy"]), "<=", 300,
               "%s: history holds at most 300 samples" % w["id"])
    for dep in ("postgres", "s3", "amqp", "haproxy"):
        d = s["deps"].get(dep, {})
        ok(d.get("ok") is True and isinstance(d.get("latency_ms"), float),
           "deps.%s ok with a latency" % dep, d)
    conns = s["deps"]["postgres"]["connections"]
    ok(0 < conns["used"] <= conns["max"], "postgres connections used of "
       "max: %d/%d" % (conns["used"], conns["max"]))
    queues = {q["name"]: q for q in s["queues"]}
    ok("pfo3.jobs.report" in queues and
       queues["pfo3.jobs.report"]["consumers"] >= len(st.ids),
       "pfo3.jobs.report listed with a consumer per worker",
       queues.get("pfo3.jobs.report"))
    is_(queues.get("pfo3.jobs.dead", {}).get("dead_letter"), True,
        "pfo3.jobs.dead listed as the dead-letter queue")
    ok(isinstance(queues["pfo3.jobs.report"]["unacked"], int),
       "unacked counts come from the management API")
    is_(s["totals"]["threads"]["total"], 5 * len(st.ids),
        "totals: %d threads" % (5 * len(st.ids)))
    is_(s["totals"]["workers_up"], len(st.ids), "totals: all workers up")
    ok(any("started" in e["text"] for e in s["events"]),
       "events tell when pfo3-ctld started")


def doc_table():
    """The command rows of doc/control-protocol.md, between its markers:
    [(name, usage, access, help)]."""
    with open(os.path.join(srcdir(), "doc", "control-protocol.md")) as f:
        text = f.read()
    body = text.split("<!-- commands: begin -->", 1)[1]
    body = body.split("<!-- commands: end -->", 1)[0]
    rows = []
    for line in body.strip().splitlines()[2:]:
        cells = [c.strip() for c in
                 line.strip().strip("|").replace("\\|", "\0").split("|")]
        cells = [c.replace("\0", "|").strip("`") for c in cells]
        rows.append(tuple(cells))
    return rows


def check_doc(ro):
    """doc/control-protocol.md lists exactly the live command table."""
    rep = ctl_call(ro, "help")
    live = [(c["name"], c["usage"], c["access"], c["help"])
            for c in rep.get("commands", [])]
    is_(doc_table(), live, "doc/control-protocol.md lists the command "
        "table as help returns it")


def check_sockets(adm, ro):
    rep = ctl_call(ro, "status")
    ok(rep.get("ok"), "read-only socket serves status")
    rep = ctl_call(ro, "worker.drain", ["w2"])
    ok(rep.get("ok") is False and "admin" in rep.get("error", ""),
       "read-only socket refuses worker.drain", rep)
    rep = ctl_call(ro, "help")
    names = [c["name"] for c in rep.get("commands", [])]
    ok("worker.drain" in names and "watch" in names,
       "help lists the command table")
    is_(worker_of(status(), "w2")["state"], "up", "w2 was not drained")
    for path, name in ((adm, "admin"), (ro, "read-only")):
        rep = raw_lines(path, b"this is not json\n")
        ok(rep is not None and rep.get("ok") is False,
           "%s socket: malformed line gets an error reply" % name, rep)
        big = b'{"cmd":"status","args":["' + b"x" * (128 * 1024) + b'"]}\n'
        rep = raw_lines(path, big)
        ok(rep is not None and rep.get("ok") is False,
           "%s socket: oversized line gets an error reply" % name, rep)
        rep = raw_lines(path, b'{"cmd":"worker.frobnicate"}\n')
        ok(rep is not None and rep.get("ok") is False,
           "%s socket: unknown command gets an error reply" % name)
        ok(ctl_call(path, "ping").get("ok"),
           "%s socket: still serving after bad lines" % name)
    rep = admin("worker.drain", "w99")
    ok(rep.get("ok") is False and "w99" in rep.get("error", ""),
       "worker.drain of an unknown worker fails", rep)
    rep = admin("worker.add", "0")
    ok(rep.get("ok") is False, "worker.add 0 fails", rep)
    rep = admin("worker.add", "not-an-address:x")
    ok(rep.get("ok") is False, "worker.add with a bad address fails", rep)


def check_added_reuse(st, wid):
    """A server added at run time keeps idle connections as those of the
    configuration file do: without pool-max-conn and pool-purge-delay in
    ctld.haproxy_server, HAProxy opened a new connection to it for nearly
    every request (3x its CPU per request)."""
    def counts():
        row = backend_servers(st, st.backend)[wid]
        return int(row["connect"] or 0), int(row["reuse"] or 0)
    c0, r0 = counts()
    n = 20 * (len(st.ids) + 1)
    with Conn(st.http) as c:
        for _ in range(n):
            c.request("GET", "/healthz")
            c.response()
    c1, r1 = counts()
    cmp_ok(c1 - c0, "<=", 2, "%d keep-alive requests through HAProxy open "
           "at most 2 connections to the added %s" % (n, wid))
    cmp_ok(r1 - r0, ">=", 10, "and reuse an idle one for the others")


def check_add_remove(st):
    rep = admin("worker.add")
    ok(rep.get("ok"), "worker.add: ok", rep)
    wid = rep.get("worker", "w4")
    is_(wid, "w%d" % (len(st.ids) + 1), "the new worker is %s" % wid)
    w = wait_state(wid, "up", 20)
    ok(w is not None, "%s is up" % wid)

    def all_up():
        rows = backend_servers(st, st.backend)
        return len(rows) == len(st.ids) + 1 and \
            all(r["status"] == "UP" for r in rows.values())
    ok(poll(all_up, 15, 0.1), "HAProxy lists %d servers UP" %
       (len(st.ids) + 1), backend_servers(st, st.backend).keys())
    ok(poll(lambda: lb_rows(st, wid).get("seed", {}).get("status") == "UP",
            10, 0.1), "%s is UP in the seed backend too" % wid)

    def reached():
        r = task(st.http, "suma", {"a": 2, "b": 2})
        return r.status == 200 and r.json().get("worker") == wid
    ok(poll(reached, 10, 0.02), "requests through HAProxy reach %s" % wid)
    check_added_reuse(st, wid)

    load = Load(st.http).start()
    time.sleep(1)
    rep = admin("worker.remove", wid)
    ok(rep.get("ok"), "worker.remove %s: ok" % wid, rep)
    gone = wait_worker(wid, lambda w: w is None, 40)
    ok(gone is not None, "%s is gone from status" % wid)
    time.sleep(0.5)
    load.stop()
    res = load.snapshot()
    fails = Load.failures(res)
    ok(not fails, "remove under load: 0 of %d requests failed"
        % len(res), fails[:5])
    cmp_ok(len(res), ">", 50, "the load ran")
    is_(lb_rows(st, wid), {}, "HAProxy no longer lists %s" % wid)
    s = status()
    ok(any(("%s removed" % wid) in e["text"] for e in s["events"]),
       "events tell of the removal")


def check_kill(st):
    wid = st.ids[-1]
    old = worker_of(status(), wid)
    pid, restarts = old["pid"], old["restarts"]
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    w = wait_worker(wid, lambda w: w and w["pid"] not in (None, pid), 5)
    took = time.monotonic() - t0
    ok(w is not None and took <= 2.0,
       "kill -9 %s: a new process within 2 s (%.2f s)" % (wid, took))
    w = wait_state(wid, "up", 15)
    ok(w is not None and w["restarts"] == restarts + 1,
       "%s up again, one more restart" % wid, w)
    like(w and w["last_error"] or "", r"signal 9",
         "last_error says it was killed")
    ok(poll(lambda: all(r["status"] == "UP" and r["check_status"] == "L7OK"
                        for r in lb_rows(st, wid).values()), 15, 0.1),
       "HAProxy marks %s UP again" % wid)
    with open(os.path.join(os.environ["PFO3_RUN_DIR"], "pids",
                           "%s.pid" % wid)) as f:
        is_(int(f.read().strip()), w["pid"], "its pid file is rewritten")


def check_remote(st):
    p = PrivateWorker(st, "r1")
    addr = "%s:%d" % p.addr
    rep = admin("worker.add", addr)
    ok(rep.get("ok"), "worker.add %s registers a remote worker" % addr, rep)
    wid = rep.get("worker")
    w = wait_state(wid, "up", 10)
    ok(w is not None and w["local"] is False and w["pid"] is None,
       "%s is up, seen through its heartbeats" % wid, w)
    ok(w is not None and w["threads"]["total"] > 0,
       "its heartbeat gives its threads")
    ok(poll(lambda: lb_rows(st, wid).get(st.backend, {}).get("status")
            == "UP", 15, 0.1), "HAProxy lists %s UP" % wid)
    rep = admin("worker.restart", wid)
    ok(rep.get("ok") is False and "remote" in rep.get("error", ""),
       "a remote worker cannot be restarted", rep)
    rep = admin("worker.remove", wid)
    ok(rep.get("ok"), "worker.remove %s" % wid, rep)
    ok(wait_worker(wid, lambda w: w is None, 30) is not None,
       "%s is gone" % wid)
    is_(lb_rows(st, wid), {}, "HAProxy no longer lists %s" % wid)
    retire(p)


def main():
    st = stack()
    adm, ro = sockets()
    ok(wait_settled(st), "HAProxy has every worker UP to begin with")
    try:
        check_status(st)
        check_sockets(adm, ro)
        check_doc(ro)
        check_add_remove(st)
        check_kill(st)
        check_remote(st)
    finally:
        ok(restore(st), "the cluster is back to %s" % " ".join(st.ids))


run(main)
