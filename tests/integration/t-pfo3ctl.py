#!/usr/bin/python3
"""
t-pfo3ctl: the pfo3ctl command line against the real control sockets.

Against pfo3-ctld (PFO3_SOCKET, PFO3_SOCKET_RO from the stack): `--json
status` shows 3 workers up with 5 threads each and every dependency ok;
the human status is a table naming w1..w3; a bad word exits 2 listing
the candidates; `worker drain` on the read-only socket exits 1 with the
daemon's refusal, an unknown worker on the admin socket exits 1 with the
daemon's error; `watch` prints one frame per refresh until SIGINT, which
ends it with 0; without -s and $PFO3_SOCKET it names the default socket.

Against a worker's control socket (the protocol is the same, so pfo3ctl
learns that server's commands from its `help`): ping as JSON, help as a
table, a prefix running stats, an ambiguous prefix and an unknown word
exiting 2 with the candidates, too many arguments, $PFO3_SOCKET versus
-s.  Sockets that fail: missing, not a socket, too long (exit 3 naming
the socket and errno); a peer that never answers, answers garbage or
hangs up (exit 3, within the timeout).  Options: --help, --version, bad
options and timeouts (exit 2).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scratch import tmpdir
from stackenv import srcdir, stack
from tap import cmp_ok, diag, is_, like, ok, run
from wait import poll

PFO3CTL = None


def pfo3ctl(args, env=None, unset=(), timeout=20):
    """Runs pfo3ctl to its end: (exit status, stdout, stderr, seconds)."""
    e = dict(os.environ)
    for k in unset:
        e.pop(k, None)
    e.update(env or {})
    t0 = time.monotonic()
    p = subprocess.run([PFO3CTL] + list(args), env=e,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


# ---------------------------------------------------------------- ctld

def ctld_expected():
    """True when this tree's ./stack runs pfo3-ctld (it then exports
    PFO3_SOCKET): its part of the test must run, never be left out."""
    d = os.path.join(srcdir(), "build-aux", "stack")
    try:
        return any("PFO3_SOCKET" in open(os.path.join(d, f)).read()
                   for f in os.listdir(d) if f.endswith(".sh"))
    except OSError:
        return False


def ctld_status_settled(sock):
    """The --json status once 3 workers are up with 5 threads each and
    every dependency is ok (ctld probes each second), else the last one."""
    last = {}

    def good():
        nonlocal last
        rc, out, err, _ = pfo3ctl(["-s", sock, "--json", "status"])
        try:
            last = {"rc": rc, "reply": json.loads(out), "err": err}
        except ValueError:
            last = {"rc": rc, "out": out, "err": err}
            return False
        st = last["reply"]
        ws = st.get("workers") or []
        deps = st.get("deps") or {}
        return (rc == 0 and len(ws) == 3 and
                all(w.get("state") == "up" and
                    (w.get("threads") or {}).get("total") == 5 for w in ws)
                and all((deps.get(k) or {}).get("ok") is True
                        for k in ("postgres", "s3", "amqp", "haproxy")))
    return poll(good, 20, 0.5), last


def ctld_part(st):
    sock = os.environ["PFO3_SOCKET"]
    ro = os.environ.get("PFO3_SOCKET_RO")
    ok(ro, "the stack exports PFO3_SOCKET_RO too")

    settled, last = ctld_status_settled(sock)
    ok(settled, "--json status: 3 workers up, 5 threads each, postgres, "
       "s3, amqp and haproxy ok", lambda: json.dumps(last)[:3000])
    st_json = last.get("reply") or {}
    is_(sorted(w.get("id") for w in st_json.get("workers") or []),
        ["w1", "w2", "w3"], "--json status: the workers are w1, w2, w3")
    is_((st_json.get("ok"), st_json.get("v")), (True, 1),
        "--json status: the raw reply, with ok true and v 1")

    rc, out, err, _ = pfo3ctl(["status"], env={"PFO3_SOCKET": sock})
    is_(rc, 0, "status (socket from $PFO3_SOCKET): exit 0")
    like(out, r"(?m)^ID +ADDR +STATE +LB +BUSY/THR +QUEUE/CAP +REQ/S +"
         r"P50MS +P99MS +ERR/S +RESTARTS +UPTIME$",
         "status: a workers table with its header")
    for wid in ("w1", "w2", "w3"):
        like(out, r"(?m)^%s +127\.0\.0\.1:\d+ +up +\S+ +\d+/5 +\d+/\d+ "
             % wid, "status: a row for %s, up, with n/5 threads" % wid)
    like(out, r"(?m)^postgres +ok +", "status: postgres ok in the "
         "dependencies table")
    like(out, r"(?m)^Totals: workers 3/3 up, threads \d+/15 busy",
         "status: totals, 3/3 workers up, n/15 threads")
    ok("\033" not in out, "status: no escape sequence when not on a "
       "terminal")

    rc, out, err, _ = pfo3ctl(["-s", sock, "st"])
    ok(rc == 0 and "Workers" in out, "'st' is status",
       lambda: "exit %r: %r" % (rc, err))

    rc, out, err, _ = pfo3ctl(["-s", sock, "worker", "frob", "w2"])
    is_(rc, 2, "worker frob w2: usage error, exit 2")
    like(err, r"^pfo3ctl: unknown word 'frob' after 'worker'; next word: "
         r".*\bdrain\b", "... listing the words that may follow 'worker'")
    like(err, r"\badd\b.*\bresume\b.*\bremove\b.*\brestart\b",
         "... all of them")
    rc, out, err, _ = pfo3ctl(["-s", sock, "worker"])
    is_(rc, 2, "worker alone: exit 2")
    like(err, r"^pfo3ctl: incomplete command 'worker'; next word: ",
         "... incomplete, with the next words")
    rc, out, err, _ = pfo3ctl(["-s", sock, "frob"])
    ok(rc == 2 and re.search(r"unknown command 'frob'; commands: .*status"
                             r".*worker", err),
       "frob: exit 2, the commands listed", lambda: "%r %r" % (rc, err))
    rc, out, err, _ = pfo3ctl(["-s", sock, "w", "d"])
    ok(rc == 2 and "usage: pfo3ctl worker drain ID" in err,
       "w d without an id: exit 2, the usage of worker drain",
       lambda: "%r %r" % (rc, err))

    if ro:
        rc, out, err, _ = pfo3ctl(["-s", ro, "w", "d", "w2"])
        is_(rc, 1, "w d w2 on the read-only socket: exit 1 (the daemon "
            "refused)")
        like(err, r"^pfo3ctl: worker\.drain: permission denied",
             "... with the daemon's refusal")
        rc, out, err, _ = pfo3ctl(["-s", ro, "--json", "worker", "drain",
                                   "w2"])
        rep = json.loads(out) if out.strip() else {}
        ok(rc == 1 and rep.get("ok") is False and
           "permission denied" in str(rep.get("error")),
           "--json: the refusal is printed as the raw reply too",
           lambda: "%r %r %r" % (rc, out, err))
        rc, out, err, _ = pfo3ctl(["-s", ro, "status"])
        ok(rc == 0 and re.search(r"(?m)^w1 ", out),
           "status on the read-only socket works",
           lambda: "%r %r" % (rc, err))
        rows = [w.get("state") for w in
                (ctld_status_settled(sock)[1].get("reply") or {})
                .get("workers") or []]
        is_(rows, ["up", "up", "up"], "... and w2 was never drained")

    rc, out, err, _ = pfo3ctl(["-s", sock, "worker", "drain", "w99"])
    ok(rc == 1 and err.startswith("pfo3ctl: worker.drain: ") and
       "w99" in err, "worker drain w99 (no such worker): exit 1 with the "
       "daemon's error", lambda: "%r %r" % (rc, err))

    rc, out, err, _ = pfo3ctl(["-s", sock, "help", "worker"])
    ok(rc == 0 and re.search(r"(?m)^worker drain +ID +admin ", out) and
       not re.search(r"(?m)^status ", out),
       "help worker: only the worker commands, as typed words",
       lambda: "%r %r" % (rc, out))

    watch(sock)

    rc, out, err, _ = pfo3ctl(["status"], unset=["PFO3_SOCKET"])
    if not os.path.exists("/run/pfo3/ctld.sock"):
        ok(rc == 3 and re.search(r"cannot connect to /run/pfo3/"
                                 r"ctld\.sock \(from the default\)", err),
           "without -s nor $PFO3_SOCKET: the installed default socket is "
           "named (exit 3)", lambda: "%r %r" % (rc, err))


def watch(sock):
    """--json watch 200: one line per refresh; SIGINT ends it with 0.
    Then the human form: frames one after the other."""
    p = subprocess.Popen([PFO3CTL, "-s", sock, "--json", "watch", "200"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    lines = []
    try:
        reader = threading.Thread(target=lambda: [
            lines.append(p.stdout.readline()) for _ in range(3)],
            daemon=True)
        reader.start()
        reader.join(15)
        frames = [json.loads(x) for x in lines if x.strip()]
        ok(len(frames) == 3 and
           all(f.get("ok") is True and len(f.get("workers") or []) == 3
               for f in frames),
           "--json watch 200: three JSON lines, each a status with 3 "
           "workers", lambda: repr(lines)[:2000])
        times = [f.get("time") for f in frames]
        ok(all(isinstance(t, (int, float)) for t in times) and
           times == sorted(times), "... in time order", lambda: repr(times))
        ok(p.poll() is None, "... and it keeps running")
        p.send_signal(signal.SIGINT)
        try:
            rc = p.wait(5)
        except subprocess.TimeoutExpired:
            rc = None
        is_(rc, 0, "SIGINT ends watch with exit status 0 within 5 s")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()

    p = subprocess.Popen([PFO3CTL, "-s", sock, "watch", "200"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=5)
        out = out.decode("utf-8", "replace")
        cmp_ok(len(re.findall(r"(?m)^pfo3-ctld ", out)), ">=", 2,
               "watch 200 for 1.5 s: several frames, each with its head "
               "line")
        ok("\n\npfo3-ctld " in out, "... separated by an empty line",
           lambda: out[:1500])
        is_(p.returncode, 0, "SIGTERM ends watch with exit status 0")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- worker

def worker_part(st):
    w1 = st.worker("w1")
    sock = w1.socket

    rc, out, err, _ = pfo3ctl(["-s", sock, "--json", "ping"])
    is_((rc, out), (0, '{"ok":true,"v":1,"pong":true}\n'),
        "--json ping on w1's socket: the reply line, exit 0")

    rc, out, err, _ = pfo3ctl(["-s", sock, "help"])
    is_(rc, 0, "help on w1's socket: exit 0")
    like(out, r"^COMMAND +ARGS +ACCESS +DESCRIPTION\n",
         "help: a table with a header")
    like(out, r"(?m)^stats +read +Pool load", "help: the worker's own "
         "commands, from its table")
    like(out, r"(?m)^drain +admin ", "help: drain, admin")

    rc, out, err, _ = pfo3ctl(["-s", sock, "st"])
    ok(rc == 0 and re.search(r"(?m)^id: w1$", out) and
       re.search(r"(?m)^threads\.total: 5$", out),
       "'st' runs stats: fields as 'key: value', nested ones dotted",
       lambda: "%r %r" % (rc, out[:500]))
    rc, out, err, _ = pfo3ctl(["-s", sock, "-j", "stats"])
    rep = json.loads(out) if rc == 0 else {}
    is_((rep.get("id"), (rep.get("threads") or {}).get("total")),
        ("w1", 5), "-j stats: the raw reply as JSON")

    rc, out, err, _ = pfo3ctl(["-s", sock, "s"])
    is_((rc, out), (2, ""), "'s': exit 2, nothing on stdout")
    is_(err, "pfo3ctl: ambiguous command 's': could be stats, shutdown\n",
        "... the candidates named")
    rc, out, err, _ = pfo3ctl(["-s", sock, "frob"])
    is_(rc, 2, "unknown command: exit 2")
    is_(err, "pfo3ctl: unknown command 'frob'; commands: stats, drain, "
        "resume, shutdown, jobs, help, ping\n", "... the commands listed")
    rc, out, err, _ = pfo3ctl(["-s", sock, "stats", "now"])
    is_((rc, err), (2, "pfo3ctl: usage: pfo3ctl stats (takes no "
                       "arguments)\n"),
        "stats now: exit 2, 'takes no arguments'")
    rc, out, err, _ = pfo3ctl(["-s", sock, "help", "x"])
    ok(rc == 2 and "unknown command 'x'" in err, "help x: exit 2",
       lambda: "%r %r" % (rc, err))
    is_(w1.stats()["draining"], False, "w1 was not drained by any of it")

    rc, out, err, _ = pfo3ctl(["ping"], env={"PFO3_SOCKET": sock})
    is_((rc, out), (0, "pong: true\n"), "$PFO3_SOCKET is used without -s")
    rc, out, err, _ = pfo3ctl(["-s", os.path.join(tmpdir(), "none.sock"),
                               "ping"], env={"PFO3_SOCKET": sock})
    is_(rc, 3, "-s wins over $PFO3_SOCKET (a missing -s socket: exit 3)")


# ---------------------------------------------------------------- failures

def serve(path, behaviour):
    """A peer on a Unix socket that misbehaves: 'silent' reads and never
    answers, 'garbage' answers a line that is not JSON, 'hangup' reads
    and closes.  Returns the listening socket (close it to stop)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    held = []

    def loop():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            held.append(c)
            try:
                # Read the request first: closing with it unread would
                # make the client see a reset instead of the end.
                c.recv(65536)
                if behaviour == "garbage":
                    c.sendall(b"this is not json\n")
                elif behaviour == "hangup":
                    c.close()
            except OSError:
                pass
    threading.Thread(target=loop, daemon=True).start()
    return srv


