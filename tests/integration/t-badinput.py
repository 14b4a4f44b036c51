#!/usr/bin/python3
"""
t-badinput: bad requests get a clear status and a JSON {"error"} body, and
harm nothing else.

Framing errors (sent straight to w1: HAProxy would refuse or normalize
them before a worker saw them) close the connection after a 400.  Request
errors a worker decides (404, 405, 413, 415, 422, 431, invalid JSON) are
also checked through HAProxy.  Afterwards every worker still serves tasks
with the same pid: nothing crashed.  Chunked bodies and Expect:
100-continue, which are valid, are accepted.
"""
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from httpc import Conn, HttpError, http
from stackenv import stack
from tap import is_, ok, run
from workers import PrivateWorker, retire

MAX_BODY = 1024 * 1024
SUMA = {"operacion": "suma", "datos": {"a": 25, "b": 17}}
SUMA_BYTES = json.dumps(SUMA).encode()


def head(extra=b"", method=b"POST", path=b"/api/v1/tasks"):
    return (method + b" " + path + b" HTTP/1.1\r\nHost: test\r\n" + extra +
            b"\r\n")


def expect_error(addr, data, status, message, name, close=True):
    """Sends raw bytes and checks status, a JSON {"error": message} body
    (message None: any non-empty string) and, for framing errors, that the
    worker closes the connection."""
    try:
        with Conn(addr, timeout=5) as c:
            c.send(data)
            r = c.final_response()
            closed = c.closed_by_peer(2.0) if close else None
    except (OSError, HttpError) as e:
        ok(False, "%s: %d" % (name, status), "exception %r" % e)
        return None
    body = r.json()
    err = body.get("error") if isinstance(body, dict) else None
    good = (r.status == status and
            r.header("Content-Type") == "application/json" and
            isinstance(err, str) and err != "" and
            (message is None or err == message) and
            r.header("X-Pfo3-Worker") is not None)
    ok(good, "%s: %d {\"error\": %s}" % (name, status,
                                        json.dumps(message or "...")),
       lambda: "got %d %r" % (r.status, r.body[:300]))
    if close:
        ok(closed and r.header("Connection") == "close",
           "%s: Connection: close and the worker closes" % name,
           lambda: "Connection: %r, closed %r" % (r.header("Connection"),
                                                  closed))
    return r


def framing(w):
    a = w.addr
    expect_error(a, b"GARBAGE\r\n\r\n", 400, "malformed request line",
                 "malformed request line")
    expect_error(a, b"GET /healthz\r\nHost: test\r\n\r\n", 400,
                 "malformed request line", "request line without version")
    expect_error(a, b"GET  /healthz HTTP/1.1\r\nHost: test\r\n\r\n", 400,
                 "invalid request target", "two spaces in the request line")
    expect_error(a, b"GET /healthz HTTP/1.1\r\n\r\n", 400, "missing Host",
                 "HTTP/1.1 without Host")
    expect_error(a, head(b"Content-Length: 5\r\nTransfer-Encoding: "
                         b"chunked\r\n") + b"0\r\n\r\n", 400,
                 "Content-Length with Transfer-Encoding",
                 "Content-Length and Transfer-Encoding")
    expect_error(a, head(b"Content-Length: 2\r\nContent-Length: 2\r\n") +
                 b"{}", 400, "repeated Content-Length",
                 "duplicate Content-Length")
    expect_error(a, head(b"Content-Length: -1\r\n"), 400,
                 "invalid Content-Length", "negative Content-Length")
    expect_error(a, b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-A: b\r\n"
                 b" folded\r\n\r\n", 400, "obs-fold in header", "obs-fold")
    expect_error(a, b"GET /healthz HTTP/1.1\nHost: test\n\n", 400,
                 "bare CR or LF in the request head", "bare LF")
    expect_error(a, b"GET /healthz HTTP/1.1\r\nHost: test\rX: y\r\n\r\n",
                 400, "bare CR or LF in the request head", "bare CR")
    expect_error(a, b"GET /healthz HTTP/1.1\r\nHost : test\r\n\r\n", 400,
                 "whitespace before header colon",
                 "whitespace before a header colon")
    expect_error(a, head(b"Transfer-Encoding: chunked\r\n") +
                 b"1z\r\nabc\r\n0\r\n\r\n", 400, "invalid chunk size",
                 "invalid chunk size (1z)")
    expect_error(a, head(b"Transfer-Encoding: chunked\r\n") +
                 b"zz\r\nabc\r\n0\r\n\r\n", 400, "missing chunk size",
                 "chunk size that is not hex (zz)")
    expect_error(a, head(b"Transfer-Encoding: chunked\r\n") +
                 b"1" + b"0" * 16 + b"\r\n", 400, "chunk size too large",
                 "chunk size over 64 bits")
    expect_error(a, head(b"Transfer-Encoding: chunked\r\n") +
                 b"3\r\nabcX\r\n0\r\n\r\n", 400,
                 "missing CRLF after chunk data", "chunk longer than its size")
    expect_error(a, head(b"Transfer-Encoding: gzip\r\n"), 501,
                 "unsupported transfer coding", "unknown transfer coding")
    expect_error(a, b"GET /healthz HTTP/2.0\r\nHost: test\r\n\r\n", 505,
                 "unsupported HTTP version", "HTTP/2.0 request line")
    big = b"X-Big: " + b"a" * 9000 + b"\r\n"
    expect_error(a, head(big, b"GET", b"/healthz"), 431,
                 "request head too large", "header over 8K")
    expect_error(a, head(b"Content-Length: %d\r\n" % (MAX_BODY + 1)), 413,
                 "request body too large", "Content-Length 1M + 1")


