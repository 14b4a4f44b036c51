"""
workers.py — pfo3-workerd processes of a test's own: a private worker on
a free port beside the stack's (same PostgreSQL, RabbitMQ and S3), its
graceful retirement with the sanitizer check, and one-shot runs of the
binary.
"""

import os
import re
import signal
import subprocess

from httpc import HttpError, get
from scratch import free_port, kill_at_exit, tmpdir
from stackenv import Worker
from tap import is_, ok
from wait import poll


SANITIZER_RE = re.compile(r"ERROR: (Address|Leak)Sanitizer|"
                          r"WARNING: ThreadSanitizer|runtime error:")


def retire(p):
    """Stops a private worker gracefully, then checks it exited 0 and left
    no sanitizer report (the stack's workers are checked by ./stack test;
    private ones only here)."""
    status = p.stop()
    is_(status, 0, "private worker %s exits 0 on SIGTERM" % p.id)
    report = p.sanitizer_report()
    ok(report is None, "private worker %s: no sanitizer report in its log"
       % p.id, report)


class PrivateWorker(Worker):
    """A pfo3-workerd of our own on a free port, in the foreground, with a
    control socket in a private directory; killed at exit whatever
    happens.  `args` are extra options (--threads 1 --queue 1 -o ...)."""

    def __init__(self, st, wid="p1", args=(), ready_timeout=10.0):
        self.dir = tmpdir()
        self.logpath = os.path.join(self.dir, "%s.log" % wid)
        sock = os.path.join(self.dir, "%s.sock" % wid)
        self.log = None
        for attempt in range(5):
            if self.log is not None:
                self.log.close()
            port = free_port()
            addr = ("127.0.0.1", port)
            # The stack's configuration: a private worker sees the same
            # PostgreSQL, RabbitMQ and S3 as the stack's workers.
            conf = ["-c", os.environ["PFO3_CONF"]] \
                if os.environ.get("PFO3_CONF") else []
            cmd = [st.workerd, "-f"] + conf + ["--id", wid, "--listen",
                   "127.0.0.1:%d" % port, "--control", sock] + list(args)
            self.log = open(self.logpath, "ab")
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=self.log,
                                         stderr=subprocess.STDOUT)
            kill_at_exit(self)
            Worker.__init__(self, wid, addr, sock)
            if poll(self._ready, ready_timeout, 0.05):
                return
            if self.proc.poll() is None:
                break
            # Lost the port to someone else between free_port and bind.
        raise RuntimeError("private worker %s did not start: %s"
                           % (wid, self.logtext()[-2000:]))

    def _ready(self):
        if self.proc.poll() is not None:
            return False
        if not os.path.exists(self.socket):
            return False
        try:
            return get(self.addr, "/healthz", timeout=1.0).status == 200
        except (OSError, HttpError):
            return False

    @property
    def pid(self):
        return self.proc.pid

    def logtext(self):
        try:
            with open(self.logpath, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_exit(self, timeout):
        """The exit status, or None if still running after `timeout`."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status.
        A graceful exit lets sanitizers write their reports."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.wait_exit(timeout)
        if status is None:
            self.kill()
            status = self.proc.returncode
        return status

    def sanitizer_report(self):
        """The log from the first sanitizer report on, or None."""
        text = self.logtext()
        m = SANITIZER_RE.search(text)
        return text[m.start():][:4000] if m else None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.log.close()


def run_workerd(st, args, timeout=10.0):
    """Runs pfo3-workerd with `args` to the end: (status, stdout, stderr)."""
    p = subprocess.run([st.workerd] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")
