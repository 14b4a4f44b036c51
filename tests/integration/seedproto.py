"""
seedproto.py — the seed service's raw line protocol, spoken byte by byte
so a test can split or stall what it sends.
"""

import socket
import time


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