def chunked(w):
    """Chunked bodies: one accepted in pieces, one refused past 1M."""
    with Conn(w.addr) as c:
        c.send(head(b"Content-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n"))
        pieces = [SUMA_BYTES[i:i + 10] for i in range(0, len(SUMA_BYTES), 10)]
        for p in pieces:
            c.send(b"%x\r\n%s\r\n" % (len(p), p))
            time.sleep(0.05)
        c.send(b"0\r\n\r\n")
        r = c.response()
    ok(r.status == 200 and (r.json() or {}).get("resultado") == 42,
       "chunked body in %d chunks over several sends: 200, resultado 42"
       % len(pieces), lambda: repr(r))

    # Exactly max_body_size is accepted: the task padded with spaces.
    body = SUMA_BYTES + b" " * (MAX_BODY - len(SUMA_BYTES))
    data = head(b"Content-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n")
    for i in range(0, MAX_BODY, 65536):
        data += b"10000\r\n" + body[i:i + 65536] + b"\r\n"
    with Conn(w.addr) as c:
        c.send(data + b"0\r\n\r\n")
        r = c.response()
    ok(r.status == 200 and (r.json() or {}).get("resultado") == 42,
       "chunked body of exactly 1M: accepted", lambda: repr(r))
    # One byte more is refused (no final chunk: nothing left unread).
    expect_error(w.addr, data + b"1\r\n \r\n", 413, "request body too large",
                 "chunked body of 1M + 1")


