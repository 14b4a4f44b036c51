"""
scenarios.py -- the faults, one class each.  inject(ctx) hurts the stack
while the load runs and heals it again (it returns once the fault is
lifted); check(ctx) adds the checks only that fault has, as (name,
violations) pairs; excused(attempt) forgives requests the fault itself cut
(only a worker killed with -9 does that).
"""
import json
import os
import re
import secrets
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from api import bearer  # noqa: E402
from ctlproto import ctl_call  # noqa: E402
from psql import psql  # noqa: E402
from load import image, send  # noqa: E402


def env_seconds(name, default):
    return float(os.environ.get(name, default))


# A SIGSTOP lasts longer than any dependency deadline (the longest,
# postgres.query_timeout, is 12 s), so a call without one shows.
FREEZE = env_seconds("PFO3_FAULT_FREEZE", 20)
OUTAGE = env_seconds("PFO3_FAULT_OUTAGE", 8)         # a service is down
SMTP_DOWN = env_seconds("PFO3_FAULT_SMTP_DOWN", 60)  # the promise: a minute
SLOW_CONNS = int(env_seconds("PFO3_FAULT_SLOW_CONNS", 30))
SLOW_FOR = env_seconds("PFO3_FAULT_SLOW_FOR", 20)
CTLD_BOUND = 2.0 + 1.0      # started again within 2 s, plus polling slack
LATENCY_BOUND = 5.0         # a compute task under slow-body attack


class Scenario:
    name = ""
    fault = ""              # what is done, for the doc
    failed = set()          # the dependencies that fail meanwhile
    bound = 60.0            # seconds the scenario may take, all in

    def inject(self, ctx):
        raise NotImplementedError

    def check(self, ctx):
        return []

    def excused(self, a):
        return False


def sleep_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)


# ------------------------------------------------------------- workers, ctld

def big_upload(addr, token, size, rate, out, chunked=False):
    """Streams a `size`-byte raw upload at `rate` bytes/s straight to a
    worker, so that it is in flight when the worker dies: one PUT in S3
    with a Content-Length, a multipart upload when `chunked`; appends what
    happened to `out`."""
    try:
        s = socket.create_connection(addr, timeout=30)
        s.sendall(("POST /api/v1/files?name=big.bin HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: "
                   "application/octet-stream\r\n%s\r\n"
                   "Connection: close\r\n\r\n" %
                   (token, "Transfer-Encoding: chunked" if chunked else
                    "Content-Length: %d" % size)).encode())
        chunk = b"\xa5" * 65536
        sent = 0
        t0 = time.monotonic()
        while sent < size:
            n = min(len(chunk), size - sent)
            s.sendall(b"%x\r\n%s\r\n" % (n, chunk[:n]) if chunked
                      else chunk[:n])
            sent += n
            sleep_until(t0 + sent / rate)
        if chunked:
            s.sendall(b"0\r\n\r\n")
        out.append(s.recv(200).split(b"\r\n", 1)[0].decode("latin-1"))
    except OSError as e:
        out.append("cut: %s" % e.__class__.__name__)


