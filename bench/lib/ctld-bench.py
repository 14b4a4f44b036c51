#!/usr/bin/python3
"""
ctld-bench.py — the measurements of bench/ctld.sh, against a private
pfo3-ctld that uses the running stack's RabbitMQ, PostgreSQL and S3 (no
local workers, no HAProxy: the stack is not disturbed).

1. Reference: pfo3-ctld with no worker and no client, its CPU over SECONDS.
2. Subject: NWORKERS remote workers registered by address, each
   heartbeating once a second on pfo3.events (published by this script
   through the RabbitMQ management API), and one `watch` client at 1 Hz
   reading every status object; pfo3-ctld's CPU over SECONDS.
3. With that load still on: `status` round trips, and `ping` round trips
   as the protocol's floor, one after another.

BENCH_WORKERS may name several sizes ("8 64 256"): steps 2 and 3 then run
for each, smallest first, the workers of a size added to those of the one
before (bench/run.sh's `scale` section).  Prints one JSON object with the
numbers of the largest size, and under "sizes" one object per size.
"""
import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SIZES = sorted(int(n) for n in os.environ.get("BENCH_WORKERS", "64").split())
NWORKERS = SIZES[-1]
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CALLS = int(os.environ.get("BENCH_CALLS", "300"))
# Seconds of load before measuring, so that the history rings are full
# (ctld.history samples at one per second) and status is its full size.
WARMUP = float(os.environ.get("BENCH_WARMUP", "300"))
TICK = os.sysconf("SC_CLK_TCK")


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit("ctld-bench: %s is not set: run eval \"$(./stack env)\" "
                 "with a stack up" % name)
    return v


