#!/usr/bin/env python3
"""scale-get.py: the timings of the list pages of bench/run.sh's `scale`
section.

usage: scale-get.py BASE_URL ROUNDS [NAME TOKEN PATH WANT]...

Each four arguments name a page: its label, the Bearer token of its user, the
path to GET and the number of files the page must hold ("50", or "50+" for
a page that must also have a next link, "50." for one that must not).
Each page is asked for ROUNDS times in a row on one kept-alive
connection, after one unmeasured request; the pages in order, then again
in the reverse order (so that each sees early and late moments of a shared
machine).  Over each block, the CPU time (user + system, from /proc) of
the processes whose pids SCALE_PIDS lists (the workers, PostgreSQL,
HAProxy).  Prints one line per page:
  NAME p50=MS p99=MS n=REQUESTS files=N cpu_us=CPU_MICROSECONDS_PER_REQUEST
and exits 1, saying why, on another status or a page of another shape.
"""
import os
import http.client
import json
import sys
import time
import urllib.parse


TICK = os.sysconf("SC_CLK_TCK")


def ticks(pids):
    """User + system clock ticks of the processes still there."""
    n = 0
    for pid in pids:
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        n += int(fields[11]) + int(fields[12])
    return n


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def get(conn, token, path):
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        sys.exit("scale-get: GET %s: %d %s" % (path, resp.status, body[:200]))
    return json.loads(body)


def check(page, want, path):
    files = len(page["files"])
    more = page.get("next") is not None
    n = int(want.rstrip("+."))
    if files != n or (want.endswith("+") and not more) or \
            (want.endswith(".") and more):
        sys.exit("scale-get: GET %s: %d files, next %r; wanted %s"
                 % (path, files, page.get("next"), want))
    return files


def main():
    if len(sys.argv) < 7 or (len(sys.argv) - 3) % 4:
        sys.exit(__doc__)
    url = urllib.parse.urlparse(sys.argv[1])
    rounds = int(sys.argv[2])
    args = sys.argv[3:]
    pages = [args[i:i + 4] for i in range(0, len(args), 4)]
    pids = os.environ.get("SCALE_PIDS", "").split()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    times = {name: [] for name, _, _, _ in pages}
    cpu = {name: 0 for name, _, _, _ in pages}
    files = {}
    for order in (pages, pages[::-1]):
        for name, token, path, want in order:
            files[name] = check(get(conn, token, path), want, path)
            t0 = ticks(pids)
            for _ in range(rounds):
                t = time.perf_counter()
                get(conn, token, path)
                times[name].append((time.perf_counter() - t) * 1000.0)
            cpu[name] += ticks(pids) - t0
    for name, _, _, _ in pages:
        v = times[name]
        print("%s p50=%.3f p99=%.3f n=%d files=%d cpu_us=%.0f"
              % (name, pct(v, 50), pct(v, 99), len(v), files[name],
                 cpu[name] / TICK * 1e6 / len(v)))

main()
