#!/usr/bin/python3
"""
t-seed: the seed's raw JSON/TCP task protocol, on each worker's port and
through HAProxy's seed port.

A client writes one JSON object with no newline and no shutdown and reads
until the server closes; the reply is one JSON object in the seed's shape.
The object may arrive in pieces.  Errors keep the shape ("estado":
"error", a Spanish message).  Through the seed port, tasks go round robin
over the workers.  clients/seed_client.py, the user-facing client, is run
against the seed port as a user would.
"""
import collections
import json
import os
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from haproxy import backend_servers, wait_settled
from seedproto import seed_exchange
from stackenv import srcdir, stack
from tap import diag, is_, ok, run

SUMA = json.dumps({"operacion": "suma", "datos": {"a": 25, "b": 17}}).encode()
OK_KEYS = ["id", "operacion", "resultado", "estado", "worker"]
ERR_KEYS = ["id", "operacion", "estado", "error", "worker"]


def decode(raw):
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def check_suma(raw, wid, name):
    """The reply to SUMA from worker `wid` (None: any worker)."""
    r = decode(raw)
    good = (isinstance(r, dict) and list(r) == OK_KEYS and
            isinstance(r["id"], int) and not isinstance(r["id"], bool) and
            r["operacion"] == "suma" and r["resultado"] == 42 and
            r["estado"] == "completado" and
            (r["worker"] == wid if wid else isinstance(r["worker"], str)))
    ok(good, name, lambda: "got %r" % raw)
    return r


def direct(w):
    t0 = time.monotonic()
    raw = seed_exchange(w.addr, SUMA, timeout=5)
    check_suma(raw, w.id, "%s: suma 25+17 in one send, no newline, no "
               "shutdown: {id, operacion, resultado 42, estado completado, "
               "worker %s}, then close" % (w.id, w.id))
    ok(time.monotonic() - t0 < 2.0, "%s: the reply does not wait for the "
       "client to close" % w.id)

    pieces = [SUMA[:1], SUMA[1:12], SUMA[12:30], SUMA[30:]]
    raw = seed_exchange(w.addr, pieces, pauses=0.2, timeout=5)
    check_suma(raw, w.id, "%s: the same object split over %d sends with "
               "pauses" % (w.id, len(pieces)))

    raw = seed_exchange(w.addr, json.dumps(
        {"operacion": "division", "datos": {"a": 1, "b": 0}}).encode())
    r = decode(raw)
    ok(isinstance(r, dict) and list(r) == ERR_KEYS and
       isinstance(r["id"], int) and r["operacion"] == "division" and
       r["estado"] == "error" and r["error"] == "División por cero" and
       r["worker"] == w.id,
       "%s: division by zero: estado error, \"División por cero\"" % w.id,
       lambda: "got %r" % raw)


def malformed(w):
    raw = seed_exchange(w.addr, b'{"operacion": "suma", }', timeout=5)
    is_(decode(raw), {"id": None, "operacion": None, "estado": "error",
                      "error": "JSON inválido", "worker": w.id},
        "%s: invalid JSON: an error object \"JSON inválido\", then close"
        % w.id)

    # A client that half-closes after its object still gets the reply.
    with socket.create_connection(w.addr, timeout=5) as s:
        s.sendall(SUMA)
        s.shutdown(socket.SHUT_WR)
        raw = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            raw += chunk
    check_suma(raw, w.id, "%s: object then shutdown(SHUT_WR): answered"
               % w.id)

    # Half-closing in the middle of the object: one error reply.
    with socket.create_connection(w.addr, timeout=5) as s:
        s.sendall(SUMA[:20])
        s.shutdown(socket.SHUT_WR)
        raw = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            raw += chunk
    r = decode(raw)
    ok(isinstance(r, dict) and r.get("estado") == "error" and
       r.get("error") == "Tarea incompleta" and r.get("worker") == w.id,
       "%s: object cut short by a half-close: \"Tarea incompleta\"" % w.id,
       lambda: "got %r" % raw)

    raw = seed_exchange(w.addr, json.dumps(
        {"operacion": "volar", "datos": {}}).encode())
    r = decode(raw)
    ok(isinstance(r, dict) and r.get("estado") == "error" and
       r.get("operacion") == "volar" and
       r.get("error") == "Operación desconocida: volar",
       "%s: unknown operation: \"Operación desconocida: volar\"" % w.id,
       lambda: "got %r" % raw)


def through_haproxy(st):
    settled = wait_settled(st, ["seed"], timeout=20)
    ok(settled, "HAProxy shows every worker UP at equal weights in seed",
       lambda: repr({k: (v["status"], v["weight"]) for k, v in
                     backend_servers(st, "seed").items()}))
    counts = collections.Counter()
    n = 2 * len(st.workers)
    for i in range(n):
        raw = seed_exchange(st.seed, SUMA, timeout=5)
        r = check_suma(raw, None, "seed port: task %d answered" % i)
        counts[(r or {}).get("worker")] += 1
    diag("seed port counts: %r" % dict(counts))
    for wid in st.ids:
        is_(counts.get(wid, 0), 2, "seed port: %s answered 2 of %d (round "
            "robin)" % (wid, n))

    pieces = [SUMA[:5], SUMA[5:]]
    check_suma(seed_exchange(st.seed, pieces, pauses=0.3, timeout=5), None,
               "seed port: an object split over two sends")


def client(st):
    path = os.path.join(srcdir(), "clients", "seed_client.py")
    ok(os.path.isfile(path), "clients/seed_client.py exists", path)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")

    def run_client(operacion, datos):
        p = subprocess.run(
            [sys.executable, path, "--host", st.seed[0], "--port",
             str(st.seed[1]), operacion, json.dumps(datos)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=30, env=env)
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace")

    rc, out, err = run_client("suma", {"a": 25, "b": 17})
    r = decode(out.encode())
    ok(rc == 0 and isinstance(r, dict) and r.get("resultado") == 42 and
       r.get("estado") == "completado" and r.get("worker") in st.ids,
       "seed_client.py suma '{\"a\":25,\"b\":17}': exit 0, resultado 42",
       lambda: "exit %r\nstdout %r\nstderr %r" % (rc, out, err))

    rc, out, err = run_client("mayusculas", {"texto": "ñandú"})
    r = decode(out.encode())
    ok(rc == 0 and isinstance(r, dict) and r.get("resultado") == "ÑANDÚ",
       "seed_client.py mayusculas ñandú: ÑANDÚ",
       lambda: "exit %r\nstdout %r\nstderr %r" % (rc, out, err))

    rc, out, err = run_client("division", {"a": 1, "b": 0})
    r = decode(out.encode())
    ok(rc == 1 and isinstance(r, dict) and r.get("estado") == "error" and
       r.get("error") == "División por cero",
       "seed_client.py division by zero: exit 1, the error printed",
       lambda: "exit %r\nstdout %r\nstderr %r" % (rc, out, err))


def main():
    st = stack()
    for w in st.workers:
        direct(w)
    malformed(st.workers[0])
    through_haproxy(st)
    client(st)


run(main)