def app_errors(addr, where):
    """Errors a worker decides; `where` names the path for messages."""
    r = http(addr, "GET", "/nope")
    is_((r.status, r.json()), (404, {"error": "no such resource"}),
        "%s: unknown path: 404 {\"error\": \"no such resource\"}" % where)
    r = http(addr, "GET", "/api/v1/tasks")
    is_((r.status, r.header("Allow"), r.json()),
        (405, "POST", {"error": "method not allowed"}),
        "%s: GET /api/v1/tasks: 405, Allow: POST, JSON error" % where)
    r = http(addr, "DELETE", "/healthz")
    is_((r.status, r.header("Allow")), (405, "GET, HEAD"),
        "%s: DELETE /healthz: 405, Allow: GET, HEAD" % where)
    # Allow names every method of the path, not only the table's last.
    r = http(addr, "PUT", "/api/v1/files/5")
    is_((r.status, r.header("Allow")), (405, "GET, HEAD, DELETE"),
        "%s: PUT /api/v1/files/5: 405, Allow: GET, HEAD, DELETE" % where)
    # An id of 20 digits is no id (1 to 18): 404, parsed without overflow.
    r = http(addr, "GET", "/api/v1/files/99999999999999999999")
    is_((r.status, r.json()), (404, {"error": "no such resource"}),
        "%s: GET /api/v1/files/<20 digits>: 404" % where)
    r = http(addr, "POST", "/api/v1/tasks", '{"operacion": "suma",')
    body = r.json() or {}
    ok(r.status == 400 and str(body.get("error", "")).startswith(
        "invalid JSON"), "%s: invalid JSON body: 400 {\"error\": \"invalid "
       "JSON ...\"}" % where, lambda: repr(r))
    r = http(addr, "POST", "/api/v1/tasks", SUMA_BYTES,
             content_type="text/plain")
    is_((r.status, r.json()),
        (415, {"error": "Content-Type must be application/json"}),
        "%s: Content-Type text/plain: 415" % where)
    r = http(addr, "POST", "/api/v1/tasks", SUMA_BYTES,
             content_type="application/json; charset=utf-8")
    is_(r.status, 200, "%s: application/json with a charset is fine" % where)

    for datos_req, err in (
            ({"operacion": "division", "datos": {"a": 1, "b": 0}},
             "División por cero"),
            ({"operacion": "volar", "datos": {}},
             "Operación desconocida: volar"),
            ({"operacion": "suma"}, "Falta el campo 'datos'"),
            ({"operacion": "suma", "datos": {"a": 1, "b": "2"}},
             "El campo 'b' debe ser numérico"),
            ([1, 2], "La tarea debe ser un objeto JSON")):
        r = http(addr, "POST", "/api/v1/tasks", datos_req)
        body = r.json() or {}
        op = datos_req.get("operacion") if isinstance(datos_req, dict) \
            else None
        ok(r.status == 422 and list(body) == ["id", "operacion", "estado",
                                              "error", "worker"] and
           isinstance(body["id"], int) and body["operacion"] == op and
           body["estado"] == "error" and body["error"] == err and
           body["worker"] == r.header("X-Pfo3-Worker"),
           "%s: 422 in the seed's shape: %s" % (where, err),
           lambda: repr(r))

    r = http(addr, "POST", "/api/v1/tasks", None,
             headers=[("Content-Type", "application/json"),
                      ("Content-Length", str(MAX_BODY + 1))])
    is_((r.status, r.json()), (413, {"error": "request body too large"}),
        "%s: Content-Length over 1M: 413" % where)
    r = http(addr, "GET", "/healthz", headers=[("X-Big", "a" * 9000)])
    is_((r.status, r.json()), (431, {"error": "request head too large"}),
        "%s: a 9000-byte header: 431" % where)


def expect_continue(w):
    with Conn(w.addr, timeout=5) as c:
        c.send(head(b"Content-Type: application/json\r\n"
                    b"Content-Length: %d\r\nExpect: 100-continue\r\n"
                    % len(SUMA_BYTES)))
        r = c.response()
        is_((r.status, r.raw_head), (100, b"HTTP/1.1 100 Continue"),
            "Expect: 100-continue: \"HTTP/1.1 100 Continue\" before the body")
        c.send(SUMA_BYTES)
        r = c.response()
        ok(r.status == 200 and (r.json() or {}).get("resultado") == 42,
           "... then the body is read and the task answered",
           lambda: repr(r))


def connection_survives(w):
    """Errors that leave the framing intact keep the connection alive."""
    with Conn(w.addr) as c:
        c.request("GET", "/nope")
        r1 = c.response()
        c.request("POST", "/api/v1/tasks", "{nope")
        r2 = c.response()
        c.request("POST", "/api/v1/tasks", {"operacion": "volar",
                                            "datos": {}})
        r3 = c.response()
        c.request("GET", "/healthz")
        r4 = c.response()
    is_([(r.status, r.header("Connection")) for r in (r1, r2, r3, r4)],
        [(404, None), (400, None), (422, None), (200, None)],
        "404, invalid JSON and 422 keep the connection (HTTP/1.1: no "
        "Connection header): the next request on it is served")


def read_some(sock, timeout):
    """What arrives on sock within `timeout` until it closes: (bytes,
    seconds waited)."""
    t0 = time.monotonic()
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, TimeoutError, ConnectionResetError):
        pass
    return data, time.monotonic() - t0


