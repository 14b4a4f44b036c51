#!/usr/bin/python3
"""
ctld-feed.py SOCKET NWORKERS — a stand-in for pfo3-ctld's status stream,
for bench/console.sh: it answers `help`, `ping`, `status` and
`watch [INTERVAL_MS]` with status objects of the contract's shape for
NWORKERS workers (five minutes of history each), the numbers changing
every interval.  The console's cost is what is measured, so the feed's
own cost does not matter; only the load it hands out does.
"""
import json
import os
import random
import socket
import sys
import threading
import time

PATH, N = sys.argv[1], int(sys.argv[2])
HISTORY = 300
TABLE = [{"name": n, "usage": u, "min_args": 0, "max_args": m,
          "access": "read", "help": h} for n, u, m, h in [
    ("status", "", 0, "The cluster status."),
    ("watch", "[INTERVAL_MS]", 1, "A status per interval."),
    ("help", "", 0, "The command table."),
    ("ping", "", 0, "Liveness.")]]
rng = random.Random(1)
workers = [{"id": "w%d" % i, "addr": "10.0.%d.%d:8001" % (i // 250, i % 250),
            "pid": None, "local": False, "state": "up",
            "lb": {"status": "UP", "check": "L7OK", "sessions": 0,
                   "queue": 0, "rate": 0, "http_5xx": 0},
            "threads": {"total": 5, "busy": 0},
            "queue": {"length": 0, "capacity": 64},
            "inflight": 0, "jobs_running": 0, "req_s": 0.0, "errors_s": 0.0,
            "latency_ms": {"p50": 0.0, "p99": 0.0}, "restarts": 0,
            "uptime_s": 100, "last_error": None,
            "history": {"busy": [rng.randint(0, 5) for _ in range(HISTORY)]}}
           for i in range(1, N + 1)]
lock = threading.Lock()


def status():
    with lock:
        for w in workers:
            b = rng.randint(0, 5)
            w["threads"]["busy"] = b
            w["history"]["busy"] = w["history"]["busy"][1:] + [b]
            w["req_s"] = rng.random() * 200
            w["latency_ms"] = {"p50": rng.random() * 3, "p99": rng.random() * 90}
            w["inflight"] = b
            w["uptime_s"] += 1
        busy = sum(w["threads"]["busy"] for w in workers)
        return json.dumps({
            "ok": True, "v": 1, "time": time.time(), "interval_ms": 1000,
            "ctld": {"pid": os.getpid(), "uptime_s": 100, "version": "feed"},
            "workers": workers,
            "queues": [{"name": "pfo3.jobs." + q, "messages": rng.randint(0, 50),
                        "unacked": 0, "consumers": N, "in_s": 1.0,
                        "out_s": 1.0, "dead_letter": q == "dead"}
                       for q in ("report", "thumbnail", "task", "dead")],
            "deps": {d: {"ok": True, "latency_ms": rng.random(), "error": None}
                     for d in ("postgres", "s3", "amqp", "haproxy")},
            "totals": {"workers": N, "workers_up": N,
                       "threads": {"total": 5 * N, "busy": busy},
                       "req_s": 100.0, "errors_s": 0.0, "jobs_queued": 0},
            "history": {"busy": [busy] * HISTORY, "req_s": [100] * HISTORY},
            "events": [{"time": time.time(), "text": "feed event %d" % i}
                       for i in range(50)]}) + "\n"


def serve(conn):
    f = conn.makefile("rwb")
    try:
        for line in f:
            req = json.loads(line)
            cmd, args = req.get("cmd"), req.get("args") or []
            if cmd == "watch":
                ms = int(args[0]) if args else 1000
                while True:
                    f.write(status().encode())
                    f.flush()
                    time.sleep(ms / 1000.0)
            if cmd == "status":
                out = status()
            elif cmd == "help":
                out = json.dumps({"ok": True, "v": 1, "commands": TABLE,
                                  "access": "read"}) + "\n"
            elif cmd == "ping":
                out = '{"ok":true,"v":1,"pong":true}\n'
            else:
                out = json.dumps({"ok": False, "v": 1,
                                  "error": "not in the feed"}) + "\n"
            f.write(out.encode())
            f.flush()
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


if os.path.exists(PATH):
    os.unlink(PATH)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(PATH)
srv.listen(16)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
