#!/usr/bin/python3
"""
t-pool: the worker's fixed pool and its bounded queue.

On w1 (5 threads): six concurrent 2-second sleeps keep the five threads
busy and one task queued; all six complete, the queued one after about
twice the time.  On a private worker with one thread and a queue of one:
a third request while one runs and one waits is refused at once with 503,
Retry-After: 1 and a JSON error, while the first two complete; /metrics
counts the refusal.
"""
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from haproxy import servers_settled
from httpc import get
from metrics import metric, parse_metrics
from stackenv import stack
from tap import cmp_ok, diag, is_, ok, run
from wait import Background, poll
from workers import PrivateWorker, retire

SLEEP = 2


def five_busy_one_queued(st, w1):
    """Six sleeps on w1: threads.busy 5 and queue.length 1 while they run."""
    before = w1.stats()
    is_((before["threads"]["busy"], before["queue"]["length"]), (0, 0),
        "w1 is idle before the test (busy 0, queue 0)")
    jobs = [Background(task, w1.addr, "sleep", {"segundos": SLEEP})
            for _ in range(6)]
    t0 = time.monotonic()
    for j in jobs:
        j.start()
    seen = []

    def state():
        s = w1.stats()
        seen.append((round(time.monotonic() - t0, 2), s["threads"]["busy"],
                     s["queue"]["length"]))
        return s["threads"]["busy"] == 5 and s["queue"]["length"] == 1

    hit = poll(state, 1.5, 0.02)
    ok(hit, "w1 stats show threads.busy 5 and queue.length 1 within 1.5 s",
       lambda: "seen (t, busy, queue): %r" % seen[-10:])
    for j in jobs:
        j.join(SLEEP * 2 + 10)
    for i, j in enumerate(jobs):
        r = j.result
        ok(j.error is None and r is not None and r.status == 200 and
           (r.json() or {}).get("resultado") == SLEEP and
           (r.json() or {}).get("worker") == "w1",
           "sleep %d on w1 completes: 200, resultado %d, worker w1"
           % (i, SLEEP), lambda: "error %r, response %r" % (j.error, r))
    times = sorted(j.elapsed for j in jobs)
    diag("durations: %s" % ", ".join("%.2f" % t for t in times))
    ok(all(SLEEP * 0.95 <= t < SLEEP * 1.5 for t in times[:5]),
       "five ran at once: each took %d s (not more than 1.5x)" % SLEEP)
    cmp_ok(times[5], ">=", SLEEP * 1.9,
           "the sixth waited in the queue: it took about twice as long")
    cmp_ok(times[5], "<", SLEEP * 2 + 1.5,
           "the sixth started as soon as a thread was free")
    after = poll(lambda: (lambda s: s if s["threads"]["busy"] == 0 and
                          s["queue"]["length"] == 0 else None)(w1.stats()),
                 2.0)
    ok(after, "w1 is idle again afterwards")


def queue_full(st):
    """A private worker, 1 thread, queue 1: the third request gets 503."""
    p = PrivateWorker(st, "p1", ["--threads", "1", "--queue", "1"])
    try:
        s = p.stats()
        is_((s["threads"]["total"], s["queue"]["capacity"]), (1, 1),
            "private worker runs 1 thread with a queue of 1")
        first = Background(task, p.addr, "sleep", {"segundos": 1})
        first.start()
        ok(poll(lambda: p.stats()["threads"]["busy"] == 1, 1.0, 0.01),
           "first sleep runs on the only thread")
        second = Background(task, p.addr, "sleep", {"segundos": 1})
        second.start()
        ok(poll(lambda: p.stats()["queue"]["length"] == 1, 1.0, 0.01),
           "second sleep waits in the queue")

        r = task(p.addr, "suma", {"a": 1, "b": 2}, timeout=5)
        is_(r.status, 503, "third request while the queue is full: 503")
        cmp_ok(r.elapsed, "<", 0.5, "the 503 comes at once (< 0.5 s)")
        is_(r.header("Retry-After"), "1", "503 carries Retry-After: 1")
        is_(r.header("Content-Type"), "application/json",
            "503 body is application/json")
        body = r.json()
        ok(isinstance(body, dict) and isinstance(body.get("error"), str) and
           body["error"] != "", "503 body is JSON with an \"error\" string",
           lambda: repr(r.body))
        is_(r.header("X-Pfo3-Worker"), "p1", "503 names the worker")

        for name, j in (("first", first), ("second", second)):
            j.join(10)
            rr = j.result
            ok(j.error is None and rr is not None and rr.status == 200 and
               (rr.json() or {}).get("resultado") == 1,
               "%s sleep still completes with 200" % name,
               lambda: "error %r, response %r" % (j.error, rr))
        cmp_ok(second.elapsed or 0, ">=", 1.5,
               "the queued sleep waited for the first (about 2 s in all)")

        m = parse_metrics(get(p.addr, "/metrics").text)
        is_(metric(m, "pfo3_pool_rejected_total", worker="p1"), 1.0,
            "/metrics: pfo3_pool_rejected_total{worker=\"p1\"} 1")
        is_(metric(m, "pfo3_http_requests_total", route="/api/v1/tasks",
                   status="503"), 1.0,
            "/metrics: one /api/v1/tasks request answered 503")
        is_(p.stats()["requests"]["rejected"], 1,
            "stats: requests.rejected 1")
        r = task(p.addr, "suma", {"a": 1, "b": 2})
        ok(r.status == 200 and (r.json() or {}).get("resultado") == 3,
           "with the queue free again a task is served")
    finally:
        retire(p)


def main():
    st = stack()
    w1 = st.worker("w1")
    try:
        five_busy_one_queued(st, w1)
    finally:
        # The agent lowered w1's weight while busy: wait until HAProxy has
        # it back, so the next test finds the stack as this one did.
        if not poll(lambda: servers_settled(st, st.backend), 10, 0.1):
            diag("warning: HAProxy weights did not settle after the test")
    queue_full(st)


run(main)
