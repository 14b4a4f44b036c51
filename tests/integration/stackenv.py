"""
stackenv.py — the stack that `./stack test` started, as its PFO3_*
environment variables describe it: the HAProxy front, the seed, the
workers with their control sockets, the source tree.  Without them a test
skips as a whole (and `./stack test` treats a skip as a failure, so
nothing else may skip).
"""

import os

from ctlproto import ctl_call
from tap import skip_all
from wait import poll


def _addr(text):
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1", int(port))


class Worker:
    """One worker of the stack (or a private one): id, HTTP address,
    control socket, agent address."""

    def __init__(self, wid, addr, socket_path, agent=None):
        self.id = wid
        self.addr = addr
        self.socket = socket_path
        self.agent = agent

    def __repr__(self):
        return "Worker(%s %s:%d)" % (self.id, self.addr[0], self.addr[1])

    def ctl(self, cmd, args=None, timeout=5.0):
        return ctl_call(self.socket, cmd, args, timeout=timeout)

    def stats(self):
        reply = self.ctl("stats")
        if not reply.get("ok"):
            raise RuntimeError("stats on %s failed: %r" % (self.id, reply))
        return reply

    def consuming(self):
        """Whether its job consumer is on (stats: jobs.consuming); a
        drained worker stops consuming."""
        return self.stats().get("jobs", {}).get("consuming")


class Stack:
    """The stack's addresses: .http (HAProxy's front), .seed, the HAProxy
    runtime socket and backend, the pfo3-workerd binary, and .workers."""

    def __init__(self, env):
        self.http = _addr(env["PFO3_HTTP_URL"].split("://", 1)[-1]
                          .split("/", 1)[0])
        self.seed = (env["PFO3_SEED_HOST"], int(env["PFO3_SEED_PORT"]))
        self.haproxy_socket = env["PFO3_HAPROXY_SOCKET"]
        self.backend = env.get("PFO3_HAPROXY_BACKEND", "workers")
        self.workerd = env["PFO3_WORKERD"]
        self.workers = []
        for wid in env["PFO3_WORKERS"].split():
            agent = env.get("PFO3_WORKER_%s_AGENT" % wid)
            self.workers.append(Worker(
                wid, _addr(env["PFO3_WORKER_%s_ADDR" % wid]),
                env["PFO3_WORKER_%s_SOCKET" % wid],
                _addr(agent) if agent else None))

    def worker(self, wid):
        for w in self.workers:
            if w.id == wid:
                return w
        raise KeyError(wid)

    @property
    def ids(self):
        return [w.id for w in self.workers]


_REQUIRED = ("PFO3_HTTP_URL", "PFO3_SEED_HOST", "PFO3_SEED_PORT",
             "PFO3_WORKERS", "PFO3_HAPROXY_SOCKET", "PFO3_WORKERD")


def stack():
    """The running stack from the environment, or a TAP skip when there is
    none (the only reason a test may skip)."""
    env = os.environ
    if any(not env.get(k) for k in _REQUIRED):
        skip_all("no running stack (run ./stack test)")
    for wid in env["PFO3_WORKERS"].split():
        for k in ("ADDR", "SOCKET"):
            if not env.get("PFO3_WORKER_%s_%s" % (wid, k)):
                skip_all("no running stack (run ./stack test)")
    return Stack(env)


def srcdir():
    """The top of the source tree."""
    d = os.environ.get("PFO3_SRCDIR")
    if d:
        return d
    return os.path.normpath(os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", ".."))


def drain_jobs(workers, timeout=10.0, interval=0.05):
    """Drains `workers` and polls until none of them consumes jobs: the
    jobs then go to a private worker only."""
    for w in workers:
        w.ctl("drain")
    return poll(lambda: not any(w.consuming() for w in workers), timeout,
                interval)


def resume_jobs(workers, timeout=15.0, interval=0.05):
    """Resumes `workers` and polls until every one consumes jobs again."""
    for w in workers:
        w.ctl("resume")
    return poll(lambda: all(w.consuming() for w in workers), timeout,
                interval)