class WorkerKill(Scenario):
    name = "worker-kill"
    fault = ("kill -9 of w2 while two 24 MiB uploads stream into it "
             "(one PUT and one multipart upload in S3) and report jobs "
             "are queued")
    victim = "w2"

    def inject(self, ctx):
        w = ctx.st.worker(self.victim)
        acct = ctx.accounts[0]
        self.big = []
        ups = [threading.Thread(target=big_upload, daemon=True,
                                args=(w.addr, acct.token, 24 << 20,
                                      6 << 20, self.big, chunked))
               for chunked in (False, True)]
        for t in ups:
            t.start()
        for _ in range(3):
            ctx.load.keyed("report", "POST", "/api/v1/reports",
                           {"month": ctx.month}, bearer(acct.token),
                           "application/json")
        time.sleep(2.0)         # past s3.part_size: parts are in S3
        # Work in flight through HAProxy when the worker dies: one-second
        # compute tasks and 2 MiB uploads, some of them on the victim.
        busy = [threading.Thread(target=self.sleep_task, args=(ctx,),
                                 daemon=True) for _ in range(3)]
        busy += [threading.Thread(target=self.upload, args=(ctx, n),
                                  daemon=True) for n in range(3)]
        for t in busy:
            t.start()
        time.sleep(0.5)
        self.pid = ctx.ctl.kill(self.victim)
        self.t_kill = time.monotonic()
        ctx.ctl.wait_gone(self.pid)
        for t in ups:
            t.join(30)

    @staticmethod
    def sleep_task(ctx):
        ctx.load._record(send(ctx.st.http, "compute", "POST", "/api/v1/tasks",
                              {"operacion": "sleep",
                               "datos": {"segundos": 1}}))

    @staticmethod
    def upload(ctx, n):
        ctx.load.keyed("upload", "POST", "/api/v1/files?name=mid-%d.bin" % n,
                       os.urandom(2 << 20), bearer(ctx.accounts[n].token),
                       "application/octet-stream")

    def excused(self, a):
        # In flight on the dying worker: the client cannot get an answer;
        # a keyed POST is then sent again (the load does) and must not run
        # twice, which the exactly-once checks see.
        return a.t0 <= self.t_kill + 0.2 and (a.t1 or 0) >= self.t_kill \
            and a.lost()

    def check(self, ctx):
        new = ctx.ctl.pid(self.victim)
        bad = []
        if new is None or new == self.pid:
            bad.append("%s was not started again by pfo3-ctld (pid %s)"
                       % (self.victim, new))
        return [("%s started again by pfo3-ctld" % self.victim, bad)]


class CtldKill(Scenario):
    name = "ctld-kill"
    fault = "kill -9 of pfo3-ctld under load"

    def inject(self, ctx):
        self.workers = {w: ctx.ctl.pid(w) for w in ctx.st.ids}
        self.pid = ctx.ctl.kill("ctld")
        ctx.ctl.wait_gone(self.pid)
        self.t_kill = time.monotonic()
        self.back = None
        deadline = self.t_kill + 10
        while time.monotonic() < deadline:
            p = ctx.ctl.pid("ctld")
            if p is not None and p != self.pid:
                self.back = time.monotonic() - self.t_kill
                break
            time.sleep(0.1)
        time.sleep(3)           # let the new one look at its workers

    def check(self, ctx):
        out = []
        bad = []
        if self.back is None:
            bad.append("no new pfo3-ctld within 10 s (nothing supervises it)")
        elif self.back > CTLD_BOUND:
            bad.append("pfo3-ctld back after %.1f s (bound %.0f s)"
                       % (self.back, CTLD_BOUND))
        out.append(("pfo3-ctld started again within %.0f s" % CTLD_BOUND,
                    bad))
        bad = []
        try:
            st = ctl_call(os.environ["PFO3_SOCKET"], "status", timeout=5)
            ws = {w["id"]: w for w in st.get("workers", [])}
        except (OSError, ValueError, KeyError) as e:
            ws = {}
            bad.append("the new pfo3-ctld does not answer status: %s" % e)
        for wid, pid in self.workers.items():
            now = ctx.ctl.pid(wid)
            if now != pid:
                bad.append("%s: pid %s before, %s after (respawned)"
                           % (wid, pid, now))
            state = ws.get(wid, {}).get("state")
            if ws and state != "up":
                bad.append("%s: pfo3-ctld says %r, not up" % (wid, state))
        out.append(("the new pfo3-ctld adopts the running workers "
                    "(same pids, state up)", bad))
        return out

    def restore(self, ctx):
        """Today nothing restarts pfo3-ctld: start one for the scenarios
        that follow, stopping the orphaned workers first (a new pfo3-ctld
        cannot bind their ports)."""
        if ctx.ctl.pid("ctld") is not None:
            return
        for wid in ctx.st.ids:
            pid = ctx.ctl.pid(wid)
            if pid is not None:
                os.kill(pid, 15)
                ctx.ctl.wait_gone(pid, 20)
        ctx.ctl.stack_ok("start", "ctld")


# ---------------------------------------------------------- services down

