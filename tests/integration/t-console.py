#!/usr/bin/python3
"""
t-console: pfo3-console against the stack's pfo3-ctld, driven under tmux
(send-keys, capture-pane, resize-window), every check a poll of the
captured screen with a deadline.

- The command line: --help, a bad option, a bad configuration (file:line),
  no terminal without --batch.
- --batch prints one frame that agrees with `pfo3ctl --json status`.
- On screen: w1..w3 up with 0/5 busy; sleep tasks make busy counts rise;
  `a` + confirm adds a 4th worker that `pfo3ctl status` also lists, and
  `x` + confirm removes it again, the confirmation stating the impact;
  `d` on w2 shows draining (with in-flight work counting) then drained,
  `r` brings it back up; resizing to 80x24 and back to 100x30 re-lays
  the screen; `?` shows the help from the key table; `q` quits with 0.
- Read-only: on the read-only socket and with --read-only, action keys
  only explain, and the cluster does not change.
- Reconnection: a private pfo3-ctld (no workers, no HAProxy, its own
  sockets) is stopped and started again; the console shows
  "disconnected — retrying", then that ctld's new pid.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from ctldtest import restore, sockets, status, worker_of
from scratch import tmpdir
from stackenv import stack
from tap import diag, is_, like, ok, run
from wait import Background, poll

TMUX = shutil.which("tmux") or "/usr/bin/tmux"
# Screens change once a second (ctld's interval): give each state this long.
WAIT = 20.0


class Screen:
    """One console in a private tmux server."""

    def __init__(self, name, argv, cols=100, rows=30, env=None):
        self.sock = "pfo3-t-console-%d-%s" % (os.getpid(), name)
        cmd = " ".join(_sh(a) for a in argv)
        full_env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                    "TERM": "screen-256color"}
        full_env.update(env or {})
        envs = " ".join("%s=%s" % (k, _sh(v)) for k, v in full_env.items())
        # The shell prints the console's exit status and keeps the pane
        # (tmux's own pane_dead_status stays empty for a TSan build).
        self.tmux("new-session", "-d", "-x", str(cols), "-y", str(rows),
                  "env %s %s; echo \"[console exit status $?]\"; "
                  "sleep 600" % (envs, cmd))

    def tmux(self, *args):
        return subprocess.run([TMUX, "-L", self.sock] + list(args),
                              capture_output=True, text=True, timeout=10)

    def text(self):
        r = self.tmux("capture-pane", "-p", "-J")
        return r.stdout if r.returncode == 0 else ""

    def keys(self, *keys):
        for k in keys:
            self.tmux("send-keys", k)
            time.sleep(0.05)

    def resize(self, cols, rows):
        self.tmux("resize-window", "-x", str(cols), "-y", str(rows))

    def wait(self, pred, timeout=WAIT):
        """Polls the screen until pred(text) is true; the last text."""
        last = [""]

        def check():
            last[0] = self.text()
            return pred(last[0])
        good = poll(check, timeout, 0.1)
        return bool(good), last[0]

    def wait_for(self, regex, timeout=WAIT):
        return self.wait(lambda t: re.search(regex, t, re.M) is not None,
                         timeout)

    def close(self):
        path = self.tmux("display-message", "-p", "#{socket_path}")
        self.tmux("kill-server")
        # tmux leaves its socket file behind when killed.
        if path.returncode == 0 and path.stdout.strip():
            try:
                os.unlink(path.stdout.strip())
            except OSError:
                pass


def _sh(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


def row(text, wid):
    """The line of worker `wid` in a screen, or ''."""
    for line in text.splitlines():
        if re.match(r"^.\s%s\s" % re.escape(wid), line):
            return line
    return ""


def busy_of(line):
    m = re.search(r"(\d+)/(\d+)", line)
    return (int(m.group(1)), int(m.group(2))) if m else None


def console_bin():
    return os.path.join(os.environ["PFO3_BUILDDIR"], "pfo3-console")


# ---------------------------------------------------------------- command line

def command_line(con):
    r = subprocess.run([con, "--help"], capture_output=True, text=True)
    ok(r.returncode == 0 and "--batch" in r.stdout and
       "--read-only" in r.stdout, "--help: exit 0, names --batch and "
       "--read-only")
    r = subprocess.run([con, "--frobnicate"], capture_output=True, text=True)
    is_(r.returncode, 2, "an unknown option: exit 2")
    bad = os.path.join(tmpdir(), "bad-console.conf")
    with open(bad, "w") as f:
        f.write("console = {\n\tqueue_warn = 0;\n};\n")
    r = subprocess.run([con, "-c", bad, "--batch"], capture_output=True,
                       text=True)
    ok(r.returncode == 2 and ("%s:2:" % bad) in r.stderr,
       "a bad console.queue_warn: exit 2 with file:line",
       lambda: "rc %d stderr %r" % (r.returncode, r.stderr))
    r = subprocess.run([con], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    ok(r.returncode == 2 and "not a terminal" in r.stderr,
       "without a terminal and without --batch: exit 2, says why",
       lambda: "rc %d stderr %r" % (r.returncode, r.stderr))
    r = subprocess.run([con, "--batch", "-s", "/nonexistent/ctld.sock"],
                       capture_output=True, text=True)
    ok(r.returncode == 3 and "cannot connect to /nonexistent/ctld.sock (-s)"
       in r.stderr, "--batch with no ctld: exit 3, names the socket",
       lambda: "rc %d stderr %r" % (r.returncode, r.stderr))


def batch(con, admin):
    """--batch against `pfo3ctl --json status`, taken just after."""
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    r = subprocess.run([con, "--batch", "-w", "132", "-s", admin],
                       capture_output=True, text=True, env=env, timeout=20)
    is_(r.returncode, 0, "--batch: exit 0")
    out = r.stdout
    ctl = os.path.join(os.environ["PFO3_BUILDDIR"], "pfo3ctl")
    p = subprocess.run([ctl, "--json", "-s", admin, "status"],
                       capture_output=True, text=True, timeout=20)
    st = json.loads(p.stdout.splitlines()[0])
    diag("--batch frame:\n" + out)
    ok("\x1b" not in out, "--batch: plain text, no escape sequences")
    t = st["totals"]
    like(out, r"workers %d/%d up" % (t["workers_up"], t["workers"]),
         "--batch: the workers total of status")
    like(out, r"threads \d+/%d busy" % t["threads"]["total"],
         "--batch: the threads total of status")
    good = True
    for w in st["workers"]:
        line = row(out, w["id"])
        if not (line and w["addr"] in line and
                (" %s " % w["state"]) in line and
                busy_of(line) is not None and
                busy_of(line)[1] == w["threads"]["total"] and
                w["lb"]["status"].split()[0] in line):
            good = False
            diag("worker %s: %r vs %r" % (w["id"], line, w))
    ok(good, "--batch: each worker's address, state, HAProxy status and "
       "pool size as in status")
    is_(sorted(re.findall(r"^  (w\d+) ", out, re.M)),
        sorted(w["id"] for w in st["workers"]),
        "--batch: exactly the workers of status")
    good = all(re.search(r"^%s\s+%d\s+%d\s+%d\b" % (
        re.escape(q["name"]), q["messages"], q["unacked"], q["consumers"]),
        out, re.M) for q in st["queues"])
    ok(good and st["queues"], "--batch: every queue with its ready, "
       "unacked and consumer counts")
    good = all(re.search(r"%s\s+%s %s" % (name, "\u2714" if d["ok"] else
                                          "\u2716", "up" if d["ok"] else
                                          "down"), out)
               for name, d in st["deps"].items())
    ok(good, "--batch: every dependency up or down as in status")


# ---------------------------------------------------------------- on screen

def idle_screen(scr, st):
    good, text = scr.wait(lambda t: all(
        row(t, w) and " up " in row(t, w) and busy_of(row(t, w)) == (0, 5)
        for w in st.ids))
    ok(good, "the screen lists %s up with 0/5 busy" % " ".join(st.ids),
       lambda: text)
    ok("connected" in text and "disconnected" not in text and
       "every 1 s" in text, "the header: connected, every 1 s",
       lambda: text)
    like(text, r"workers 3/3 up .* threads 0/15 busy", "header totals")
    ok("DEPENDENCY" in text and re.search(r"postgres\s+\u2714 up", text),
       "100x30: a dependency panel, postgres up", lambda: text)
    ok("ADDRESS" in text and st.workers[0].addr[0] in text,
       "100x30: the address column", lambda: text)


def load(st, n=8, seconds=4):
    """n sleep tasks at once through HAProxy."""
    jobs = [Background(task, st.http, "sleep", {"segundos": seconds},
                       seconds + 30) for _ in range(n)]
    for j in jobs:
        j.start()
    return jobs


def busy_rises(scr, st):
    jobs = load(st)
    good, text = scr.wait(lambda t: sum(
        (busy_of(row(t, w)) or (0, 0))[0] for w in st.ids) >= 3)
    ok(good, "under load, busy counts rise on screen", lambda: text)
    like(text, r"threads ([3-9]|1[0-5])/15 busy", "and in the header")
    for j in jobs:
        j.join(60)
    good, text = scr.wait(lambda t: all(
        busy_of(row(t, w)) == (0, 5) for w in st.ids))
    ok(good, "after the load, back to 0/5", lambda: text)


def add_and_remove(scr, st, admin):
    scr.keys("a")
    good, text = scr.wait_for(r"add a worker: 4 workers, 20 threads")
    ok(good, "a: asks, with the impact", lambda: text)
    scr.keys("y")
    good, text = scr.wait(lambda t: " up " in row(t, "w4"), 60)
    ok(good, "y: a 4th worker appears, up", lambda: text)
    like(text, r"add w4: up after", "the status line says so")
    s = status(admin)
    ok(worker_of(s, "w4") is not None and worker_of(s, "w4")["state"] ==
       "up" and len(s["workers"]) == 4, "pfo3ctl status agrees: w4 up, "
       "4 workers")
    scr.keys("G", "x")
    good, text = scr.wait_for(r"remove w4: leaves 3 workers, 15 threads")
    ok(good, "x on w4: asks, with the impact", lambda: text)
    scr.keys("n")
    good, text = scr.wait_for(r"remove cancelled")
    ok(good and worker_of(status(admin), "w4") is not None,
       "n cancels: w4 stays", lambda: text)
    scr.keys("x", "Enter")
    good, text = scr.wait(lambda t: not row(t, "w4") and
                          "remove w4: removed" in t, 90)
    ok(good, "x Enter: w4 goes away, and the status line says so",
       lambda: text)
    ok(worker_of(status(admin), "w4") is None, "status agrees: no w4")


def drain_resume(scr, st, admin):
    scr.keys("g", "j")
    good, text = scr.wait(lambda t: row(t, "w2").startswith("\u25b6"))
    ok(good, "g j selects w2", lambda: text)
    jobs = load(st, n=9, seconds=5)
    # Wait until w2 runs some of them, so the drain has work to finish.
    poll(lambda: (worker_of(status(admin), "w2") or {}).get(
        "inflight", 0) > 0, 10, 0.1)
    scr.keys("d")
    good, text = scr.wait_for(r"drain w2: leaves 2 workers, 10 threads")
    ok(good, "d: asks, with the impact", lambda: text)
    scr.keys("y")
    good, text = scr.wait(lambda t: " draining " in row(t, "w2") and
                          re.search(r"drain w2: draining, \d+ in flight", t))
    ok(good, "w2 draining, its in-flight work on the status line",
       lambda: text)
    good, text = scr.wait(lambda t: " drained " in row(t, "w2"), 60)
    ok(good, "then drained", lambda: text)
    like(text, r"drain w2: drained after", "the result on the status line")
    is_(worker_of(status(admin), "w2")["state"], "drained",
        "status agrees: drained")
    scr.keys("r")
    good, text = scr.wait(lambda t: " up " in row(t, "w2") and
                          "resume w2: up" in t)
    ok(good, "r: w2 up again", lambda: text)
    for j in jobs:
        j.join(60)
    ok(all(j.error is None for j in jobs), "the load's tasks all "
       "completed", lambda: [repr(j.error) for j in jobs])


def resize(scr):
    scr.resize(80, 24)
    # The whole new frame, footer included: a capture can fall between
    # the console's writes of one frame (seen on a loaded CI machine).
    good, text = scr.wait(lambda t: "ADDRESS" not in t and
                          "DEPS postgres" in t and
                          len(t.splitlines()) <= 24 and "q quit" in t)
    ok(good, "80x24: no address column, dependencies on one line",
       lambda: text)
    ok(all(len(line) <= 80 for line in text.splitlines()),
       "80x24: no line wider than 80")
    like(text, r"q quit", "80x24: the footer still fits")
    scr.resize(100, 30)
    good, text = scr.wait(lambda t: "ADDRESS" in t and "DEPENDENCY" in t)
    ok(good, "back to 100x30: the address column and the dependency "
       "panel return", lambda: text)
    scr.resize(79, 24)
    good, text = scr.wait_for(r"terminal too small \(79x24\)")
    ok(good, "79x24: says the terminal is too small", lambda: text)
    scr.resize(100, 30)
    good, text = scr.wait_for(r"ADDRESS")
    ok(good, "and recovers", lambda: text)


def help_and_quit(scr):
    scr.keys("?")
    good, text = scr.wait_for(r"pfo3-console keys")
    ok(good and "drain the selected worker" in text and
       "restart all workers" in text and "quit the console" in text,
       "?: the help screen from the key table", lambda: text)
    scr.keys("Escape")
    good, text = scr.wait(lambda t: "pfo3-console keys" not in t)
    ok(good, "any key closes it", lambda: text)
    scr.keys("q")
    good, text = scr.wait_for(r"^\[console exit status \d+\]")
    like(text, r"(?m)^\[console exit status 0\]$", "q: the console exits with "
         "status 0 and gives the terminal back")


def read_only(con, st, admin, ro):
    scr = Screen("ro", [con, "-s", ro])
    try:
        good, text = scr.wait(lambda t: "READ-ONLY" in t and
                              " up " in row(t, "w1"))
        ok(good, "on the read-only socket: READ-ONLY in the header",
           lambda: text)
        scr.keys("j", "d")
        good, text = scr.wait_for(r"read-only \(the read-only socket\): "
                                  r"'d' would drain")
        ok(good, "d explains instead of draining", lambda: text)
        ok("Confirm" not in text, "no confirmation is asked")
        scr.keys("x")
        good, text = scr.wait_for(r"'x' would remove")
        ok(good, "x explains too", lambda: text)
        time.sleep(1.5)
        ok(all(w["state"] == "up" for w in status(admin)["workers"]),
           "the cluster did not change")
    finally:
        scr.close()
    scr = Screen("ro2", [con, "-s", admin, "--read-only"])
    try:
        good, text = scr.wait(lambda t: "READ-ONLY" in t)
        ok(good, "--read-only on the admin socket: READ-ONLY", lambda: text)
        scr.keys("a")
        good, text = scr.wait_for(r"read-only \(--read-only\): 'a' would "
                                  r"add")
        ok(good, "a explains why it does nothing", lambda: text)
        is_(len(status(admin)["workers"]), len(st.ids), "no worker added")
    finally:
        scr.close()


# ---------------------------------------------------------------- reconnect

def private_ctld(d):
    admin = os.path.join(d, "c.sock")
    ro = os.path.join(d, "r.sock")
    log = open(os.path.join(d, "ctld.log"), "ab")
    p = subprocess.Popen([os.environ["PFO3_CTLD"], "-f",
                          "-c", os.environ["PFO3_CONF"],
                          "-o", "ctld.admin_socket=" + admin,
                          "-o", "ctld.read_socket=" + ro,
                          "-o", "ctld.haproxy_socket=",
                          "-o", "workers.count=0",
                          "-o", "workers.pid_file=",
                          "-o", "log.file="],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    poll(lambda: os.path.exists(admin) or p.poll() is not None, 20)
    return p, admin


def reconnect(con):
    d = tmpdir()
    p, admin = private_ctld(d)
    scr = Screen("rc", [con, "-s", admin])
    try:
        good, text = scr.wait_for(r"pid %d .*connected" % p.pid)
        ok(good, "a private pfo3-ctld (pid %d) on screen" % p.pid,
           lambda: text + open(os.path.join(d, "ctld.log")).read())
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        good, text = scr.wait_for("disconnected \u2014 retrying")
        ok(good, "ctld stopped: \"disconnected \u2014 retrying\"",
           lambda: text)
        like(text, r"retrying in \d\.\d s", "the status line counts "
             "down to the next try")
        ok("pid %d" % p.pid in text, "the last data stays on screen")
        p2, admin2 = private_ctld(d)
        try:
            good, text = scr.wait(
                lambda t: ("pid %d" % p2.pid) in t and "disconnected" not in
                t.splitlines()[0])
            ok(good, "ctld back: connected again, its new pid (%d) on "
               "screen" % p2.pid, lambda: text)
        finally:
            p2.send_signal(signal.SIGTERM)
            p2.wait(30)
    finally:
        scr.close()
        if p.poll() is None:
            p.kill()


def main():
    st = stack()
    admin, ro = sockets()
    con = console_bin()
    command_line(con)
    batch(con, admin)
    scr = Screen("main", [con, "-s", admin])
    try:
        idle_screen(scr, st)
        busy_rises(scr, st)
        add_and_remove(scr, st, admin)
        drain_resume(scr, st, admin)
        resize(scr)
        help_and_quit(scr)
    finally:
        scr.close()
        ok(restore(st), "the cluster is back to w1..w3 up")
    read_only(con, st, admin, ro)
    reconnect(con)


run(main)