def failures(st):
    d = tmpdir()
    missing = os.path.join(d, "missing.sock")
    rc, out, err, _ = pfo3ctl(["-s", missing, "status"])
    is_(rc, 3, "a missing socket: exit 3")
    is_(err, "pfo3ctl: cannot connect to %s (from -s): No such file or "
        "directory (ENOENT); is pfo3-ctld running?\n" % missing,
        "... the message names the socket, where it came from and errno")
    rc, out, err, _ = pfo3ctl(["status"], env={"PFO3_SOCKET": missing})
    ok(rc == 3 and "(from $PFO3_SOCKET)" in err,
       "a missing $PFO3_SOCKET: exit 3, and says it came from there",
       lambda: "%r %r" % (rc, err))

    plain = os.path.join(d, "plain")
    with open(plain, "w") as f:
        f.write("not a socket\n")
    rc, out, err, _ = pfo3ctl(["-s", plain, "status"])
    ok(rc == 3 and "(ECONNREFUSED)" in err, "a regular file as socket: "
       "exit 3, ECONNREFUSED", lambda: "%r %r" % (rc, err))
    rc, out, err, _ = pfo3ctl(["-s", "/tmp/" + "x" * 200, "status"])
    ok(rc == 3 and "(ENAMETOOLONG)" in err, "a 205-byte socket path: "
       "exit 3, ENAMETOOLONG", lambda: "%r %r" % (rc, err))

    for behaviour, want in (("silent", r"^pfo3ctl: \S+: no reply within "
                                       r"700 ms\n$"),
                            ("garbage", r"^pfo3ctl: \S+: bad JSON in "),
                            ("hangup", r"^pfo3ctl: \S+: connection closed "
                                       r"by the server\n$")):
        path = os.path.join(d, behaviour + ".sock")
        srv = serve(path, behaviour)
        try:
            rc, out, err, secs = pfo3ctl(["-s", path, "-t", "700ms",
                                          "status"])
        finally:
            srv.close()
        is_(rc, 3, "a peer that %s: exit 3" % {
            "silent": "never answers", "garbage": "answers garbage",
            "hangup": "hangs up"}[behaviour])
        like(err, want, "... saying why")
        cmp_ok(secs, "<", 5.0, "... within the 700 ms timeout (plus "
               "start-up)")


