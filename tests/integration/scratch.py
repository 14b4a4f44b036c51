"""
scratch.py — what a test makes for itself and must not leave behind:
private directories (removed at exit), free loopback ports, and processes
(killed at exit, or on SIGTERM/SIGHUP, whatever happens to the test).
"""

import atexit
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

_procs = []
_tmpdirs = []


def tmpdir():
    """A private directory removed at exit (short: socket paths are
    limited to 107 bytes)."""
    d = tempfile.mkdtemp(prefix="pfo3t-", dir="/tmp")
    _tmpdirs.append(d)
    return d


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_at_exit(proc):
    """Has proc.kill() called at exit (once, however often registered),
    before the private directories go."""
    if proc not in _procs:
        _procs.append(proc)


def terminate(proc, timeout=15):
    """SIGTERM, then SIGKILL after `timeout` seconds; the exit status."""
    proc.terminate()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def _cleanup():
    for p in _procs:
        try:
            p.kill()
        except Exception:
            pass
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _on_signal(signum, frame):
    _cleanup()
    sys.exit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except (ValueError, OSError):
        pass
