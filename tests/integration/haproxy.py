"""
haproxy.py — HAProxy's runtime API: raw commands, `show stat` as rows,
and waiting until the backends are settled (every server UP with the same
weight, so roundrobin spreads requests evenly).
"""

import socket

from wait import poll


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
    `# pxname,svname,...` header (columns are only ever appended).
    `check_status` is the last check's result: HAProxy writes it "* L7OK"
    while the next check is under way, which says the same."""
    lines = haproxy_cmd(path, "show stat").splitlines()
    if not lines or not lines[0].startswith("# "):
        raise RuntimeError("unexpected show stat reply: %r" % lines[:2])
    cols = lines[0][2:].split(",")
    rows = []
    for line in lines[1:]:
        if line:
            row = dict(zip(cols, line.split(",")))
            if row.get("check_status", "").startswith("* "):
                row["check_status"] = row["check_status"][2:]
            rows.append(row)
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
