"""
pfo3test.py — what every integration test shares: TAP output, a small
HTTP/1.1 client on raw sockets, the worker control protocol, HAProxy's
runtime API, polling with deadlines, and private workers.

The tests run against the stack that `./stack test` starts, described by
PFO3_* environment variables.  Without them a test skips as a whole (and
`./stack test` treats a skip as a failure, so nothing else may skip).

The HTTP client is deliberately raw: tests must control keep-alive,
pipelining and the exact bytes on the wire, which http.client hides.
Waiting for a state is always a poll with a deadline, never a bare sleep.
"""

import atexit
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# ---------------------------------------------------------------- TAP

_tap = {"n": 0, "failed": 0, "planned": None}
_tap_lock = threading.Lock()


def _out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def plan(n):
    """Announces the number of tests up front (optional: done() prints it
    otherwise)."""
    _tap["planned"] = n
    _out("1..%d" % n)


def diag(msg):
    """A comment line (or several) for the log."""
    for line in str(msg).splitlines() or [""]:
        _out("# " + line)


def ok(cond, name, detail=None):
    """One test point; `detail` (a string or a callable giving one) is
    printed as a diagnostic when it fails.  Returns the truth of cond."""
    with _tap_lock:
        _tap["n"] += 1
        n = _tap["n"]
        if not cond:
            _tap["failed"] += 1
        name = name.replace("\n", " ").replace("#", "\\#")
        _out("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond and detail is not None:
        diag(detail() if callable(detail) else detail)
    return bool(cond)


def is_(got, want, name):
    """ok() with got == want, and both shown when they differ."""
    return ok(got == want, name,
              lambda: "     got: %r\nexpected: %r" % (got, want))


def isnt(got, unwanted, name):
    return ok(got != unwanted, name, lambda: "got the unwanted %r" % (got,))


def like(got, regex, name):
    """ok() when the string got matches regex (re.search)."""
    good = isinstance(got, str) and re.search(regex, got) is not None
    return ok(good, name,
              lambda: "     got: %r\ndoes not match: %r" % (got, regex))


def cmp_ok(got, op, want, name):
    """ok() with a comparison: cmp_ok(t, "<", 1.0, "fast")."""
    ops = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
           ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
           "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
    try:
        good = ops[op](got, want)
    except TypeError:
        good = False
    return ok(good, name, lambda: "%r %s %r is false" % (got, op, want))


def skip_all(reason):
    _out("1..0 # SKIP %s" % reason)
    sys.exit(0)


def bail_out(reason):
    _out("Bail out! %s" % reason.replace("\n", " "))
    sys.exit(255)


def done():
    """Prints the plan if none was given and exits 0 only when every test
    passed and as many ran as were planned."""
    if _tap["planned"] is None:
        _out("1..%d" % _tap["n"])
    elif _tap["planned"] != _tap["n"]:
        diag("planned %d tests but ran %d" % (_tap["planned"], _tap["n"]))
        sys.exit(1)
    if _tap["failed"]:
        diag("failed %d of %d tests" % (_tap["failed"], _tap["n"]))
    sys.exit(1 if _tap["failed"] else 0)


def run(main):
    """Runs main() and done(); an exception is one failed test with its
    traceback, so a broken test never passes silently."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        ok(False, "test ran to its end without an exception",
           traceback.format_exc())
    done()


# ---------------------------------------------------------------- waiting

def poll(fn, timeout, interval=0.05):
    """Calls fn() until it returns something true or `timeout` seconds have
    passed; returns that value, or the last (false) one."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# ---------------------------------------------------------------- the stack

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


class Stack:
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


# ---------------------------------------------------------------- HTTP

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


def task(addr, operacion, datos, timeout=30.0):
    """POST /api/v1/tasks on a fresh connection."""
    return http(addr, "POST", "/api/v1/tasks",
                {"operacion": operacion, "datos": datos}, timeout=timeout)


def get(addr, path, timeout=10.0):
    return http(addr, "GET", path, timeout=timeout)


# ---------------------------------------------------------------- seed

def seed_exchange(addr, payload, pauses=None, timeout=10.0):
    """The seed's raw protocol: sends `payload` (bytes; a list of bytes is
    sent piece by piece with `pauses` seconds between them) without a
    newline or a shutdown, then reads until the server closes.  Returns
    the raw bytes received."""
    parts = payload if isinstance(payload, list) else [payload]
    with socket.create_connection(addr, timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i, part in enumerate(parts):
            if i and pauses:
                time.sleep(pauses)
            s.sendall(part)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


# ---------------------------------------------------------------- control

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


# ---------------------------------------------------------------- HAProxy

def haproxy_cmd(path, command, timeout=5.0):
    """One runtime API command; returns the reply text."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(command.encode() + b"\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode("utf-8", "replace")


def show_stat(path):
    """`show stat` as a list of dicts, keyed by the column names of the
    `# pxname,svname,...` header (columns are only ever appended)."""
    lines = haproxy_cmd(path, "show stat").splitlines()
    if not lines or not lines[0].startswith("# "):
        raise RuntimeError("unexpected show stat reply: %r" % lines[:2])
    cols = lines[0][2:].split(",")
    rows = []
    for line in lines[1:]:
        if line:
            rows.append(dict(zip(cols, line.split(","))))
    return rows


def server_stat(st, backend, server):
    """The `show stat` row of one server, or None."""
    for row in show_stat(st.haproxy_socket):
        if row.get("pxname") == backend and row.get("svname") == server:
            return row
    return None


def backend_servers(st, backend):
    """{server name: show stat row} for a backend's servers."""
    return {row["svname"]: row for row in show_stat(st.haproxy_socket)
            if row.get("pxname") == backend
            and row.get("svname") not in ("FRONTEND", "BACKEND")}


def servers_settled(st, backend, ids=None):
    """True when every server of `ids` (default all workers) is UP after a
    passing check, with the same current weight: the state in which
    roundrobin spreads requests evenly."""
    ids = ids or st.ids
    rows = backend_servers(st, backend)
    try:
        good = all(rows[i]["status"] == "UP" and
                   rows[i]["check_status"] == "L7OK" for i in ids)
        weights = {rows[i]["weight"] for i in ids}
    except KeyError:
        return False
    return good and len(weights) == 1 and "0" not in weights


def wait_settled(st, backends=None, timeout=20.0):
    """Polls until every backend is settled (see servers_settled)."""
    backends = backends or [st.backend, "seed"]
    return poll(lambda: all(servers_settled(st, b) for b in backends),
                timeout, 0.1)


# ---------------------------------------------------------------- metrics

def parse_metrics(text):
    """Prometheus text format → [(name, {label: value}, float)]."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$', line)
        if not m:
            raise ValueError("bad metrics line %r" % line)
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"',
                                 m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def metric(samples, name, **labels):
    """The value of the one sample named `name` whose labels include
    `labels`, or None."""
    found = [v for n, l, v in samples if n == name and
             all(l.get(k) == v2 for k, v2 in labels.items())]
    return found[0] if len(found) == 1 else None


# ---------------------------------------------------------- private workers

_private = []
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
            if self not in _private:
                _private.append(self)
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


def _cleanup():
    for w in _private:
        try:
            w.kill()
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


def run_workerd(st, args, timeout=10.0):
    """Runs pfo3-workerd with `args` to the end: (status, stdout, stderr)."""
    p = subprocess.run([st.workerd] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------- relays

class Relay:
    """A TCP relay from a local port to `target`.  close() refuses new
    connections and cuts the open ones, like a server going away;
    open() listens again on the same port.  freeze() stops forwarding
    without closing anything (new connections wait in the listen queue),
    like a server that hangs (SIGSTOP, a black hole); thaw() resumes."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.lock = threading.Lock()
        self.socks = []
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
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b, self.thawed),
                                 daemon=True).start()

    @staticmethod
    def _pipe(src, dst, thawed):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                thawed.wait()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# ---------------------------------------------------------------- threads