class RabbitKill(Scenario):
    name = "rabbitmq-kill"
    fault = "kill -9 of the RabbitMQ VM, %g s down, ./stack start rabbitmq" \
        % OUTAGE
    failed = {"amqp"}

    def inject(self, ctx):
        pid = ctx.ctl.kill("rabbitmq")
        ctx.ctl.wait_gone(pid)
        time.sleep(OUTAGE)
        ctx.ctl.stack_ok("start", "rabbitmq")

    def check(self, ctx):
        return [("./stack start rabbitmq after kill -9 (its epmd left "
                 "behind), and ./stack status says up",
                 status_says_up(ctx, "rabbitmq"))]


def status_says_up(ctx, service):
    """`./stack status` must name the service up with the pid it runs
    under now (after a restart, a stale pid file says down)."""
    rc, out = ctx.ctl.stack("status")
    line = next((x for x in out.splitlines()
                 if x.split()[:1] == [service]), "")
    pid = ctx.ctl.pid(service)
    words = line.split()
    if rc != 0 or len(words) < 4 or words[1] != "up" or \
            words[3] != str(pid):
        return ["./stack status says %r; the running pid is %s"
                % (line or out[-200:], pid)]
    return []


class Freeze(Scenario):
    def __init__(self, service, dep):
        self.service = service
        self.name = "%s-freeze" % service
        self.fault = "SIGSTOP of %s (every process of it) for %g s, " \
            "then SIGCONT" % (service, FREEZE)
        self.failed = {dep}
        self.bound = 60.0 + FREEZE

    def inject(self, ctx):
        pids = ctx.ctl.freeze(self.service)
        time.sleep(FREEZE)
        ctx.ctl.thaw(pids)


def pg_ctl_restart(ctx):
    """Restarts PostgreSQL behind ./stack's back, as an operator or a
    package upgrade would (pg_ctl reuses the options of postmaster.opts)."""
    run_dir = ctx.ctl.run_dir
    cmd = ["/usr/lib/postgresql/15/bin/pg_ctl", "-D",
           os.path.join(run_dir, "pg", "data"), "-l",
           os.path.join(run_dir, "pg", "pg_ctl.log"), "-m", "fast", "-w",
           "restart"]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=postgres", "--regid=postgres",
               "--init-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise RuntimeError("pg_ctl restart: %s" % (p.stdout + p.stderr))


class Restart(Scenario):
    name = "postgres-restart"
    fault = ("./stack restart postgres under load, then (5 s later) a "
             "restart by pg_ctl, behind ./stack's back")
    failed = {"postgres"}

    def inject(self, ctx):
        ctx.ctl.stack_ok("restart", "postgres")
        self.after_stack = status_says_up(ctx, "postgres")
        time.sleep(5)
        pg_ctl_restart(ctx)

    def check(self, ctx):
        return [("./stack status says postgres is up with its new pid, "
                 "after ./stack restart", self.after_stack),
                ("./stack status says postgres is up with its new pid, "
                 "after a restart by pg_ctl", status_says_up(ctx, "postgres"))]

    def restore(self, ctx):
        """A failed restart must not leave the later faults without a
        database."""
        if ctx.ctl.pid("postgres") is None:
            ctx.ctl.stack_ok("start", "postgres")


class S3Down(Scenario):
    name = "s3-down"
    fault = "./stack stop s3 while a 24 MiB upload streams in, %g s down, " \
        "./stack start s3" % OUTAGE
    failed = {"s3"}

    def inject(self, ctx):
        w = ctx.st.worker(ctx.st.ids[0])
        self.big = []
        t = threading.Thread(target=big_upload, daemon=True,
                             args=(w.addr, ctx.accounts[0].token, 24 << 20,
                                   6 << 20, self.big))
        t.start()
        time.sleep(2.5)
        ctx.ctl.stack_ok("stop", "s3")
        time.sleep(OUTAGE)
        ctx.ctl.stack_ok("start", "s3")
        t.join(30)


