#!/usr/bin/env python3
"""api.py: one JSON call to the pfo3 API, for bench/run.sh.

usage: api.py BASE_URL METHOD PATH BODY WANT_STATUS [TOKEN]

Prints the answer's body.  On another status than WANT_STATUS, prints
"status N: body" and exits 1, so that the bench can say what went wrong
instead of measuring an error page.
"""
import http.client
import sys
import urllib.parse


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__.strip())
    base, method, path, body, want = sys.argv[1:6]
    token = sys.argv[6] if len(sys.argv) == 7 else ""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {}
    if body:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=body.encode() if body else None,
                 headers=headers)
    resp = conn.getresponse()
    data = resp.read().decode(errors="replace").strip()
    if resp.status != int(want):
        print("status %d: %s" % (resp.status, data))
        sys.exit(1)
    print(data)


main()
