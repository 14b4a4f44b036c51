"""
tcpservers.py — TCP servers a test runs itself on loopback: Relay, which
stands between a worker and a service and can go away or hang like the
service would, and Listener, a server whose behaviour the test writes.
"""

import re
import socket
import threading

from scratch import free_port


class Relay:
    """A TCP relay from a local port to `target`.  close() refuses new
    connections and cuts the open ones, like a server going away;
    open() listens again on the same port.  freeze() stops forwarding
    without closing anything (new connections wait in the listen queue),
    like a server that hangs (SIGSTOP, a black hole); thaw() resumes.
    .requests lists the request line of every HTTP request that went
    through ("PUT /bucket/key HTTP/1.1"), in order."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.lock = threading.Lock()
        self.socks = []
        self.requests = []
        self.listener = None
        self.thawed = threading.Event()
        self.thawed.set()
        self.open()

    def freeze(self):
        self.thawed.clear()

    def thaw(self):
        self.thawed.set()

    def open(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        self.listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def close(self):
        with self.lock:
            ls, self.listener = self.listener, None
            socks, self.socks = self.socks, []
        for s in [ls] + socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, ls):
        while True:
            self.thawed.wait()
            try:
                client, _ = ls.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not ls:
                    client.close()
                    server.close()
                    return
                self.socks += [client, server]
            for a, b, rec in ((client, server, self.requests),
                              (server, client, None)):
                threading.Thread(target=self._pipe,
                                 args=(a, b, self.thawed, rec),
                                 daemon=True).start()

    @staticmethod
    def _pipe(src, dst, thawed, requests=None):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                # An HTTP client sends a request's head once the previous
                # answer came: it starts a read of its own.
                if requests is not None and \
                        re.match(rb"[A-Z]+ /\S* HTTP/1\.1\r\n", data):
                    requests.append(data.split(b"\r\n", 1)[0]
                                    .decode("latin-1"))
                thawed.wait()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Listener:
    """A TCP server of a test on a free loopback port (.port): every
    connection it accepts goes to self.serve(sock) on a thread of its own.
    close() stops it and closes the connections it holds."""

    def __init__(self):
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def serve(self, sock):
        """Holds the connection open without a word (override)."""

    def close(self):
        for s in self.conns + [self.ls]:
            s.close()