def own_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_s(pid):
    """pfo3-ctld's CPU seconds with its child pfo3-ctld-deps' (which
    consumes the heartbeats and probes the services for it)."""
    total = own_cpu_s(pid)
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        kids = []
    for k in kids:
        try:
            with open("/proc/%d/comm" % k) as f:
                if f.read().strip() == "pfo3-ctld-deps":
                    total += own_cpu_s(k)
        except OSError:
            pass
    return total


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Ctl:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def recv(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("pfo3-ctld closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def call(self, cmd, args=()):
        self.s.sendall(json.dumps({"cmd": cmd, "args": list(args)})
                       .encode() + b"\n")
        return json.loads(self.recv())


class Beats(threading.Thread):
    """Publishes one heartbeat per worker per second through the
    management API (keys worker.bN.stats, as pfo3-workerd does)."""

    def __init__(self, api, amqp_url, addrs):
        super().__init__(daemon=True)
        u = urllib.parse.urlparse(amqp_url)
        vhost = urllib.parse.unquote(u.path[1:] or "/")
        base = urllib.parse.urlparse(api)
        self.host, self.port = base.hostname, base.port or 80
        self.path = "%s/api/exchanges/%s/pfo3.events/publish" % (
            base.path.rstrip("/"), urllib.parse.quote(vhost, safe=""))
        # One connection kept open: at 256 heartbeats a second a new
        # connection for each would cost the machine more than pfo3-ctld.
        self.conn = None
        cred = "%s:%s" % (urllib.parse.unquote(u.username or "guest"),
                          urllib.parse.unquote(u.password or "guest"))
        self.auth = "Basic " + base64.b64encode(cred.encode()).decode()
        self.addrs = list(addrs)
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.sent = self.failed = 0

    def beat(self, i, addr, n):
        stats = {"id": "b%d" % i, "listen": addr, "pid": 100000 + i,
                 "uptime_s": n, "started_at": int(time.time()) - n,
                 "threads": {"total": 5, "busy": (i + n) % 6},
                 "queue": {"length": 0, "capacity": 64},
                 "connections": 3, "inflight": (i + n) % 3,
                 "requests": {"total": 1000 * n + i, "errors": 0,
                              "rejected": 0, "by_status": {"200": 1000 * n}},
                 "tasks": {"completed": n, "failed": 0},
                 "latency_ms": {"samples": 100, "p50": 0.4, "p90": 0.9,
                                "p99": 2.5, "max": 3.0, "window_s": 60},
                 "draining": False, "stopping": False,
                 "deps": {d: {"checked": True, "ok": True, "latency_ms": 1.0,
                              "failures": 0}
                          for d in ("postgres", "amqp", "s3")},
                 "jobs": {"consuming": True, "running": 0, "slots": 2},
                 "time": time.time()}
        body = json.dumps({"properties": {"content_type": "application/json"},
                           "routing_key": "worker.b%d.stats" % i,
                           "payload": json.dumps(stats),
                           "payload_encoding": "string"}).encode()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=5)
            self.conn.request("POST", self.path, body, headers={
                "Authorization": self.auth,
                "Content-Type": "application/json"})
            r = self.conn.getresponse()
            r.read()
            if r.status != 200:
                raise OSError("publish: HTTP %d" % r.status)
            self.sent += 1
        except (OSError, http.client.HTTPException):
            self.failed += 1
            if self.conn is not None:
                self.conn.close()
            self.conn = None

    def extend(self, addrs):
        with self.lock:
            self.addrs.extend(addrs)

    def run(self):
        n = 0
        while not self.stop_ev.is_set():
            t0 = time.monotonic()
            n += 1
            with self.lock:
                addrs = list(self.addrs)
            for i, addr in enumerate(addrs, 1):
                self.beat(i, addr, n)
            self.stop_ev.wait(max(0.0, 1.0 - (time.monotonic() - t0)))


class Watch(threading.Thread):
    def __init__(self, path):
        super().__init__(daemon=True)
        self.c = Ctl(path)
        self.lines = 0
        self.bytes = 0
        self.stop_ev = threading.Event()

    def run(self):
        self.c.s.sendall(b'{"cmd":"watch","args":["1000"]}\n')
        while not self.stop_ev.is_set():
            try:
                line = self.c.recv()
            except (OSError, RuntimeError):
                return
            self.lines += 1
            self.bytes += len(line) + 1


def measure_cpu(pid, seconds):
    c0, t0 = cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_s(pid) - c0) / (time.monotonic() - t0)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def round_trips(ctl, cmd, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        rep = ctl.call(cmd)
        out.append((time.perf_counter() - t0) * 1000.0)
        if not rep.get("ok"):
            raise RuntimeError("%s failed: %r" % (cmd, rep))
        time.sleep(0.01)
    return out


def wait_up(ctl, n):
    """Waits until pfo3-ctld reports n workers, every one up."""
    deadline = time.monotonic() + 20 + n / 8
    while time.monotonic() < deadline:
        st = ctl.call("status")
        if sum(w["state"] == "up" for w in st["workers"]) == n:
            return
        time.sleep(0.2)
    raise RuntimeError("the %d simulated workers never all came up" % n)


def measure_load(pid, ctl, watch, beats, n):
    """The load measurements of one size (steps 2 and 3)."""
    out = {"workers": n}
    time.sleep(max(1.0, WARMUP))
    lines0, sent0, failed0 = watch.lines, beats.sent, beats.failed
    out["load_cpu_pct"] = measure_cpu(pid, SECONDS)
    out["load_rss_kib"] = rss_kib(pid)
    out["watch_lines"] = watch.lines - lines0
    st = ctl.call("status")
    out["status_bytes"] = len(json.dumps(st, separators=(",", ":")))
    out["history"] = min(len(w["history"]["busy"]) for w in st["workers"])
    out["warmup"] = WARMUP
    out["workers_up"] = sum(w["state"] == "up" for w in st["workers"])
    ping = round_trips(ctl, "ping", CALLS)
    c0 = cpu_s(pid)
    status = round_trips(ctl, "status", CALLS)
    # pfo3-ctld's own time per status (with the load's, which is small):
    # what a status costs it, whatever the other tenants do to the wall.
    out["status_cpu_ms"] = (cpu_s(pid) - c0) * 1000.0 / CALLS
    for name, v in (("ping", ping), ("status", status)):
        out[name + "_p50_ms"] = pct(v, 50)
        out[name + "_p99_ms"] = pct(v, 99)
        out[name + "_max_ms"] = max(v)
    out["heartbeats_sent"] = beats.sent - sent0
    out["heartbeats_failed"] = beats.failed - failed0
    return out


def main():
    ctld, conf = env("PFO3_CTLD"), env("PFO3_CONF")
    api, amqp = env("PFO3_AMQP_MGMT_URL"), env("PFO3_AMQP_URL")
    d = tempfile.mkdtemp(prefix="pfo3b-", dir="/tmp")
    sock = os.path.join(d, "ctld.sock")
    log = open(os.path.join(d, "ctld.log"), "wb")
    proc = subprocess.Popen(
        [ctld, "-f", "-c", conf, "-o", "workers.count=0",
         "-o", "ctld.haproxy_socket=", "-o", "ctld.admin_socket=" + sock,
         "-o", "ctld.read_socket=", "-o",
         "ctld.max_workers=%d" % max(64, NWORKERS)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    out = {"seconds": SECONDS, "calls": CALLS}
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        ctl = Ctl(sock)
        time.sleep(2)           # past the first probes
        out["idle_cpu_pct"] = measure_cpu(proc.pid, SECONDS)
        out["idle_rss_kib"] = rss_kib(proc.pid)

        beats = Beats(api, amqp, [])
        beats.start()
        watch, sizes, added = None, [], 0
        for size in SIZES:
            addrs = ["127.0.0.1:%d" % (40000 + i)
                     for i in range(added + 1, size + 1)]
            for a in addrs:
                rep = ctl.call("worker.add", [a])
                if not rep.get("ok"):
                    raise RuntimeError("worker.add %s: %r" % (a, rep))
            added = size
            beats.extend(addrs)
            wait_up(ctl, size)
            if watch is None:
                watch = Watch(sock)
                watch.start()
            sizes.append(measure_load(proc.pid, ctl, watch, beats, size))
        beats.stop_ev.set()
        watch.stop_ev.set()
        out.update(sizes[-1])
        out["sizes"] = sizes
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    print(json.dumps(out))


main()
