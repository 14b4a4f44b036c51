"""
ctldtest.py — what the pfo3-ctld integration tests share: its two control
sockets, waiting for a worker's state, a steady load generator through
HAProxy, and putting the cluster back as the other tests expect it (w1..wN
up, nothing else).
"""
import json
import os
import socket
import threading
import time

from ctlproto import ctl_call
from haproxy import backend_servers, wait_settled
from httpc import Conn, HttpError
from tap import diag, skip_all
from wait import poll


def sockets():
    """(admin, read-only) socket paths from `./stack env`; skips without."""
    admin = os.environ.get("PFO3_SOCKET")
    ro = os.environ.get("PFO3_SOCKET_RO")
    if not admin or not ro:
        skip_all("no pfo3-ctld in this stack (PFO3_SOCKET unset)")
    return admin, ro


def admin(cmd, *args, timeout=10.0):
    return ctl_call(os.environ["PFO3_SOCKET"], cmd, list(args),
                    timeout=timeout)


def status(path=None):
    rep = ctl_call(path or os.environ["PFO3_SOCKET_RO"], "status")
    if not rep.get("ok"):
        raise RuntimeError("status failed: %r" % rep)
    return rep


def worker_of(st, wid):
    for w in st["workers"]:
        if w["id"] == wid:
            return w
    return None


def wait_worker(wid, pred, timeout):
    """Polls status until pred(worker) (None when it is gone) is true;
    returns the worker object then, else None."""
    def check():
        w = worker_of(status(), wid)
        return (w or {"gone": True}) if pred(w) else None
    return poll(check, timeout, 0.1)


def wait_state(wid, state, timeout):
    return wait_worker(wid, lambda w: w is not None and w["state"] == state,
                       timeout)


def lb_rows(st, wid):
    """{backend: show stat row} of server `wid` in both backends."""
    out = {}
    for be in (st.backend, "seed"):
        row = backend_servers(st, be).get(wid)
        if row is not None:
            out[be] = row
    return out


def restore(st, timeout=60.0):
    """Back to what the other tests expect: the stack's workers up and
    resumed, nothing else in pfo3-ctld or HAProxy, HAProxy settled."""
    for w in status()["workers"]:
        if w["id"] not in st.ids and w.get("action") != "remove":
            admin("worker.remove", w["id"])
        elif w["id"] in st.ids and (w["state"] in ("draining", "drained")
                                    or w.get("drain_wanted")):
            admin("worker.resume", w["id"])

    def clean():
        ws = status()["workers"]
        return (sorted(w["id"] for w in ws) == sorted(st.ids) and
                all(w["state"] == "up" for w in ws) and
                set(backend_servers(st, st.backend)) == set(st.ids) and
                set(backend_servers(st, "seed")) == set(st.ids))
    if not poll(clean, timeout, 0.2):
        diag("restore: cluster not back: %r" %
             [(w["id"], w["state"]) for w in status()["workers"]])
        return False
    return wait_settled(st, timeout=30)


class Load:
    """A steady load through HAProxy: `keepalive` threads reuse one
    connection each, `fresh` threads open one per request.  Each request
    is a small task whose reply names the worker that ran it.  Every
    request is recorded: (start, end, worker or None, error or None)."""

    def __init__(self, addr, keepalive=3, fresh=3, pause=0.01):
        self.addr = addr
        self.pause = pause
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.results = []
        self.threads = [threading.Thread(target=self._run, args=(ka,),
                                         daemon=True)
                        for ka in [True] * keepalive + [False] * fresh]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(30)

    def _one(self, conn, keep):
        conn.request("POST", "/api/v1/tasks",
                     {"operacion": "suma", "datos": {"a": 1, "b": 2}},
                     keep_alive=keep)
        r = conn.final_response()
        if r.status != 200:
            return None, "HTTP %d %r" % (r.status, r.body[:100])
        return json.loads(r.body).get("worker"), None

    def _run(self, keepalive):
        conn = None
        while not self.stop_ev.is_set():
            t0 = time.monotonic()
            worker = err = None
            try:
                if conn is None:
                    conn = Conn(self.addr, timeout=10)
                worker, err = self._one(conn, keepalive)
                closed = (not keepalive) or conn.eof
            except (OSError, HttpError, ValueError) as e:
                # Any failure counts: HAProxy keeps the client side open
                # whatever happens to the workers behind it.
                err, closed = repr(e), True
            with self.lock:
                self.results.append((t0, time.monotonic(), worker, err))
            if closed and conn is not None:
                conn.close()
                conn = None
            time.sleep(self.pause)
        if conn is not None:
            conn.close()

    def snapshot(self):
        with self.lock:
            return list(self.results)

    @staticmethod
    def failures(results):
        return [r for r in results if r[3] is not None]

    @staticmethod
    def served_by(results, wid, after=None):
        return [r for r in results if r[2] == wid and
                (after is None or r[0] >= after)]


def raw_lines(path, data, timeout=5.0):
    """Sends raw bytes on a fresh connection, returns the first reply line
    decoded (or None when the daemon closed without a reply)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        while b"\n" not in buf:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
    if b"\n" not in buf:
        return None
    return json.loads(buf.split(b"\n", 1)[0].decode("utf-8", "replace"))


__all__ = ["sockets", "admin", "status", "worker_of", "wait_worker",
           "wait_state", "lb_rows", "restore", "Load", "raw_lines",
           "CtlConn"]
