"""
amqppub.py — just enough AMQP 0-9-1 to publish a job message to the
stack's RabbitMQ ($PFO3_AMQP_URL) with a publisher confirm: duplicates and
strays that no worker would publish (the stack has no management API).
"""

import os
import socket
import struct
import urllib.parse


def _shortstr(b):
    return struct.pack(">B", len(b)) + b


def _longstr(b):
    return struct.pack(">I", len(b)) + b


class Amqp:
    """Just enough AMQP 0-9-1 to publish a persistent message with a
    publisher confirm."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port or 5672),
                                             timeout=10)
        self.buf = b""
        vhost = urllib.parse.unquote(u.path[1:]) if len(u.path) > 1 else "/"
        login = b"\0" + urllib.parse.unquote(u.username).encode() + b"\0" + \
            urllib.parse.unquote(u.password).encode()
        self.sock.sendall(b"AMQP\x00\x00\x09\x01")
        self.expect(0, 10, 10)                          # start
        self.method(0, 10, 11, struct.pack(">I", 0) + _shortstr(b"PLAIN") +
                    _longstr(login) + _shortstr(b"en_US"))
        chmax, fmax, _ = struct.unpack(">HIH", self.expect(0, 10, 30)[:8])
        self.method(0, 10, 31, struct.pack(">HIH", chmax, fmax, 0))
        self.method(0, 10, 40, _shortstr(vhost.encode()) + _shortstr(b"") +
                    b"\0")
        self.expect(0, 10, 41)                          # open-ok
        self.method(1, 20, 10, _shortstr(b""))
        self.expect(1, 20, 11)                          # channel open-ok
        self.method(1, 85, 10, b"\0")
        self.expect(1, 85, 11)                          # confirm select-ok

    def _read(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("AMQP: connection closed")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        kind, channel, size = struct.unpack(">BHI", self._read(7))
        payload = self._read(size)
        if self._read(1) != b"\xce":
            raise RuntimeError("AMQP: bad frame end")
        return kind, channel, payload

    def expect(self, channel, cls, mth):
        kind, ch, payload = self.frame()
        got = struct.unpack(">HH", payload[:4]) if kind == 1 else None
        if kind != 1 or ch != channel or got != (cls, mth):
            raise RuntimeError("AMQP: expected %d.%d on %d, got frame %d "
                               "%r: %r" % (cls, mth, channel, kind, got,
                                           payload[:120]))
        return payload[4:]

    def send(self, kind, channel, payload):
        self.sock.sendall(struct.pack(">BHI", kind, channel, len(payload)) +
                          payload + b"\xce")

    def method(self, channel, cls, mth, args):
        self.send(1, channel, struct.pack(">HH", cls, mth) + args)

    def publish(self, exchange, key, body):
        """Publishes mandatory and persistent; returns once confirmed."""
        self.method(1, 60, 40, struct.pack(">H", 0) +
                    _shortstr(exchange.encode()) + _shortstr(key.encode()) +
                    b"\x01")
        # content-type and delivery-mode (2: persistent)
        self.send(2, 1, struct.pack(">HHQH", 60, 0, len(body), 0x9000) +
                  _shortstr(b"application/json") + b"\x02")
        self.send(3, 1, body)
        self.expect(1, 60, 80)                          # basic.ack

    def close(self):
        try:
            self.method(0, 10, 50, struct.pack(">H", 200) + _shortstr(b"") +
                        struct.pack(">HH", 0, 0))
            self.expect(0, 10, 51)
        finally:
            self.sock.close()


def amqp_publish(body, key="task"):
    c = Amqp(os.environ["PFO3_AMQP_URL"])
    try:
        c.publish("pfo3.jobs", key, body)
    finally:
        c.close()
