"""
httpc.py — a small HTTP/1.1 client on raw sockets.  It is deliberately
raw: tests must control keep-alive, pipelining and the exact bytes on the
wire, which http.client hides.
"""

import json
import re
import socket
import time


class Response:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers          # [(name, value)] as received
        self.body = body                # bytes
        self.raw_head = raw_head        # bytes, up to the empty line
        self.elapsed = None

    def header(self, name, default=None):
        """The first header named `name` (any case)."""
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.reason, self.body[:200])


class HttpError(Exception):
    pass


class Conn:
    """One client connection.  send() writes raw bytes; request() writes a
    well-formed request; response() reads the next response (1xx included)
    from what has arrived, so pipelined replies come out in order."""

    def __init__(self, addr, timeout=10.0):
        self.addr = addr
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def settimeout(self, t):
        self.sock.settimeout(t)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def request(self, method, path, body=None, headers=None, version="1.1",
                keep_alive=True, content_type="application/json"):
        self.send(build_request(self.addr, method, path, body, headers,
                                version, keep_alive, content_type))

    def _fill(self):
        if self.eof:
            return False
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_until(self, marker):
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(marker):]
                return out
            if not self._fill():
                raise HttpError("connection closed before %r (have %r)"
                                % (marker, self.buf[:200]))

    def _read_exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise HttpError("connection closed with %d of %d body bytes"
                                % (len(self.buf), n))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head_only=False):
        """Reads one response.  Raises HttpError when the connection closes
        first or the framing is broken; socket.timeout on a timeout."""
        raw = self._read_until(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        m = re.match(rb"^HTTP/(\d\.\d) (\d{3}) ?(.*)$", lines[0])
        if not m:
            raise HttpError("bad status line %r" % lines[0][:200])
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise HttpError("bad header line %r" % line[:200])
            headers.append((name.decode("latin-1"),
                            value.strip().decode("latin-1")))
        status = int(m.group(2))
        r = Response(m.group(1).decode(), status,
                     m.group(3).decode("latin-1"), headers, b"", raw)
        if head_only or 100 <= status < 200 or status in (204, 304):
            return r
        te = (r.header("Transfer-Encoding") or "").lower()
        cl = r.header("Content-Length")
        if te == "chunked":
            body = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    while self._read_until(b"\r\n") != b"":
                        pass            # trailer fields
                    break
                body += self._read_exact(size)
                self._read_exact(2)
            r.body = body
        elif cl is not None:
            r.body = self._read_exact(int(cl))
        else:
            while self._fill():
                pass
            r.body, self.buf = self.buf, b""
        return r

    def final_response(self, head_only=False):
        """The next response that is not 1xx."""
        while True:
            r = self.response(head_only)
            if not 100 <= r.status < 200:
                return r

    def closed_by_peer(self, timeout=2.0):
        """True when the server closes the connection (EOF) within timeout
        and sends nothing more."""
        if self.buf:
            return False
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        except (socket.timeout, TimeoutError):
            return False
        finally:
            try:
                self.sock.settimeout(old)
            except OSError:
                pass
        if data:
            self.buf += data
            return False
        self.eof = True
        return True


def build_request(addr, method, path, body=None, headers=None,
                  version="1.1", keep_alive=True,
                  content_type="application/json"):
    """The bytes of a request.  A dict or list body is sent as JSON; a
    Content-Length is added for a body unless headers set framing."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    hdrs = [("Host", "%s:%d" % tuple(addr))]
    given = {k.lower() for k, _ in (headers or [])}
    if body is not None and content_type and "content-type" not in given:
        hdrs.append(("Content-Type", content_type))
    if body is not None and "content-length" not in given and \
            "transfer-encoding" not in given:
        hdrs.append(("Content-Length", str(len(body))))
    if "connection" not in given:
        if version == "1.1" and not keep_alive:
            hdrs.append(("Connection", "close"))
        elif version == "1.0" and keep_alive:
            hdrs.append(("Connection", "keep-alive"))
    hdrs.extend(headers or [])
    head = "%s %s HTTP/%s\r\n" % (method, path, version)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in hdrs) + "\r\n"
    return head.encode("latin-1") + (body or b"")


def http(addr, method, path, body=None, headers=None, timeout=10.0,
         content_type="application/json"):
    """One request on a fresh connection with Connection: close; the
    response carries .elapsed (seconds)."""
    t0 = time.monotonic()
    with Conn(addr, timeout) as c:
        c.request(method, path, body, headers, keep_alive=False,
                  content_type=content_type)
        r = c.final_response(head_only=(method == "HEAD"))
    r.elapsed = time.monotonic() - t0
    return r


def raw_http(addr, data, timeout=10.0):
    """Sends raw bytes on a fresh connection and reads one response."""
    with Conn(addr, timeout) as c:
        c.send(data)
        return c.final_response()


def get(addr, path, timeout=10.0):
    return http(addr, "GET", path, timeout=timeout)
