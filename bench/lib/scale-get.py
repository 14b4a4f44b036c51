#!/usr/bin/env python3
"""scale-get.py: the timings of the list pages of bench/run.sh's `scale`
section.

usage: scale-get.py BASE_URL ROUNDS [NAME TOKEN PATH WANT]...

Each four arguments name a page: its label, the Bearer token of its user, the
path to GET and the number of files the page must hold ("50", or "50+" for
a page that must also have a next link, "50." for one that must not).
The pages are asked for in turn, ROUNDS times over, on one kept-alive
connection (so every page sees the same moments of a shared machine),
after one unmeasured round.  Prints one line per page:
  NAME p50=MS p99=MS n=ROUNDS files=N
and exits 1, saying why, on another status or a page of another shape.
"""
import http.client
import json
import sys
import time
import urllib.parse


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
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    times = {name: [] for name, _, _, _ in pages}
    files = {}
    for r in range(rounds + 1):
        for name, token, path, want in pages:
            t0 = time.perf_counter()
            page = get(conn, token, path)
            ms = (time.perf_counter() - t0) * 1000.0
            files[name] = check(page, want, path)
            if r:
                times[name].append(ms)
    for name, _, _, _ in pages:
        v = times[name]
        print("%s p50=%.3f p99=%.3f n=%d files=%d"
              % (name, pct(v, 50), pct(v, 99), len(v), files[name]))


main()
