#!/usr/bin/env python3
"""report-latency.py: the subject of the report benchmark.

usage: report-latency.py BASE_URL TOKEN MONTH COUNT INTERVAL POLL

Asks for COUNT monthly reports (POST /api/v1/reports {"month": MONTH}),
one every INTERVAL seconds whatever the earlier ones do, and follows each
with GET /api/v1/jobs/{id} every POLL seconds until it is "done".  A
report's latency runs from just before its POST to the answer that says
"done".  A report's accept time runs from just before its POST to the
202 answer (the job row committed, its message confirmed by RabbitMQ):
no poll can see the job done before it.  Prints one line:
  count=N p50=MS p99=MS mean=MS min=MS max=MS accept_p50=MS accept_p99=MS
  workers=w1:n,w2:n
and exits 1, saying why, when a report fails, is refused or takes more
than a minute.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

TIMEOUT = 60.0


def follow(url, token, month, poll, out, accepted, errors):
    headers = {"Authorization": "Bearer " + token,
               "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        start = time.monotonic()
        conn.request("POST", "/api/v1/reports",
                     body=json.dumps({"month": month}), headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 202:
            errors.append("POST /api/v1/reports: %d %s" % (resp.status,
                                                           body[:200]))
            return
        job = json.loads(body)["job_id"]
        accepted.append((time.monotonic() - start) * 1e3)
        while True:
            conn.request("GET", "/api/v1/jobs/%d" % job, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                errors.append("GET /api/v1/jobs/%d: %d %s" % (
                    job, resp.status, body[:200]))
                return
            state = json.loads(body)
            if state.get("status") == "done":
                out.append(((time.monotonic() - start) * 1e3,
                            state.get("worker") or "-"))
                return
            if state.get("status") == "failed":
                errors.append("job %d failed: %s" % (job, state.get("error")))
                return
            if time.monotonic() - start > TIMEOUT:
                errors.append("job %d not done after %.0f s (status %s)" % (
                    job, TIMEOUT, state.get("status")))
                return
            time.sleep(poll)
    except (OSError, ValueError, KeyError, http.client.HTTPException) as e:
        errors.append("report: %r" % e)
    finally:
        conn.close()


def rank(sorted_ms, p):
    """Nearest-rank percentile."""
    i = max(0, -(-len(sorted_ms) * p // 100) - 1)
    return sorted_ms[int(i)]


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__.strip())
    url = urllib.parse.urlsplit(sys.argv[1])
    token, month = sys.argv[2], sys.argv[3]
    count, interval, poll = int(sys.argv[4]), float(sys.argv[5]), \
        float(sys.argv[6])
    out, accepted, errors, threads = [], [], [], []
    t0 = time.monotonic()
    for i in range(count):
        pause = t0 + i * interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        t = threading.Thread(target=follow,
                             args=(url, token, month, poll, out, accepted,
                                   errors))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    if errors:
        sys.exit("report-latency: %d of %d reports went wrong; first: %s" % (
            len(errors), count, errors[0]))
    ms = sorted(m for m, _ in out)
    acc = sorted(accepted)
    workers = {}
    for _, w in out:
        workers[w] = workers.get(w, 0) + 1
    print("count=%d p50=%.1f p99=%.1f mean=%.1f min=%.1f max=%.1f "
          "accept_p50=%.1f accept_p99=%.1f "
          "workers=%s" % (len(ms), rank(ms, 50), rank(ms, 99),
                          sum(ms) / len(ms), ms[0], ms[-1],
                          rank(acc, 50), rank(acc, 99),
                          ",".join("%s:%d" % kv for kv in sorted(
                              workers.items()))))


main()
