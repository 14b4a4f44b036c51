#!/usr/bin/python3
"""
seed_client.py — send one compute task to pfo3 over the seed's JSON/TCP
protocol and print the reply.

The protocol is the original one: connect, write one JSON object (no
newline, no framing), read until the server closes, and that is the reply.
Point it at HAProxy's seed port to have the task spread over the workers,
or at one worker's port directly.

    seed_client.py suma '{"a": 25, "b": 17}'
    seed_client.py --port 8001 mayusculas '{"texto": "ñandú"}'
    seed_client.py sleep '{"segundos": 2}'

Exit status: 0 when the task completed, 1 when the server answered with
an error, 2 when no reply could be had (usage, connection, bad reply).
"""
import argparse
import json
import os
import socket
import sys


def send_task(host, port, operacion, datos, timeout):
    """Sends one task and returns the reply as a dict."""
    tarea = {"operacion": operacion, "datos": datos}
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(json.dumps(tarea).encode("utf-8"))
        chunks = []
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            chunks.append(chunk)
    return json.loads(b"".join(chunks).decode("utf-8"))


def main():
    ap = argparse.ArgumentParser(
        description="Send one task to pfo3 over the seed's JSON/TCP "
        "protocol and print the reply.")
    ap.add_argument("--host", default=os.environ.get("PFO3_SEED_HOST",
                                                     "127.0.0.1"),
                    help="server address (default: $PFO3_SEED_HOST or "
                    "127.0.0.1)")
    ap.add_argument("--port", type=int,
                    default=int(os.environ.get("PFO3_SEED_PORT", "5000")),
                    help="server port (default: $PFO3_SEED_PORT or 5000)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds to wait for the reply (default 60)")
    ap.add_argument("operacion", help="suma, resta, multiplicacion, "
                    "division, potencia, raiz, factorial, primo, fibonacci, "
                    "inverso_texto, mayusculas, contar_palabras, sleep")
    ap.add_argument("datos", help='the data as JSON, e.g. \'{"a": 25, '
                    '"b": 17}\'')
    args = ap.parse_args()

    try:
        datos = json.loads(args.datos)
    except ValueError as e:
        ap.error("datos is not valid JSON: %s" % e)
    try:
        reply = send_task(args.host, args.port, args.operacion, datos,
                          args.timeout)
    except OSError as e:
        print("seed_client: %s:%d: %s" % (args.host, args.port, e),
              file=sys.stderr)
        return 2
    except ValueError as e:
        print("seed_client: the reply is not JSON: %s" % e, file=sys.stderr)
        return 2

    print(json.dumps(reply, ensure_ascii=False))
    if not isinstance(reply, dict):
        return 2
    return 0 if reply.get("estado") == "completado" else 1


if __name__ == "__main__":
    sys.exit(main())