class Background(threading.Thread):
    """Runs fn(*args) in a thread; .result / .error after join()."""

    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args = fn, args
        self.result = self.error = None
        self.t_start = self.t_end = None

    def run(self):
        self.t_start = time.monotonic()
        try:
            self.result = self.fn(*self.args)
        except BaseException as e:
            self.error = e
        self.t_end = time.monotonic()

    @property
    def elapsed(self):
        return None if self.t_end is None else self.t_end - self.t_start


# ------------------------------------------- PostgreSQL and S3, straight

def psql(sql):
    """One statement through psql on the stack's database
    ($PFO3_PG_CONNINFO); its output (unaligned, `|` between columns, one
    row a line), trimmed.  Raises RuntimeError when it fails."""
    p = subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1",
                        "-d", os.environ["PFO3_PG_CONNINFO"], "-c", sql],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("psql: %s" % p.stderr.strip())
    return p.stdout.strip()


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def s3_request(method, key, data=None, path=None, content_type=None,
               timeout=60.0):
    """One request to the stack's S3 server ($PFO3_S3_*) for object `key`,
    made by curl, which signs it with SigV4 itself: a client independent
    of the worker's.  A body comes from `data` (bytes) or the file `path`,
    and is sent with its SHA-256, which the server checks.  Returns
    (status, body bytes)."""
    env = os.environ
    url = "%s/%s/%s" % (env["PFO3_S3_ENDPOINT"].rstrip("/"),
                        env["PFO3_S3_BUCKET"], key)
    d = tempfile.mkdtemp(prefix="pfo3s3-", dir="/tmp")
    out = os.path.join(d, "body")
    cmd = ["curl", "-sS", "-K", "-", "-X", method, "-o", out,
           "-w", "%{http_code}", "--max-time", str(timeout),
           "--aws-sigv4", "aws:amz:%s:s3" % env["PFO3_S3_REGION"]]
    if data is not None:
        path = os.path.join(d, "upload")
        with open(path, "wb") as f:
            f.write(data)
    if path is not None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        # curl 7.88 signs every header it sends, so Expect is sent on
        # purpose (an empty "Expect:" would be signed but not sent).
        cmd += ["-T", path, "-H", "x-amz-content-sha256: " + h.hexdigest(),
                "-H", "Expect: 100-continue"]
        if content_type:
            cmd += ["-H", "Content-Type: " + content_type]
    else:
        cmd += ["-H", "x-amz-content-sha256: " + EMPTY_SHA256]
    cmd.append(url)
    # The keys go through stdin, not the command line others can read.
    conf = 'user = "%s:%s"\n' % (env["PFO3_S3_ACCESS_KEY"],
                                 env["PFO3_S3_SECRET_KEY"])
    try:
        p = subprocess.run(cmd, input=conf.encode(), capture_output=True,
                           timeout=timeout + 10)
        if p.returncode != 0 and not p.stdout:
            raise RuntimeError("curl %s %s: %s" % (
                method, key, p.stderr.decode("utf-8", "replace").strip()))
        try:
            with open(out, "rb") as f:
                body = f.read()
        except OSError:
            body = b""
        return int(p.stdout.decode() or 0), body
    finally:
        shutil.rmtree(d, ignore_errors=True)


