#!/usr/bin/python3
"""
t-haproxy-retry: HAProxy never replays a request a worker may have run.

The stack's generated haproxy.cfg retries on `conn-failure` alone.  Its
`defaults` section, copied as it is, then runs in a private HAProxy in
front of servers of this test:

  - two servers that read a POST and close the connection without
    answering (a worker dying mid-request): the client gets an error, and
    the POST reached one server once — it was not replayed on the other;
  - a port that refuses connections and a server that answers: every
    request is answered 200 (a connection that was never made is tried
    again on the other server), so the retries that are safe still work.
"""
import os
import re
import socket
import subprocess
import threading
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpc import Conn, HttpError, http
from scratch import free_port, tmpdir
from stackenv import stack
from tap import is_, ok, run
from tcpservers import Listener
from wait import poll


class Server(Listener):
    """Counts the requests it reads; answers 200, or closes without a
    word when `mute`."""

    def __init__(self, mute):
        self.mute = mute
        self.count = 0
        self.lock = threading.Lock()
        Listener.__init__(self)

    def serve(self, c):
        c.settimeout(5)
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                data = c.recv(4096)
                if not data:
                    return
                buf += data
            head, _, body = buf.partition(b"\r\n\r\n")
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            want = int(m.group(1)) if m else 0
            while len(body) < want:
                data = c.recv(4096)
                if not data:
                    return
                body += data
            with self.lock:
                self.count += 1
            if not self.mute:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                          b"Connection: close\r\n\r\nok")
        except OSError:
            pass
        finally:
            c.close()


def defaults_section(path):
    """The `defaults` section of the stack's haproxy.cfg, as lines."""
    out, inside = [], False
    with open(path) as f:
        for line in f:
            if re.match(r"^\S", line):
                inside = line.startswith("defaults")
                if inside:
                    out.append(line)
                continue
            if inside:
                out.append(line)
    return out


def haproxy(defaults, servers):
    """A private HAProxy with `defaults` in front of `servers` (ports);
    (process, port)."""
    d = tmpdir()
    port = free_port()
    cfg = os.path.join(d, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n\tmaxconn 256\n\n")
        f.writelines(defaults)
        f.write("\nfrontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend be\n"
                "\nbackend be\n\tbalance roundrobin\n" % port)
        for i, p in enumerate(servers):
            f.write("\tserver s%d 127.0.0.1:%d\n" % (i, p))
    p = subprocess.Popen(["haproxy", "-f", cfg, "-db"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            return False
    if not poll(up, 10, 0.05):
        p.kill()
        raise RuntimeError("private haproxy did not start: %s"
                           % p.stderr.read().decode("utf-8", "replace"))
    return p, port


def post(port):
    """A POST through the private HAProxy: its status, or None when the
    connection ended without one."""
    try:
        with Conn(("127.0.0.1", port), 15) as c:
            c.request("POST", "/api/v1/reports", b'{"month":"2026-01"}',
                      keep_alive=False)
            return c.final_response().status
    except (OSError, HttpError):
        return None


def main():
    st = stack()
    path = os.path.join(os.environ["PFO3_RUN_DIR"], "haproxy",
                        "haproxy.cfg")
    defaults = defaults_section(path)
    text = "".join(l.split("#", 1)[0] for l in defaults)
    retry = [l.split() for l in defaults if l.split()[:1] == ["retry-on"]]
    is_(retry, [["retry-on", "conn-failure"]],
        "the stack's haproxy.cfg retries on conn-failure alone")
    ok("empty-response" not in text and "response-timeout" not in text,
       "never on an empty response or a response timeout")
    ok(http(st.http, "GET", "/healthz").status == 200,
       "the stack's HAProxy runs with it")

    a, b = Server(True), Server(True)
    hp, port = haproxy(defaults, [a.port, b.port])
    try:
        statuses = [post(port) for _ in range(4)]
        ok(all(s is None or s >= 500 for s in statuses),
           "a POST whose server closes without answering is an error "
           "for the client (%r)" % statuses)
        is_(a.count + b.count, 4, "each of 4 POSTs reached a server once: "
            "none was replayed (%d + %d)" % (a.count, b.count))
    finally:
        hp.kill()
        hp.wait(5)
        a.close()
        b.close()

    refused = free_port()
    good = Server(False)
    hp, port = haproxy(defaults, [refused, good.port])
    try:
        statuses = [post(port) for _ in range(4)]
        is_(statuses, [200] * 4, "a refused connection is tried again on "
            "the other server: every POST is answered 200")
        is_(good.count, 4, "and each reached the answering server once")
    finally:
        hp.kill()
        hp.wait(5)
        good.close()


if __name__ == "__main__":
    run(main)
