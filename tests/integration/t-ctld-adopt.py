#!/usr/bin/python3
"""
t-ctld-adopt: pfo3-ctld can die without taking the workers along.

The stack's pfo3-ctld is killed (SIGKILL), then told to leave (SIGQUIT:
it exits, the workers running on), under a light load: no request fails, its supervisor starts a new one within a few seconds, and that one
adopts w1..wN: up, the same pids, no restart, "adopted wN (pid P)" in the
events and nothing "failed".  Then an adopted worker is killed: not being
the new pfo3-ctld's child, its death is seen all the same and it is
started again.  With pfo3-ctld and its supervisor gone but the workers
running, `./stack up` starts pfo3-ctld (which adopts them) instead of
refusing their ports.

A private pfo3-ctld (two workers on free ports, and a third added by
worker.add, no HAProxy) is killed and started again over the same
workers, twice, and adopts all three: the second time one worker is
frozen (SIGSTOP), so it does not answer; its pid file names it, so it is
killed and started again instead of blocking its ports.  SIGTERM then
stops every worker, adopted ones too.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctldtest import Load, restore, sockets, status, wait_worker, worker_of
from ctlproto import ctl_call
from haproxy import backend_servers
from httpc import HttpError, get
from scratch import free_port, tmpdir
from stackenv import srcdir, stack
from tap import cmp_ok, diag, is_, ok, run
from wait import poll
from workers import SANITIZER_RE

# A new pfo3-ctld answers within this: the supervisor waits at most 2 s,
# then pfo3-ctld starts (its sockets, HAProxy, one stats per worker).
NEW_CTLD_WITHIN = 6.0


def alive(pid):
    """True while `pid` runs (a zombie, which nobody may reap here, is
    dead)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def events(st):
    return [e["text"] for e in st["events"]]


def try_status(path=None):
    try:
        return status(path)
    except (OSError, RuntimeError, ValueError, HttpError):
        return None     # gone, or going while it answers


