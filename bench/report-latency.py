#!/usr/bin/env python3
"""report-latency.py: the subject of the report benchmark.

usage: report-latency.py BASE_URL TOKEN MONTH COUNT INTERVAL POLL

Asks for COUNT monthly reports (POST /api/v1/reports {"month": MONTH}),
one every INTERVAL seconds whatever the earlier ones do, and follows each
with GET /api/v1/jobs/{id} every POLL seconds until it is "done".  A
report's latency runs from just before its POST to the answer that says
"done".  A report's accept time runs from just before its POST to the
202 answer (the job row committed, its message confirmed by RabbitMQ):
no poll can see the job done before it.

Beside the polls, one client waits for the user's notifications as the
web page does (GET /api/v1/notifications?after=N&wait=S, parked in the
worker until a notification of the user is written): a report's
notified time runs from just before its POST to the arrival of its
"report_ready" notification, the moment the user learns the PDF is
stored.  It needs no poll, so it is exact to the notification's travel.
Prints one line:
  count=N p50=MS p99=MS mean=MS min=MS max=MS accept_p50=MS accept_p99=MS
  notified_p50=MS notified_p99=MS workers=w1:n,w2:n
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


class Notified:
    """The arrival time of each report's notification, by job id, from
    one long-polling client that runs until stop() or TIMEOUT."""

    WAIT = 5

    def __init__(self, url, token):
        self.url, self.token = url, token
        self.seen, self.errors = {}, []
        self.done = threading.Event()
        self.after = self._newest()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _get(self, conn, path):
        conn.request("GET", path,
                     headers={"Authorization": "Bearer " + self.token})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise OSError("GET %s: %d %s" % (path, resp.status, body[:200]))
        return json.loads(body)["notifications"]

    def _newest(self):
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port,
                                          timeout=30)
        try:
            got = self._get(conn, "/api/v1/notifications?limit=1")
        finally:
            conn.close()
        return got[0]["id"] if got else 0

    def _run(self):
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port,
                                          timeout=self.WAIT + 30)
        start = time.monotonic()
        try:
            while not self.done.is_set():
                if time.monotonic() - start > TIMEOUT * 10:
                    raise OSError("notifications still awaited")
                got = self._get(conn, "/api/v1/notifications?after=%d&"
                                "limit=100&wait=%d" % (self.after, self.WAIT))
                now = time.monotonic()
                for n in got:
                    self.after = max(self.after, n["id"])
                    if n["kind"] == "report_ready":
                        self.seen.setdefault(n["body"]["job_id"], now)
        except (OSError, ValueError, KeyError,
                http.client.HTTPException) as e:
            self.errors.append("notifications: %r" % e)
        finally:
            conn.close()

    def stop(self):
        self.done.set()
        self.thread.join()


def follow(url, token, month, poll, out, accepted, started, errors):
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
        started[job] = start
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
                            state.get("worker") or "-", job))
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
    out, accepted, errors, threads, started = [], [], [], [], {}
    try:
        notified = Notified(url, token)
    except (OSError, ValueError, KeyError, http.client.HTTPException) as e:
        sys.exit("report-latency: notifications: %r" % e)
    t0 = time.monotonic()
    for i in range(count):
        pause = t0 + i * interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        t = threading.Thread(target=follow,
                             args=(url, token, month, poll, out, accepted,
                                   started, errors))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    # A report's notification is committed before its job is done: it is
    # due at once, give it a few seconds before calling it lost.
    deadline = time.monotonic() + 5
    while (not errors and not notified.errors and
           any(j not in notified.seen for _, _, j in out) and
           time.monotonic() < deadline):
        time.sleep(0.05)
    notified.stop()
    errors += notified.errors
    missing = [j for _, _, j in out if j not in notified.seen]
    if missing and not errors:
        errors.append("no report_ready notification for job %d" % missing[0])
    if errors:
        sys.exit("report-latency: %d of %d reports went wrong; first: %s" % (
            len(errors), count, errors[0]))
    ms = sorted(m for m, _, _ in out)
    acc = sorted(accepted)
    note = sorted((notified.seen[j] - started[j]) * 1e3 for _, _, j in out)
    workers = {}
    for _, w, _ in out:
        workers[w] = workers.get(w, 0) + 1
    print("count=%d p50=%.1f p99=%.1f mean=%.1f min=%.1f max=%.1f "
          "accept_p50=%.1f accept_p99=%.1f notified_p50=%.1f "
          "notified_p99=%.1f workers=%s" % (
              len(ms), rank(ms, 50), rank(ms, 99), sum(ms) / len(ms),
              ms[0], ms[-1], rank(acc, 50), rank(acc, 99), rank(note, 50),
              rank(note, 99), ",".join("%s:%d" % kv for kv in sorted(
                  workers.items()))))


main()
