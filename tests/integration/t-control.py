#!/usr/bin/python3
"""
t-control: the worker's control socket and command line.

On w1's socket: ping, help (the command table with access levels), stats
(typed without "v"), errors for an unknown command, a malformed line (the
connection goes on) and a wrong number of arguments.  `shutdown` and
SIGTERM are tried on private workers: the task in flight completes, then
the process exits 0.  The command line: -n with a bad and with no
configuration file, --help, --version.
"""
import os
import re
import signal
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from ctlproto import CtlConn
from scratch import tmpdir
from stackenv import stack
from tap import cmp_ok, is_, like, ok, run
from wait import Background, poll
from workers import PrivateWorker, run_workerd

COMMANDS = {"stats": "read", "drain": "admin", "resume": "admin",
            "shutdown": "admin", "jobs.hold": "admin",
            "jobs.release": "admin", "ping": "read", "help": "read"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def socket_commands(w):
    with CtlConn(w.socket) as c:
        is_(c.call("ping"), {"ok": True, "v": 1, "pong": True},
            "ping: {\"ok\":true,\"v\":1,\"pong\":true}")

        rep = c.call("help")
        cmds = rep.get("commands") or []
        is_(rep.get("ok"), True, "help: ok")
        is_({x.get("name"): x.get("access") for x in cmds}, COMMANDS,
            "help lists stats, drain, resume, shutdown, jobs.hold, "
            "jobs.release, ping, help with "
            "their access levels")
        ok(all(isinstance(x.get("help"), str) and x["help"] and
               x.get("min_args") == 0 and x.get("max_args") == 0 and
               x.get("usage") == "" for x in cmds),
           "help: every command has a help sentence and takes no arguments",
           lambda: repr(cmds))

        c.send_line(b'{"cmd":"stats"}')
        s = c.recv()
        is_((s.get("ok"), s.get("v")), (True, 1),
            "{\"cmd\":\"stats\"} without \"v\" works; the reply has v 1")
        check_stats(w, s)

        rep = c.call("frobnicate")
        is_(rep, {"ok": False, "v": 1, "error": "unknown command "
                  "'frobnicate'; commands: stats, drain, resume, shutdown, "
                  "jobs.hold, jobs.release, help, ping"},
            "unknown command: ok false, the error lists the commands")

        c.send_line(b'{"cmd": "ping"')
        rep = c.recv()
        ok(rep.get("ok") is False and
           str(rep.get("error", "")).startswith("bad JSON in request"),
           "malformed JSON line: ok false, \"bad JSON in request ...\"",
           lambda: repr(rep))
        is_(c.call("ping").get("pong"), True,
            "... and the next request on the same connection is served")

        c.send_line(b'["stats"]')
        is_(c.recv(), {"ok": False, "v": 1,
                       "error": "request is not a JSON object"},
            "a JSON array: \"request is not a JSON object\"")
        c.send_line(b'{"args": []}')
        is_(c.recv(), {"ok": False, "v": 1,
                       "error": "request has no \"cmd\" string"},
            "no \"cmd\": \"request has no \\\"cmd\\\" string\"")

        is_(c.call("stats", ["now"]),
            {"ok": False, "v": 1,
             "error": "usage: stats (takes no arguments)"},
            "stats with an argument: \"usage: stats (takes no arguments)\"")
        is_(c.call("drain", ["w1"]).get("error"),
            "usage: drain (takes no arguments)",
            "drain with an argument is refused before it runs")
        is_(w.stats()["draining"], False, "... and w1 is not draining")

        c.send_line(b'{"cmd":"stats","v":2}')
        rep = c.recv()
        ok(rep.get("ok") is False and "unsupported protocol version 2" in
           str(rep.get("error")), "\"v\": 2 is refused as unsupported",
           lambda: repr(rep))

        rep = c.call("st")
        is_((rep.get("ok"), rep.get("id")), (True, w.id),
            "a unique prefix (\"st\") runs stats")
        is_(c.call("s").get("error"),
            "ambiguous command 's': could be stats, shutdown",
            "an ambiguous prefix (\"s\") names the candidates")


def check_stats(w, s):
    is_((s.get("id"), s.get("draining")), (w.id, False),
        "stats: id %s, draining false" % w.id)
    ok(is_int(s.get("pid")) and s["pid"] > 1, "stats: pid is a process id",
       lambda: repr(s.get("pid")))
    ok(is_int(s.get("uptime_s")) and s["uptime_s"] >= 0,
       "stats: uptime_s is an integer >= 0", lambda: repr(s.get("uptime_s")))
    th, q = s.get("threads") or {}, s.get("queue") or {}
    ok(th.get("total") == 5 and is_int(th.get("busy")) and
       0 <= th["busy"] <= 5, "stats: threads {total 5, busy 0..5}",
       lambda: repr(th))
    ok(q.get("capacity") == 64 and is_int(q.get("length")) and
       0 <= q["length"] <= 64, "stats: queue {length, capacity 64}",
       lambda: repr(q))
    ok(is_int(s.get("connections")) and s["connections"] >= 0,
       "stats: connections is a count", lambda: repr(s.get("connections")))
    req = s.get("requests") or {}
    ok(is_int(req.get("total")) and req["total"] > 0 and
       is_int(req.get("errors")) and is_int(req.get("rejected")) and
       isinstance(req.get("by_status"), dict) and
       sum(req["by_status"].values()) == req["total"],
       "stats: requests {total, errors, rejected, by_status summing to "
       "total}", lambda: repr(req))
    lat = s.get("latency_ms") or {}
    ok(all(is_num(lat.get(k)) for k in ("p50", "p90", "p99", "max")) and
       lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"] and
       is_int(lat.get("samples")) and lat.get("window_s") == 60,
       "stats: latency_ms {samples, p50 <= p90 <= p99 <= max, window_s 60}",
       lambda: repr(lat))


def stops_gracefully(st, how):
    """A private worker with a 1 s sleep in flight is told to stop (`how`
    is "shutdown" or "SIGTERM"): the task completes, the process exits 0
    within worker.shutdown_timeout."""
    p = PrivateWorker(st, "p-" + how.lower(),
                      ["-o", "worker.shutdown_timeout=5s"])
    try:
        job = Background(task, p.addr, "sleep", {"segundos": 1})
        job.start()
        ok(poll(lambda: p.stats()["threads"]["busy"] == 1, 1.0, 0.01),
           "%s: a 1 s sleep is running on the private worker" % how)
        if how == "shutdown":
            rep = p.ctl("shutdown")
            is_(rep, {"ok": True, "v": 1, "inflight": 1, "timeout_ms": 5000},
                "shutdown: ok, inflight 1, timeout_ms 5000")
        else:
            p.proc.send_signal(signal.SIGTERM)
        job.join(10)
        r = job.result
        ok(job.error is None and r is not None and r.status == 200 and
           (r.json() or {}).get("resultado") == 1,
           "%s: the task in flight still completes with 200" % how,
           lambda: "error %r, response %r" % (job.error, r))
        is_(r.header("Connection") if r else None, "close",
            "%s: ... with Connection: close" % how)
        status = p.wait_exit(5)
        is_(status, 0, "%s: the process exits with status 0 within the "
            "shutdown timeout" % how)
        ok(not os.path.exists(p.socket),
           "%s: the control socket is removed" % how)
        ok("drained: exiting" in p.logtext(),
           "%s: it exited because the work was done, not at the timeout"
           % how, lambda: p.logtext()[-1500:])
        report = p.sanitizer_report()
        ok(report is None, "%s: no sanitizer report in its log" % how,
           report)
    finally:
        p.kill()


def command_line(st):
    d = tmpdir()
    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        f.write("# a test configuration\nworker = {\n\tbogus = 1;\n};\n")
    rc, out, err = run_workerd(st, ["-n", "-c", bad])
    is_(rc, 2, "-n with an unknown key: exit status 2")
    like(out + err, "(^|\n)%s:3: " % re.escape(bad),
         "-n with an unknown key on line 3: prints \"FILE:3:\"")
    like(err, "unknown key 'worker.bogus'", "... naming the key")

    good = os.path.join(d, "good.conf")
    with open(good, "w") as f:
        f.write("worker = {\n\tthreads = 2;\n};\n")
    rc, out, err = run_workerd(st, ["-n", "-c", good])
    is_((rc, out), (0, "configuration OK\n"), "-n with a good file: "
        "\"configuration OK\", exit 0")
    rc, out, err = run_workerd(st, ["-n"])
    is_((rc, out), (0, "configuration OK\n"),
        "-n with no file: \"configuration OK\", exit 0")
    rc, out, err = run_workerd(st, ["-n", "-c", os.path.join(d, "none")])
    is_(rc, 2, "-n with a missing file: exit status 2")
    rc, out, err = run_workerd(st, ["-n", "--threads", "0"])
    is_(rc, 2, "-n --threads 0 (out of range): exit status 2")

    rc, out, err = run_workerd(st, ["--help"])
    ok(rc == 0 and "--threads" in out and out.startswith("usage: "),
       "--help: exit 0, usage on stdout mentioning --threads",
       lambda: "exit %r, %r" % (rc, out[:300]))
    rc, out, err = run_workerd(st, ["--version"])
    ok(rc == 0 and re.match(r"^pfo3-workerd \d+\.\d+(\.\d+)?\S*\n$", out),
       "--version: exit 0, \"pfo3-workerd X.Y.Z\"",
       lambda: "exit %r, %r" % (rc, out))
    rc, out, err = run_workerd(st, ["--no-such-option"])
    ok(rc == 2 and "usage:" in err, "an unknown option: exit 2, usage on "
       "stderr", lambda: "exit %r, %r" % (rc, err[:300]))


def short_tasks_at_stop(st, rounds=10):
    """The reply of a task that finishes just as the worker stops must
    still go out before the process exits.  A 50 ms task ends close to
    one of the periodic exit checks, when the reply can still sit in an
    output buffer; ten rounds make that moment likely to come up."""
    lost, reports = [], []
    for i in range(rounds):
        how = "shutdown" if i % 2 == 0 else "SIGTERM"
        p = PrivateWorker(st, "p-short%d" % i,
                          ["-o", "worker.shutdown_timeout=5s"])
        try:
            job = Background(task, p.addr, "sleep", {"segundos": 0.05})
            job.start()
            poll(lambda: p.stats()["threads"]["busy"] == 1, 1.0, 0.002)
            if how == "shutdown":
                p.ctl("shutdown")
            else:
                p.proc.send_signal(signal.SIGTERM)
            job.join(10)
            status = p.wait_exit(5)
            r = job.result
            if job.error is not None or r is None or r.status != 200 or \
                    status != 0:
                lost.append((i, how, repr(job.error or r), status))
            if p.sanitizer_report():
                reports.append(p.sanitizer_report())
        finally:
            p.kill()
    ok(not lost, "%d stops (shutdown, SIGTERM) each with a 50 ms task in "
       "flight: every reply is sent before the exit" % rounds,
       lambda: "lost %d of %d:\n%s" % (len(lost), rounds,
                                       "\n".join(map(repr, lost))))
    ok(not reports, "... and no sanitizer report in their logs",
       lambda: reports[0])


def main():
    st = stack()
    w1 = st.worker("w1")
    pid = w1.stats()["pid"]
    socket_commands(w1)
    cmp_ok(w1.stats()["pid"], "==", pid, "w1 is the same process afterwards")
    stops_gracefully(st, "shutdown")
    stops_gracefully(st, "SIGTERM")
    short_tasks_at_stop(st)
    command_line(st)


run(main)