def run_pid(name):
    try:
        with open(os.path.join(os.environ["PFO3_RUN_DIR"], "pids",
                               name + ".pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def check_adopted(s, pids, label):
    """Every worker of `pids` up in status `s`, adopted, same pid."""
    texts = events(s)
    for wid, pid in sorted(pids.items()):
        w = worker_of(s, wid)
        is_((w or {}).get("state"), "up", "%s: %s is up" % (label, wid))
        is_((w or {}).get("pid"), pid, "%s: %s keeps its pid %d" %
            (label, wid, pid))
        ok(w is not None and w.get("adopted") is True and
           w["restarts"] == 0, "%s: %s adopted, not restarted" %
           (label, wid), w and {k: w.get(k) for k in ("adopted",
                                                     "restarts")})
        ok("adopted %s (pid %d)" % (wid, pid) in texts,
           "%s: events say 'adopted %s (pid %d)'" % (label, wid, pid))
    bad = [t for t in texts if "failed" in t]
    ok(not bad, "%s: no 'failed' in the events" % label, bad)


def check_stack_ctld(st, sig):
    """`sig` to the stack's pfo3-ctld under a light load: SIGKILL (a
    crash) or SIGQUIT (it exits, leaving the workers)."""
    name = signal.Signals(sig).name
    # A worker still starting (an earlier test restarted it) has no
    # control socket to answer: wait until every one is up.
    s0 = poll(lambda: (lambda s: s if all(w["state"] == "up" for w in
                                          s["workers"]) else None)(status()),
              30, 0.1)
    ok(s0 is not None, "%s: every worker is up first" % name)
    s0 = s0 or status()
    old = s0["ctld"]["pid"]
    pids = {w["id"]: w["pid"] for w in s0["workers"]}
    is_(sorted(pids), sorted(st.ids), "status lists the stack's workers")
    is_(run_pid("ctld"), old, "pids/ctld.pid names pfo3-ctld")

    load = Load(st.http, keepalive=2, fresh=2, pause=0.02).start()
    time.sleep(1.0)
    t0 = time.monotonic()
    os.kill(old, sig)
    s1 = poll(lambda: (lambda s: s if s and s["ctld"]["pid"] != old
                       else None)(try_status()), NEW_CTLD_WITHIN + 4, 0.1)
    took = time.monotonic() - t0
    ok(s1 is not None, "a new pfo3-ctld answers after %s" % name)
    cmp_ok(took, "<", NEW_CTLD_WITHIN, "... within %.0f s (%.2f s)" %
           (NEW_CTLD_WITHIN, took))
    if s1 is None:
        load.stop()
        return
    # Adoption happens before pfo3-ctld serves: its first status tells.
    check_adopted(s1, pids, "after %s" % name)
    ok(all(alive(p) for p in pids.values()), "the workers never stopped")
    time.sleep(2.0)     # the load goes on under the new pfo3-ctld
    load.stop()
    res = load.snapshot()
    fails = Load.failures(res)
    is_(len(fails), 0, "%s: no request failed while pfo3-ctld died and "
        "came back (%d requests)" % (name, len(res)))
    for f in fails[:5]:
        diag("failed: %r" % (f,))
    rows = backend_servers(st, st.backend)
    ok(sorted(rows) == sorted(st.ids) and
       all(r["status"] == "UP" for r in rows.values()),
       "HAProxy still lists %s UP" % " ".join(st.ids),
       {k: v["status"] for k, v in rows.items()})
    new = s1["ctld"]["pid"]
    is_(run_pid("ctld"), new, "pids/ctld.pid names the new one")
    for wid, pid in sorted(pids.items()):
        is_(run_pid(wid), pid, "pids/%s.pid still names it" % wid)


def check_stack_up(st):
    """pfo3-ctld and its supervisor gone, the workers running: `./stack
    up` starts pfo3-ctld, which adopts them, instead of refusing their
    ports."""
    s0 = status()
    pids = {w["id"]: w["pid"] for w in s0["workers"]}
    sup = run_pid("ctld-supervisor")
    ok(sup is not None and alive(sup), "the supervisor runs (pid %s)" % sup)
    os.kill(sup, signal.SIGTERM)
    ok(poll(lambda: not alive(sup), 10, 0.05),
       "SIGTERM ends the supervisor")
    time.sleep(0.5)
    ok(alive(s0["ctld"]["pid"]), "... and leaves pfo3-ctld running")
    os.kill(s0["ctld"]["pid"], signal.SIGKILL)
    ok(poll(lambda: not alive(s0["ctld"]["pid"]), 10, 0.05),
       "pfo3-ctld killed; nothing starts it again")
    ok(all(alive(p) for p in pids.values()), "the workers run on")

    p = subprocess.run([os.path.join(srcdir(), "stack"), "up", "--detach",
                        "--no-build"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=180)
    ok(p.returncode == 0, "./stack up succeeds with the workers running",
        p.stderr[-3000:] if p.returncode else None)
    ok("in use" not in p.stderr, "it does not refuse their ports")
    s1 = try_status()
    ok(s1 is not None and s1["ctld"]["pid"] != s0["ctld"]["pid"],
       "a new pfo3-ctld serves")
    if s1 is not None:
        check_adopted(s1, pids, "after ./stack up")
    sup = run_pid("ctld-supervisor")
    ok(sup is not None and alive(sup), "supervised again (pid %s)" % sup)


def check_adopted_death(st):
    wid = st.ids[-1]
    w = worker_of(status(), wid)
    pid = w["pid"]
    ok(w.get("adopted"), "%s is an adopted worker" % wid)
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    w2 = wait_worker(wid, lambda w: w is not None and w["state"] == "up"
                     and w["pid"] not in (None, pid), 15)
    ok(w2 is not None, "the adopted %s killed: seen and started again "
       "(%.1f s)" % (wid, time.monotonic() - t0))
    ok(w2 is not None and not w2.get("adopted") and w2["restarts"] == 1,
       "the new %s is a child, restarted once" % wid,
       w2 and {k: w2.get(k) for k in ("adopted", "restarts")})
    ok(any(t.startswith("%s down (ended (adopted" % wid)
           for t in events(status())),
       "events say the adopted %s ended" % wid)
    ok(restore(st), "the cluster is back as the other tests expect it")


class PrivateCtld:
    """pfo3-ctld with two workers of its own on free ports, its sockets,
    pid files and logs in a private directory, no HAProxy."""

    def __init__(self):
        self.dir = tmpdir()
        self.sock = os.path.join(self.dir, "admin.sock")
        self.logpath = os.path.join(self.dir, "ctld.log")
        self.log = open(self.logpath, "ab")
        for _ in range(20):
            base = free_port()
            if base < 65534 and self._free(base + 1) and \
                    self._free(base + 2):
                break
        self.base = base
        self.proc = None
        self.seen = set()

    @staticmethod
    def _free(port):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return True
            except OSError:
                return False

    def pid_file(self, wid):
        return os.path.join(self.dir, "%s.pid" % wid)

    def start(self):
        d = self.dir
        self.proc = subprocess.Popen(
            [os.environ["PFO3_CTLD"], "-f", "-c", os.environ["PFO3_CONF"],
             "-o", "workers.count=2",
             "-o", "workers.base_port=%d" % self.base,
             "-o", "workers.agent_base_port=0",
             "-o", "workers.pid_file=" + os.path.join(d, "%i.pid"),
             "-o", "workers.log=" + os.path.join(d, "%i.log"),
             "-o", "worker.control=" + os.path.join(d, "%i.sock"),
             "-o", "ctld.haproxy_socket=",
             "-o", "ctld.admin_socket=" + self.sock,
             "-o", "ctld.read_socket="],
            stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)

    def status(self):
        try:
            rep = ctl_call(self.sock, "status")
        except (OSError, ValueError, HttpError):
            return None
        return rep if rep.get("ok") else None

    def wait_up(self, n, timeout=40):
        def up():
            s = self.status()
            if s and len(s["workers"]) == n and \
                    all(w["state"] == "up" for w in s["workers"]):
                for w in s["workers"]:
                    self.seen.add(w["pid"])
                return s
            return None
        return poll(up, timeout, 0.1)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.seen:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.log.close()

    def logtext(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()


def check_private():
    c = PrivateCtld()
    try:
        c.start()
        s = c.wait_up(2)
        ok(s is not None, "a private pfo3-ctld starts two workers",
           c.logtext()[-2000:] if s is None else None)
        if s is None:
            return
        rep = ctl_call(c.sock, "worker.add")
        s = c.wait_up(3)
        ok(rep.get("ok") and s is not None,
           "worker.add starts w3, beyond workers.count", rep)
        if s is None:
            return
        pids = {w["id"]: w["pid"] for w in s["workers"]}
        for wid, pid in pids.items():
            with open(c.pid_file(wid)) as f:
                is_(int(f.read().strip()), pid, "%s: pid file" % wid)

        for rnd in (1, 2):
            c.kill()
            ok(all(alive(p) for p in pids.values()),
               "round %d: pfo3-ctld killed, its workers run on" % rnd)
            c.start()
            s = c.wait_up(3)
            ok(s is not None, "round %d: the next pfo3-ctld serves, w3 "
               "included" % rnd)
            if s is None:
                return
            check_adopted(s, pids, "round %d" % rnd)
            port = c.base
            r = get(("127.0.0.1", port), "/healthz")
            is_(r.status, 200, "round %d: w1 serves" % rnd)

        # A frozen worker does not answer on its control socket; its pid
        # file says it is ours: killed and started again.
        frozen = pids["w2"]
        os.kill(frozen, signal.SIGSTOP)
        c.kill()
        c.start()
        w = poll(lambda: (lambda s: s and (lambda w: w if w and
                 w["state"] == "up" and w["pid"] != frozen else None)(
                 worker_of(s, "w2")))(c.status()), 40, 0.1)
        ok(w is not None, "a frozen w2 is killed and started again",
           c.logtext()[-2000:] if w is None else None)
        ok(not alive(frozen), "the frozen w2 (pid %d) is gone" % frozen)
        s = c.status()
        texts = events(s) if s else []
        ok(any("w2 (pid %d) does not answer" % frozen in t for t in texts),
           "events say w2 did not answer", texts)
        for wid in ("w1", "w3"):
            is_((worker_of(s, wid) or {}).get("pid") if s else None,
                pids[wid], "%s is adopted again (same pid)" % wid)
        if w is not None:
            c.seen.add(w["pid"])

        # SIGTERM: every worker stops, the adopted ones too.
        c.proc.terminate()
        try:
            rc = c.proc.wait(60)
        except subprocess.TimeoutExpired:
            rc = None
        is_(rc, 0, "SIGTERM: the private pfo3-ctld exits 0")
        ok(poll(lambda: not any(alive(p) for p in c.seen), 10, 0.1),
           "every worker it had stopped, adopted ones too")
        text = c.logtext()
        m = SANITIZER_RE.search(text)
        ok(m is None, "no sanitizer report in its log",
           text[m.start():][:3000] if m else None)
    finally:
        c.cleanup()


def main():
    st = stack()
    sockets()
    check_stack_ctld(st, signal.SIGKILL)
    check_stack_ctld(st, signal.SIGQUIT)
    check_stack_up(st)
    check_adopted_death(st)
    check_private()


run(main)