def command_line():
    rc, out, err, _ = pfo3ctl(["--help"])
    ok(rc == 0 and out.startswith("usage: pfo3ctl ") and "-s, --socket" in
       out and "Exit status" in out, "--help: exit 0, usage on stdout",
       lambda: "%r %r" % (rc, out[:300]))
    rc, out, err, _ = pfo3ctl(["--version"])
    ok(rc == 0 and re.match(r"^pfo3ctl \d+\.\d+(\.\d+)?\S*\n$", out),
       "--version: exit 0, 'pfo3ctl X.Y.Z'", lambda: "%r %r" % (rc, out))
    for args, msg in ((["--bogus", "status"], "unknown option '--bogus'"),
                      (["-t", "0", "status"], "timeout '0' out of range"),
                      (["-t", "soon", "status"], "bad timeout 'soon'"),
                      (["-s", "", "status"], "-s needs a socket path"),
                      ([], "no command given")):
        rc, out, err, _ = pfo3ctl(args)
        ok(rc == 2 and err.startswith("pfo3ctl: " + msg) and
           "usage: pfo3ctl" in err and out == "",
           "pfo3ctl %s: exit 2, \"%s\" and the usage on stderr"
           % (" ".join(args), msg), lambda: "%r %r" % (rc, err[:300]))


def main():
    global PFO3CTL
    st = stack()
    PFO3CTL = os.path.join(os.environ.get("PFO3_BUILDDIR") or
                           os.path.dirname(st.workerd), "pfo3ctl")
    ok(os.access(PFO3CTL, os.X_OK), "pfo3ctl is built: %s" % PFO3CTL)
    command_line()
    worker_part(st)
    failures(st)
    if os.environ.get("PFO3_SOCKET"):
        ctld_part(st)
    else:
        ok(not ctld_expected(), "./stack runs no pfo3-ctld in this tree, "
           "or it exported PFO3_SOCKET",
           "build-aux/stack mentions PFO3_SOCKET but it is not set")
        diag("no pfo3-ctld in this stack: only the worker-socket part ran")


run(main)
