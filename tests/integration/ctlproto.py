"""
ctlproto.py — the control protocol of pfo3-workerd and pfo3-ctld: JSON
lines both ways on a Unix socket.
"""

import json
import socket

from httpc import HttpError


class CtlConn:
    """A control-socket connection: JSON lines both ways."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_line(self, line):
        if isinstance(line, str):
            line = line.encode("utf-8")
        if not line.endswith(b"\n"):
            line += b"\n"
        self.sock.sendall(line)

    def recv_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise HttpError("control socket closed (have %r)"
                                % self.buf[:200])
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def recv(self):
        return json.loads(self.recv_line().decode("utf-8"))

    def call(self, cmd, args=None):
        req = {"cmd": cmd}
        if args is not None:
            req["args"] = args
        self.send_line(json.dumps(req))
        return self.recv()


def ctl_call(path, cmd, args=None, timeout=5.0):
    """One command on a fresh connection; returns the decoded reply."""
    with CtlConn(path, timeout) as c:
        return c.call(cmd, args)