class SmtpDown(Scenario):
    name = "smtp-down"
    fault = "./stack stop smtp for %g s while reports are accepted" \
        % SMTP_DOWN
    failed = {"smtp"}
    bound = 60.0 + SMTP_DOWN

    def inject(self, ctx):
        ctx.ctl.stack_ok("stop", "smtp")
        time.sleep(SMTP_DOWN)
        ctx.ctl.stack_ok("start", "smtp")


# ---------------------------------------------------------- hostile clients

def slow_body(addr, token, until, out):
    """Content-Length 10 MB, 1 KB every 2 s, until `until`; appends how
    the server ended it."""
    try:
        s = socket.create_connection(addr, timeout=5)
        s.sendall(("POST /api/v1/files?name=slow.bin HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: "
                   "application/octet-stream\r\nContent-Length: %d\r\n\r\n"
                   % (token, 10 << 20)).encode())
        while time.monotonic() < until:
            s.sendall(b"s" * 1024)
            time.sleep(2)
        out.append("still open")
    except OSError as e:
        out.append("cut: %s" % e.__class__.__name__)
    finally:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            s.close()
        except (OSError, UnboundLocalError):
            pass


class SlowBodies(Scenario):
    name = "slow-bodies"
    fault = ("%d connections from one account each sending an upload of "
             "Content-Length 10 MB at 1 KB every 2 s, for %g s"
             % (SLOW_CONNS, SLOW_FOR))
    bound = 60.0 + SLOW_FOR

    def inject(self, ctx):
        self.ends = []
        until = time.monotonic() + SLOW_FOR
        ts = [threading.Thread(target=slow_body, daemon=True,
                               args=(ctx.st.http, ctx.spare.token, until,
                                     self.ends))
              for _ in range(SLOW_CONNS)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(SLOW_FOR + 30)

    def check(self, ctx):
        slow = ["compute %s took %.1f s" % (a.outcome, a.t1 - a.t0)
                for a in ctx.load.attempts if a.kind == "compute" and
                a.t1 - a.t0 > LATENCY_BOUND]
        return [("compute tasks answer within %.0f s under slow bodies"
                 % LATENCY_BOUND, slow[:8])]


def wait_row(sql, bound=10.0):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        out = psql(sql)
        if out:
            return out
        time.sleep(0.05)
    return ""


def cut_after_accept(addr, req, row_sql):
    """Sends `req` whole, waits until the worker has made its row, then
    resets the connection without reading the answer.  Returns the row."""
    s = socket.create_connection(addr, timeout=10)
    s.sendall(req)
    row = wait_row(row_sql)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return row


def resend_settled(ctx, *args):
    """Sends a keyed request again as a client told 409 "still running"
    would: after its Retry-After, until the first request has finished
    (the reset one may still be publishing its job).  Every attempt is
    recorded; the last is returned."""
    for _ in range(15):
        a = send(*args)
        ctx.load._record(a)
        if a.status != 409:
            return a
        time.sleep(1.0)
    return a


class Replay(Scenario):
    name = "replay"
    fault = ("the same Idempotency-Key sent again (same and different "
             "body), and POSTs whose connection is reset after the worker "
             "accepted them, then sent again")

    def inject(self, ctx):
        self.results = []
        acct = ctx.spare
        addr = ctx.st.http
        for kind, path, body, body2, ctype in (
                ("report", "/api/v1/reports", {"month": ctx.month},
                 {"month": "2020-01"}, "application/json"),
                # An upload's fingerprint is its length and media type
                # (its body is not read before the key is judged), so the
                # other body has another length.
                ("upload", "/api/v1/files?name=replay.png", image(7),
                 image(8) + b"\0", "image/png")):
            key = "replay-%s" % secrets.token_hex(8)
            a = send(addr, kind, "POST", path, body, bearer(acct.token),
                     ctype, key)
            b = send(addr, kind, "POST", path, body, bearer(acct.token),
                     ctype, key)
            c = send(addr, kind, "POST", path, body2, bearer(acct.token),
                     ctype, key)
            self.results.append((kind, a, b, c))
            for x in (a, b, c):
                ctx.load._record(x)

        # The answer is lost after the worker accepted the request.
        self.cuts = []
        month_req = json.dumps({"month": ctx.month}).encode()
        since = int(psql("SELECT coalesce(max(id), 0) FROM jobs"))
        key = "cut-%s" % secrets.token_hex(8)
        req = (("POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: "
                "Bearer %s\r\nIdempotency-Key: %s\r\nContent-Type: "
                "application/json\r\nContent-Length: %d\r\n\r\n")
               % (acct.token, key, len(month_req))).encode() + month_req
        row = cut_after_accept(addr, req, "SELECT id FROM jobs WHERE "
                               "type = 'report' AND user_id = %d AND id > %d"
                               % (acct.uid, since))
        again = resend_settled(ctx, addr, "report", "POST",
                               "/api/v1/reports", {"month": ctx.month},
                               bearer(acct.token), "application/json", key)
        rows = psql("SELECT id FROM jobs WHERE type = 'report' AND "
                    "user_id = %d AND id > %d" % (acct.uid, since)).split()
        self.cuts.append(("report", row, again, rows))

        since = int(psql("SELECT coalesce(max(id), 0) FROM files"))
        key = "cut-%s" % secrets.token_hex(8)
        data = image(9)
        req = (("POST /api/v1/files?name=cut.png HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nIdempotency-Key: %s\r\n"
                "Content-Type: image/png\r\nContent-Length: %d\r\n\r\n")
               % (acct.token, key, len(data))).encode() + data
        row = cut_after_accept(addr, req, "SELECT id FROM files WHERE "
                               "owner_id = %d AND id > %d" % (acct.uid, since))
        again = resend_settled(ctx, addr, "upload", "POST",
                               "/api/v1/files?name=cut.png", data,
                               bearer(acct.token), "image/png", key)
        rows = psql("SELECT id FROM files WHERE owner_id = %d AND id > %d"
                    % (acct.uid, since)).split()
        self.cuts.append(("upload", row, again, rows))

    def check(self, ctx):
        out = []
        for kind, a, b, c in self.results:
            bad = []
            if a.status not in (201, 202):
                bad.append("first send: %s" % a.outcome)
            if (b.status, b.resp and b.resp.body) != \
                    (a.status, a.resp and a.resp.body):
                bad.append("resend answered %s %r, first %s %r" % (
                    b.outcome, b.resp and b.resp.body[:80], a.outcome,
                    a.resp and a.resp.body[:80]))
            if not b.replayed:
                bad.append("resend lacks Idempotent-Replayed: true")
            if c.status != 422:
                bad.append("same key, other body: %s, not 422" % c.outcome)
            out.append(("%s: the same Idempotency-Key answers the stored "
                        "reply once more, another body 422" % kind, bad))
        for kind, row, again, rows in self.cuts:
            bad = []
            if not row:
                bad.append("the worker made no row for the first send")
            ident = again.resp and (again.resp.json() or {}).get(
                "id" if kind == "upload" else "job_id")
            if again.status not in (201, 202) or str(ident) != row:
                bad.append("resend after the reset: %s naming %r, the row "
                           "is %r" % (again.outcome, ident, row))
            if len(rows) != 1:
                bad.append("%d rows for one key: %s" % (len(rows), rows))
            out.append(("%s reset after acceptance and sent again: one row, "
                        "the resend names it" % kind, bad))
        bad = []
        cfg = os.path.join(ctx.ctl.run_dir, "haproxy", "haproxy.cfg")
        with open(cfg) as f:
            for line in f:
                if re.match(r"\s*retry-on\b", line) and \
                        set(line.split()[1:]) - {"conn-failure"}:
                    bad.append("haproxy.cfg: %s" % line.strip())
        out.append(("HAProxy retries only conn-failure (never a request "
                    "that reached a worker)", bad))
        return out


def all_scenarios():
    # Cheap and telling first: a budget that runs out drops the longest.
    return [Replay(), WorkerKill(), CtldKill(), RabbitKill(),
            Freeze("rabbitmq", "amqp"), Freeze("postgres", "postgres"),
            Freeze("s3", "s3"), Restart(), S3Down(), SlowBodies(),
            SmtpDown()]