def s3_get(key):
    """(status, bytes) of object `key` (see s3_request)."""
    return s3_request("GET", key)


def s3_put(key, data=None, path=None, content_type=None):
    """Stores `data` (bytes) or the file `path` as object `key`; the
    status (200 when stored)."""
    return s3_request("PUT", key, data=data, path=path,
                      content_type=content_type)[0]


def s3_delete(key):
    """Deletes object `key`; the status (204 when deleted or missing)."""
    return s3_request("DELETE", key)[0]


# ------------------------------------------------------------------ users

TEST_PASSWORD = "correct horse battery"


def bearer(token):
    """The Authorization header of a token, as http() takes headers."""
    return [("Authorization", "Bearer " + token)]


def new_user(addr, tag):
    """Registers and logs in a fresh user whose email holds `tag`;
    (user id, email, token).  Raises RuntimeError when either fails."""
    email = "%s.%s@example.org" % (tag, secrets.token_hex(6))
    r = http(addr, "POST", "/api/v1/users",
             {"email": email, "password": TEST_PASSWORD, "name": tag})
    if r.status != 201:
        raise RuntimeError("register %s: %d %r" % (email, r.status, r.body))
    r = http(addr, "POST", "/api/v1/login",
             {"email": email, "password": TEST_PASSWORD})
    if r.status != 200:
        raise RuntimeError("login %s: %d %r" % (email, r.status, r.body))
    body = r.json()
    return int(body["user"]["id"]), email, body["token"]


# ------------------------------------------- the mail sink, TCP servers

def mails_with(needle):
    """How many messages of the stack's SMTP sink hold `needle`."""
    new = os.path.join(os.environ.get("PFO3_SMTP_MAILDIR", ""), "new")
    n = 0
    for name in os.listdir(new) if os.path.isdir(new) else []:
        try:
            with open(os.path.join(new, name), "rb") as f:
                n += needle.encode() in f.read()
        except OSError:
            pass
    return n


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