def timeouts(st):
    """A client that stops sending is cut off at the configured deadline
    with a 408 (the seed protocol: an error object); an idle keep-alive
    connection is closed quietly.  Deadlines of 500 ms on a private
    worker."""
    p = PrivateWorker(st, "p-timeouts", [
        "-o", "worker.head_timeout=500ms", "-o", "worker.body_timeout=500ms",
        "-o", "worker.keepalive_timeout=500ms"])
    try:
        with socket.create_connection(p.addr, timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
            data, t = read_some(s, 3)
        ok(data.startswith(b"HTTP/1.1 408 ") and data.endswith(
            b'{"error":"timed out reading the request head"}\n') and
           0.4 <= t < 1.5, "half a head: 408 \"timed out reading the "
           "request head\" after 0.5 s, then close",
           lambda: "after %.2f s: %r" % (t, data))

        # Trickling a byte every 100 ms does not extend the deadline.
        with socket.create_connection(p.addr, timeout=5) as s:
            t0 = time.monotonic()
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            data = b""
            for i in range(40):
                try:
                    s.sendall(b"X-Slow-%d: y\r\n" % i)
                except OSError:
                    break
                data, _ = read_some(s, 0.1)
                if data:
                    break
            t = time.monotonic() - t0
        ok(data.startswith(b"HTTP/1.1 408 ") and t < 1.5,
           "a head trickled a line every 100 ms still times out at 0.5 s",
           lambda: "after %.2f s: %r" % (t, data))

        with socket.create_connection(p.addr, timeout=5) as s:
            s.sendall(head(b"Content-Type: application/json\r\n"
                           b"Content-Length: 10\r\n") + b"{}")
            data, t = read_some(s, 3)
        ok(data.startswith(b"HTTP/1.1 408 ") and data.endswith(
            b'{"error":"timed out reading the request body"}\n') and
           0.4 <= t < 1.5, "2 of 10 body bytes: 408 \"timed out reading "
           "the request body\"", lambda: "after %.2f s: %r" % (t, data))

        with Conn(p.addr) as c:
            c.request("GET", "/healthz")
            r = c.response()
            t0 = time.monotonic()
            closed = c.closed_by_peer(3.0)
            t = time.monotonic() - t0
        ok(r.status == 200 and closed and 0.4 <= t < 1.5,
           "an idle keep-alive connection is closed after 0.5 s without "
           "a 408", lambda: "closed %r after %.2f s" % (closed, t))

        with socket.create_connection(p.addr, timeout=5) as s:
            s.sendall(b'{"operacion": "suma", ')
            data, t = read_some(s, 3)
        try:
            reply = json.loads(data.decode("utf-8"))
        except ValueError:
            reply = None
        ok(isinstance(reply, dict) and reply.get("estado") == "error" and
           reply.get("error") == "Tiempo de espera agotado" and
           reply.get("worker") == "p-timeouts" and 0.4 <= t < 1.5,
           "seed protocol: half an object, then silence: \"Tiempo de "
           "espera agotado\" and close", lambda: "after %.2f s: %r"
           % (t, data))

        r = task(p.addr, "suma", {"a": 40, "b": 2})
        ok(r.status == 200 and (r.json() or {}).get("resultado") == 42,
           "the worker still serves tasks after the timeouts")
    finally:
        retire(p)


def main():
    st = stack()
    w1 = st.worker("w1")
    pids = {w.id: w.stats()["pid"] for w in st.workers}

    framing(w1)
    chunked(w1)
    app_errors(w1.addr, "w1")
    app_errors(st.http, "HAProxy")
    connection_survives(w1)
    expect_continue(w1)
    timeouts(st)

    for w in st.workers:
        r = task(w.addr, "suma", {"a": 40, "b": 2})
        ok(r.status == 200 and (r.json() or {}).get("resultado") == 42,
           "%s still serves a task afterwards" % w.id, lambda: repr(r))
        is_(w.stats()["pid"], pids[w.id], "%s has the same pid (no crash, "
            "no restart)" % w.id)


run(main)
